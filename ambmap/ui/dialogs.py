"""The window's dialogs: new territory, import wizard, settings, about/licences; and the error box.

Long work (search, download, import) goes through :func:`ambmap.ui.workers.run_task`; the core
modules are imported when first needed so that a missing optional part only disables its dialog.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ambmap import __version__
from ambmap.config import Settings
from ambmap.errors import AmbmapError, CancelledError
from ambmap.layers import SCHEMAS, kinds
from ambmap.project import Project
from ambmap.text import date as french_date
from ambmap.text import number
from ambmap.ui.data_text import shorten
from ambmap.ui.user_state import save_user_settings
from ambmap.ui.workers import run_task

log = logging.getLogger(__name__)
BASEMAPS = {
    "plan-ign": "Plan IGN (Géoplateforme)",
    "osm": "OpenStreetMap",
    "streets": "Rues du projet (sans tuiles)",
    "none": "Aucun fond (hors ligne)",
}
#: Labels of the mapping targets that are not layer fields (coordinates and address parts).
EXTRA_TARGETS = {
    "lat": "Latitude",
    "lon": "Longitude",
    "x": "X (Lambert-93 ou longitude)",
    "y": "Y (Lambert-93 ou latitude)",
    "postcode": "Code postal",
    "city": "Commune",
}
#: Columns one field may join in the import dialog (« Prénom » + « Nom », « Numéro » + « Voie » + …).
JOINED_COLUMNS = 3
PREVIEW_ROWS = 5


def message(
    parent: QWidget | None,
    title: str,
    text: str,
    icon=QMessageBox.Icon.Information,
    buttons=QMessageBox.StandardButton.Ok,
    default=QMessageBox.StandardButton.NoButton,
):
    """A message box showing ``text`` as typed; returns the button pressed.

    QMessageBox guesses rich text and opens the links it shows: a message quoting data (a file name, a
    column header, a QPV name) could otherwise carry a clickable link or hide part of itself."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setDefaultButton(default)
    return QMessageBox.StandardButton(box.exec())


def show_error(parent: QWidget | None, error: BaseException, title: str = "ambmap") -> None:
    """Show the French message of ``error`` (a generic one for a bug) and log the technical cause."""
    if isinstance(error, CancelledError):
        log.info("annulé : %s", error.message)
        return
    if isinstance(error, AmbmapError):
        log.warning("%s", error.message)  # an expected error: its technical cause only with -v
        log.debug("cause", exc_info=error)
        text = error.message
    else:
        log.error("erreur inattendue", exc_info=error)
        journal = next(
            (h.baseFilename for h in logging.getLogger("ambmap").handlers if isinstance(h, logging.FileHandler)), None
        )
        text = (
            f"Une erreur inattendue s'est produite ({type(error).__name__} : {error}). "
            "Vos données n'ont pas été modifiées. Si cela se reproduit, envoyez le journal"
            + (f" « {journal} »" if journal else "")
            + " à l'équipe ambmap."
        )
    message(parent, title, text, QMessageBox.Icon.Critical)


def ok_cancel(ok_text: str, cancel_text: str = "Annuler") -> QDialogButtonBox:
    """Ok/Cancel buttons, Ok renamed to ``ok_text`` and Cancel to ``cancel_text``."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel_text)
    return buttons


def browse_row(field: QLineEdit, text: str, on_click) -> QHBoxLayout:
    """``field`` stretched beside a button labelled ``text`` that opens a file chooser."""
    button = QPushButton(text)
    button.clicked.connect(on_click)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(button)
    return row


# -- new territory ---------------------------------------------------------------------------------
#: (choice key, label, file filter) of the « Depuis des fichiers » tab.
_TERRITORY_FILES = (
    ("territory_file", "Contour du territoire :", "Contours (*.geojson *.json *.gpkg *.shp *.zip)"),
    ("qpv_file", "Périmètres des QPV :", "Périmètres (*.geojson *.json *.gpkg *.shp *.zip)"),
    ("population_file", "Carreaux INSEE 200 m :", "Carreaux (*.gpkg *.geojson *.json *.shp *.zip *.csv)"),
)


#: What « Créer le projet » says when nothing is chosen yet, per tab (never a silent button).
NO_TERRITORY_CHOSEN = (
    "Tapez le nom ou le code de la commune, cliquez sur « Rechercher » puis choisissez le territoire dans la liste.",
    "Choisissez au moins le fichier du contour du territoire (bouton « Parcourir… »).",
)


class NewTerritoryDialog(QDialog):
    """Search a commune or an EPCI by name or code, or pick the official layers' files on disk;
    ``choice()`` is the picked territory dict (``kind`` « files » for files)."""

    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Nouveau territoire")
        self.resize(560, 440)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Nom ou code : Roubaix, 59512, Métropole Européenne de Lille…")
        self.search_button = QPushButton("Rechercher")
        self.results = QListWidget()
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(self.search_button)
        search = QWidget()
        page = QVBoxLayout(search)
        page.addWidget(QLabel("Commune ou intercommunalité (EPCI) du nouveau projet :"))
        page.addLayout(row)
        page.addWidget(self.results)
        page.addWidget(QLabel("Les données officielles (QPV, population, ressources de santé) seront téléchargées."))
        self.tabs = QTabWidget()
        self.tabs.addTab(search, "Rechercher en ligne")
        self.tabs.addTab(self._files_page(), "Depuis des fichiers")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.buttons = ok_cancel("Créer le projet")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.search_button.clicked.connect(self.search)
        self.query.returnPressed.connect(self.search)
        self.results.itemDoubleClicked.connect(lambda *_: self.accept())
        if settings.offline:  # the search needs the network: say so, and start where it works
            self.results.addItem(
                "Mode hors ligne : la recherche demande le réseau (Fichier › Réglages…). "
                "Sans réseau, utilisez l'onglet « Depuis des fichiers »."
            )
            self.tabs.setCurrentIndex(1)

    def search(self) -> None:
        text = self.query.text().strip()
        if len(text) < 2:
            return
        from ambmap.sources.communes import search_territories

        try:
            found = run_task(self, "Recherche du territoire…", lambda progress: search_territories(text, self.settings))
        except Exception as e:  # noqa: BLE001 - every failure is shown in French
            return show_error(self, e)
        self.set_results(found)

    def set_results(self, found: list[dict]) -> None:
        self.results.clear()
        kinds = {"commune": "Commune", "epci": "Intercommunalité"}
        for territory in found:
            population = territory.get("population")
            text = f"{territory['nom']} — {kinds.get(territory['kind'], territory['kind'])} {territory['code']}"
            if population:
                text += f" ({number(population)} hab.)"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, territory)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
        else:
            self.results.addItem("Aucun territoire trouvé : vérifiez l'orthographe ou tapez le code INSEE.")

    def _files_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(
            QLabel(
                "Sans réseau, depuis des fichiers (clé USB, dossier partagé) : le contour des communes "
                "(IGN Admin Express ou geo.api), les QPV 2024 (fichier national de l'ANCT, GeoJSON ou ZIP) "
                "et les carreaux INSEE Filosofi de 200 m (GeoPackage, GeoJSON ou CSV). Seul le contour "
                "est obligatoire.",
                wordWrap=True,
            )
        )
        self.files: dict[str, QLineEdit] = {}
        for key, label, pattern in _TERRITORY_FILES:
            field = QLineEdit()
            form.addRow(label, browse_row(field, "Parcourir…", lambda _=False, f=field, p=pattern: self._browse(f, p)))
            self.files[key] = field
        return page

    def _browse(self, field: QLineEdit, pattern: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choisir un fichier", field.text() or str(Path.home()), f"{pattern};;Tous les fichiers (*)"
        )
        if path:
            field.setText(path)

    def choice(self) -> dict | None:
        if self.tabs.currentIndex() == 1:
            paths = {key: field.text().strip() for key, field in self.files.items()}
            return {"kind": "files", **paths} if paths["territory_file"] else None
        item = self.results.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def accept(self) -> None:
        choice = self.choice()
        if choice and choice["kind"] == "files":
            missing = next((p for key, p in choice.items() if key != "kind" and p and not Path(p).is_file()), None)
            if missing:
                QMessageBox.warning(self, "Nouveau territoire", f"Fichier introuvable : « {missing} ».")
                return
        if choice:
            return super().accept()
        QMessageBox.information(self, "Nouveau territoire", NO_TERRITORY_CHOSEN[self.tabs.currentIndex()])


def build_territory_project(parent: QWidget, settings: Settings, territory: dict) -> Project:
    """Download the official data of ``territory`` (or read its files, ``kind`` « files ») in a worker;
    raise CancelledError if cancelled."""
    if territory.get("kind") == "files":
        from ambmap.imports import build_project_from_files

        project, report = run_task(
            parent,
            "Lecture des fichiers du territoire…",
            build_project_from_files,
            settings,
            territory["territory_file"],
            territory.get("qpv_file") or None,
            territory.get("population_file") or None,
        )
        log.info("nouveau territoire depuis des fichiers :\n%s", "\n".join(report))
        return project
    from ambmap.fetch import build_project

    key = "epci" if territory.get("kind") == "epci" else "commune"
    return run_task(
        parent,
        f"Téléchargement des données de {territory.get('nom', '')}…",
        build_project,
        settings,
        **{key: territory["code"]},
    )


# -- import wizard ---------------------------------------------------------------------------------
class ImportWizard(QDialog):
    """File + layer, then column mapping (a field may join several columns) with a preview of the first
    rows as they will be read, then the report: what is placed, kept « à placer », refused, to check.

    After ``exec()`` returns Accepted, ``result`` is the ImportResult and ``replace`` tells whether
    the rows replace the layer's or are added to it.
    """

    def __init__(self, project: Project, settings: Settings, parent=None):
        super().__init__(parent)
        self.project, self.settings = project, settings
        self.import_result = None
        self.replace = False
        self.columns: list[str] = []
        self.table = None  # the file's cells (pandas), for the preview
        self.setWindowTitle("Importer un fichier")
        self.resize(900, 640)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._file_page())
        self.pages.addWidget(self._mapping_page())
        self.pages.addWidget(self._report_page())
        self.back = QPushButton("< Précédent")
        self.next = QPushButton("Suivant >")
        self.cancel = QPushButton("Annuler")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.back, self.next, self.cancel):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addLayout(buttons)
        self.back.clicked.connect(lambda: self._go(self.pages.currentIndex() - 1))
        self.next.clicked.connect(self._next)
        self.cancel.clicked.connect(self.reject)
        self._go(0)

    def _file_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.path = QLineEdit()
        row = browse_row(self.path, "Parcourir…", self._browse)
        self.kind = QComboBox()
        for kind in reversed(kinds(importable=True)):  # top layer first, as in the layer panel
            self.kind.addItem(kind.plural, kind.name)
        self.geocode = QCheckBox("Chercher la position des adresses sans coordonnées (Géoplateforme IGN, en ligne)")
        self.geocode.setChecked(not self.settings.offline)
        form.addRow(QLabel("Fichier CSV, Excel (XLSX), GeoJSON, GeoPackage ou Shapefile à importer."))
        form.addRow("Fichier :", row)
        form.addRow("Couche :", self.kind)
        form.addRow("", self.geocode)
        return page

    def _mapping_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(
            QLabel(
                "Pour chaque champ, choisissez la colonne du fichier qui le contient ; ajoutez-en d'autres pour les "
                "joindre (ex. Prénom + Nom, Numéro + Voie) :"
            )
        )
        self.mapping_table = QTableWidget(0, 1 + JOINED_COLUMNS)
        self.mapping_table.setHorizontalHeaderLabels(
            ["Champ", "Colonne du fichier", *["+ colonne (facultatif)"] * (JOINED_COLUMNS - 1)]
        )
        self.mapping_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mapping_table.verticalHeader().hide()
        layout.addWidget(self.mapping_table, 3)
        self.preview_label = QLabel(f"Aperçu des {PREVIEW_ROWS} premières lignes telles qu'elles seront lues :")
        self.preview = QTableWidget(0, 0)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.preview.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview, 2)
        return page

    def _report_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.report = QLabel()
        self.report.setTextFormat(Qt.TextFormat.PlainText)  # never rich text: its notes quote messages and values
        self.report.setWordWrap(True)
        self.problems = QTableWidget(0, 5)
        self.problems.setHorizontalHeaderLabels(["Type", "Ligne", "Champ", "Raison", "Fichier"])
        self.problems.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.replace_box = QCheckBox("Remplacer les données de la couche (sinon : ajouter)")
        layout.addWidget(self.report)
        layout.addWidget(self.problems)
        layout.addWidget(self.replace_box)
        self.replace_box.toggled.connect(lambda _: self.import_result is not None and self.show_report())
        return page

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Fichier à importer",
            str(Path.home()),
            "Tableaux et couches (*.csv *.txt *.xlsx *.geojson *.json *.gpkg *.shp *.zip)",
        )
        if name:
            self.path.setText(name)

    def _go(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.back.setEnabled(index == 1)
        self.next.setText({0: "Suivant >", 1: "Importer", 2: "Ajouter au projet"}[index])

    def _next(self) -> None:
        step = self.pages.currentIndex()
        try:
            if step == 0:
                self.read_columns()
            elif step == 1:
                self.run_import()
            else:
                self.replace = self.replace_box.isChecked()
                self.accept()
        except Exception as e:  # noqa: BLE001 - shown in French, the wizard stays open
            show_error(self, e)

    def selected_kind(self) -> str:
        return self.kind.currentData()

    def read_columns(self) -> None:
        """Read the file's header and propose a mapping (step 1 → 2)."""
        path = Path(self.path.text().strip())
        if not path.is_file():
            raise AmbmapError(f"Le fichier « {path} » n'existe pas : choisissez-le avec « Parcourir… ».")
        from ambmap.io.mapping import guess_combined, targets
        from ambmap.io.tables import GEO_SUFFIXES, read_geofile, read_table

        if path.suffix.lower() not in GEO_SUFFIXES:
            self.table = read_table(path)
        else:
            frame = read_geofile(path)
            self.table = frame.drop(columns=frame.geometry.name)
        self.table.columns = [str(c) for c in self.table.columns]
        self.columns = list(self.table.columns)
        kind = self.selected_kind()
        guess = guess_combined(self.columns, kind)
        schema = SCHEMAS[kind]
        names = [t for t in targets(kind) if t not in ("geocode_score", "a_verifier")]
        self.mapping_table.setRowCount(len(names))
        for row, name in enumerate(names):
            f = schema.field(name) if name in schema.names else None
            text = f.label + (" *" if f.required and f.kind != "bool" else "") if f else EXTRA_TARGETS.get(name, name)
            label = QTableWidgetItem(text)
            label.setData(Qt.ItemDataRole.UserRole, name)
            self.mapping_table.setItem(row, 0, label)
            guessed = guess.get(name) or []
            guessed = [guessed] if isinstance(guessed, str) else guessed
            for part in range(JOINED_COLUMNS):
                box = QComboBox()
                box.addItem("(aucune)", None)
                for column in self.columns:
                    box.addItem(column, column)
                box.setCurrentIndex(max(0, box.findData(guessed[part] if part < len(guessed) else None)))
                box.currentIndexChanged.connect(self.update_preview)
                self.mapping_table.setCellWidget(row, 1 + part, box)
        self.update_preview()
        self._go(1)

    def mapping(self) -> dict[str, str | list[str]]:
        """Field -> column, or the columns it joins in the order chosen."""
        out: dict[str, str | list[str]] = {}
        for row in range(self.mapping_table.rowCount()):
            parts = [self.mapping_table.cellWidget(row, 1 + i).currentData() for i in range(JOINED_COLUMNS)]
            parts = [p for p in parts if p]
            if parts:
                out[self.mapping_table.item(row, 0).data(Qt.ItemDataRole.UserRole)] = (
                    parts[0] if len(parts) == 1 else parts
                )
        return out

    def update_preview(self, *_) -> None:
        """The first rows as the import will read them with the columns chosen now."""
        from ambmap.imports import preview

        if self.table is None:
            return
        shown = preview(self.table, self.selected_kind(), self.mapping(), PREVIEW_ROWS)
        self.preview.clear()
        self.preview.setRowCount(len(shown))
        self.preview.setColumnCount(len(shown.columns))
        self.preview.setHorizontalHeaderLabels([str(c) for c in shown.columns])
        self.preview.setVerticalHeaderLabels([f"ligne {line}" for line in shown.index])
        for i, values in enumerate(shown.itertuples(index=False)):
            for j, value in enumerate(values):
                self.preview.setItem(i, j, QTableWidgetItem(shorten(value)))  # a 1 MB cell: sized to 200 characters

    def run_import(self) -> None:
        """Import in a worker and show what was kept, refused and doubtful (step 2 → 3)."""
        from ambmap.imports import import_file

        self.import_result = run_task(
            self,
            "Import du fichier…",
            import_file,
            Path(self.path.text().strip()),
            self.selected_kind(),
            self.settings,
            mapping=self.mapping(),
            geocode=self.geocode.isChecked(),
            territory=getattr(self.project.layers.get("territory"), "data", None),
        )
        self.show_report()
        self._go(2)

    def show_report(self) -> None:
        """What the project will receive (added, updated, « à placer », with ids) and every line set aside,
        refused or to check, with why."""
        from ambmap.imports import plan_import

        result = self.import_result
        rejected, doubtful, aside = list(result.rejected), list(result.doubtful), list(result.aside)
        plan = plan_import(self.project, result, replace=self.replace_box.isChecked()) if result.kept else None
        head = result.report(plan).split("\n")
        lines = head[: 1 + (len(plan.lines()) if plan else 1)] + list(result.notes)
        if rejected:
            lines.append(
                "Les lignes refusées ne sont pas importées : corrigez-les dans le fichier et importez-le de nouveau."
            )
        self.report.setText("\n".join(lines))
        self.problems.setRowCount(len(aside) + len(rejected) + len(doubtful))
        for row, (kind, problem) in enumerate(
            [("à placer", p) for p in aside]
            + [("refusée", p) for p in rejected]
            + [("à vérifier", p) for p in doubtful]
        ):
            for col, value in enumerate((kind, problem.row, problem.field, problem.reason, problem.file)):
                self.problems.setItem(row, col, QTableWidgetItem("" if value is None else str(value)))
        self.next.setEnabled(result.kept > 0)


# -- settings --------------------------------------------------------------------------------------
class _Minutes(QDoubleSpinBox):
    """« 3 min », « 0,5 min »: no « 3,00 »."""

    def textFromValue(self, value: float) -> str:
        return number(value, 1).removesuffix(",0")


class SettingsDialog(QDialog):
    """Basemap, offline mode and backup frequency; saved to the user's config.toml on OK.

    The coverage radius is a project setting, edited in the coverage panel.
    """

    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Réglages")
        self.basemap = QComboBox()
        for key, label in BASEMAPS.items():
            self.basemap.addItem(label, key)
        self.basemap.setCurrentIndex(max(0, self.basemap.findData(settings.basemap)))
        self.offline = QCheckBox("Mode hors ligne (aucun accès à Internet)")
        self.offline.setChecked(settings.offline)
        self.autosave = _Minutes()
        self.autosave.setRange(0.5, 60)
        self.autosave.setDecimals(1)
        self.autosave.setSingleStep(0.5)
        self.autosave.setSuffix(" min")
        self.autosave.setValue(settings.autosave_minutes)
        form = QFormLayout(self)
        form.addRow("Fond de carte :", self.basemap)
        form.addRow("", self.offline)
        form.addRow("Sauvegarde de secours toutes les :", self.autosave)
        buttons = ok_cancel("Enregistrer")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        try:
            self.settings = save_user_settings(
                self.settings,
                basemap=self.basemap.currentData(),
                offline=self.offline.isChecked(),
                autosave_minutes=float(self.autosave.value()),
            )
        except OSError as e:
            return show_error(
                self,
                AmbmapError(
                    f"Impossible d'enregistrer les réglages ({e.strerror or e}). "
                    "Vérifiez les droits d'écriture du dossier de configuration."
                ),
            )
        super().accept()


# -- about -----------------------------------------------------------------------------------------
def about_html(project: Project) -> str:
    """Version, licence and the attribution of every data source of the project."""
    rows = []
    for layer in project.ordered_layers():
        p = layer.provenance
        source = html.escape(str(p.get("source") or "source inconnue"))
        if str(p.get("url", "")).lower().startswith(("https://", "http://")):  # never javascript: or file:
            source = f'<a href="{html.escape(p["url"])}">{source}</a>'
        when = french_date(p.get("date")) or str(p.get("date") or "")  # « 25/11/2026 »; a bare year stays
        details = ", ".join(html.escape(str(v)) for v in (p.get("licence"), when) if v)
        rows.append(f"<li><b>{html.escape(layer.title)}</b> : {source}{' — ' + details if details else ''}</li>")
    return (
        f"<h3>ambmap {html.escape(__version__)}</h3>"
        "<p>Carte des ambassadeurs·rices de santé dans les quartiers prioritaires de la politique de la ville. "
        "Logiciel libre sous licence MIT.</p>"
        f"<h4>Données du projet « {html.escape(project.name)} »</h4><ul>{''.join(rows)}</ul>"
        "<h4>Fonds de carte</h4><ul>"
        "<li>Plan IGN : © IGN – Géoplateforme, Licence Ouverte 2.0</li>"
        "<li>OpenStreetMap : © les contributeurs d'OpenStreetMap, licence ODbL</li></ul>"
        "<h4>Composants</h4><p>Qt / PySide6 (LGPL), Leaflet et Folium (BSD/MIT), GeoPandas, Shapely, "
        "pyproj, GDAL (BSD/MIT), SciPy et HiGHS (BSD/MIT).</p>"
    )


class TextDialog(QDialog):
    """Our own HTML text in a browser with one « Fermer » button (« À propos », the guide)."""

    def __init__(self, title: str, body: str, size: tuple[int, int], external_links: bool, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(*size)
        self.text = QTextBrowser()
        self.text.setOpenLinks(external_links)
        self.text.setOpenExternalLinks(external_links)
        self.text.setHtml(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Fermer")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)


class AboutDialog(TextDialog):
    def __init__(self, project: Project, parent=None):
        super().__init__("À propos, sources et licences", about_html(project), (620, 520), True, parent)
