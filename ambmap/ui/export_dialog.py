"""Fichier > Exporter… : format, privacy level (explicit, public by default), page layout, file name.

What will be written is shown before it is: page 1 of a PDF/PNG is drawn in the background by the
export's own path (``prepare()`` then the PDF writer) and shown as a thumbnail; the other formats get
a short French description of their layers and of what the level withholds. The choices are
remembered (:mod:`ambmap.ui.user_state`), and a finished export offers to open its folder.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
)

from ambmap.basemap import basemap_path
from ambmap.config import Settings
from ambmap.errors import AmbmapError
from ambmap.export import WRITERS, export
from ambmap.export.common import prepare
from ambmap.export.data import ANALYSIS_LAYERS, QPV_COLUMNS
from ambmap.export.layout import LAYOUTS, LayoutOptions
from ambmap.export.privacy import GRID_SIZE_M, INTERNAL, INTERNAL_MARK, PUBLIC, SECRET_MIN, WITHHELD
from ambmap.export.umap import LEFT_OUT as UMAP_LEFT_OUT
from ambmap.project import Project
from ambmap.render.map import MapOptions
from ambmap.runtime import private_dir
from ambmap.text import file_stem, number
from ambmap.ui.dialogs import browse_row, message, ok_cancel, show_error
from ambmap.ui.listening import listen
from ambmap.ui.user_state import export_choices, export_key, remember_export_choices
from ambmap.ui.workers import run_in_background, run_task

LAYOUT_LABELS = {
    "a4-paysage": "A4 paysage",
    "a4-portrait": "A4 portrait",
    "a3-paysage": "A3 paysage",
    "a3-portrait": "A3 portrait",
}
#: What each format writes, in the words of the person who will open it.
FORMAT_NOTES = {
    "html": "Une page web à ouvrir dans un navigateur : la carte, sa légende et sa recherche.",
    "gpkg": "Un fichier GeoPackage à ouvrir dans QGIS, chaque couche avec les couleurs d'ambmap.",
    "geojson": "Un fichier GeoJSON d'une seule couche, lisible par QGIS, uMap et la plupart des outils.",
    "xlsx": "Un classeur Excel : une ligne par QPV avec ses indicateurs, et l'évolution dans le temps.",
    "csv": "Un tableau CSV : une ligne par QPV avec ses indicateurs.",
    "umap": "Un fichier .umap à importer tel quel dans uMap : couches, fiches et couleurs.",
}
PREVIEW_BOX = QSize(480, 350)  # the thumbnail's room in the dialog (logical pixels)
PREVIEW_DELAY_MS = 400  # a new preview once the choices have stopped changing for this long
CURRENT_VIEW = "vue"  # the remembered extent when it was the map's current view (its box changes)
log = logging.getLogger(__name__)
#: matplotlib's figure registry and rc settings are process-wide: one page is drawn at a time
_DRAWING = threading.Lock()


def describe_level(project: Project, level: str) -> str:
    """What the level puts in the file, or keeps out of it, in plain French."""
    if level == INTERNAL:
        return (
            "Niveau interne : noms, adresses et domiciles exacts sont écrits. Le document porte la mention "
            f"« {INTERNAL_MARK} » et ne doit pas quitter le service."
        )
    hidden = ""
    for layer in project.ordered_layers():
        fields = [layer.schema.field(name).label.lower() for name in layer.schema.private_fields]
        if fields and len(layer):
            hidden += (
                f" {layer.title} sans {', '.join(fields)}, chaque point au centre de son carreau "
                f"de {number(GRID_SIZE_M)} m."
            )
    return (
        f"Niveau public : aucune donnée personnelle.{hidden} Les comptes de moins de {SECRET_MIN} personnes "
        f"s'affichent « {WITHHELD} » (secret statistique), les langues ne sont pas publiées par QPV, "
        "les chiffres sont arrondis."
    )


def describe_export(
    project: Project, fmt: str, level: str, layer: str | None, recommended: bool, basemap_ready: bool = False
) -> str:
    """The short French description of a file without pages: what it is, its layers, its level."""
    lines = [FORMAT_NOTES.get(fmt, WRITERS[fmt].label)]
    if fmt == "html":
        lines[0] += (
            " Le fond de carte préparé hors ligne y est inclus : elle s'ouvre sans réseau."
            if basemap_ready
            else " Sans réseau, les couches s'affichent sur un fond blanc (Fichier > Fond de carte hors ligne… "
            "pour l'inclure)."
        )
    if fmt in ("xlsx", "csv"):
        qpv = project.layers.get("qpv")
        lines.append(f"{len(qpv) if qpv is not None else 0} QPV ; colonnes : {', '.join(QPV_COLUMNS.values())}.")
    elif WRITERS[fmt].uses_layer and layer:
        count = f" : {number(len(project.layer(layer)))}" if layer in project.layers else ""
        lines.append(f"Couche : {ANALYSIS_LAYERS.get(layer) or project.layer(layer).title}{count}")
    else:
        left_out = UMAP_LEFT_OUT if fmt == "umap" else ()
        names = [
            f"{item.title}{_count(item)}"
            for item in project.ordered_layers()
            if len(item) and item.kind not in left_out
        ]
        if fmt in ("gpkg", "umap"):  # with the analysis, as ambmap.export.data.layer_frames
            names += [
                title
                for name, title in ANALYSIS_LAYERS.items()
                if (name != "zones_ambassadeurs" or level == INTERNAL)
                and (name != "recrutement_propose" or recommended)
            ]
        lines.append("Couches :\n" + "\n".join(f"• {name}" for name in names))
    lines.append(describe_level(project, level))
    return "\n\n".join(lines)


def _count(layer) -> str:
    return f" : {number(len(layer))}" if len(layer) > 1 else ""


def describe_pages(project: Project, fmt: str, layout: LayoutOptions) -> str:
    """The caption under the thumbnail: which page it is and what follows it in the file."""
    if layout.bilan:
        return "Le bilan d'une page pour le contrat de ville, tel qu'il sera écrit."
    if fmt == "png":
        return "L'image de cette page (PNG, 300 dpi), telle qu'elle sera écrite."
    following = []
    if layout.atlas:
        qpv = project.layers.get("qpv")
        following.append(f"une page par QPV ({len(qpv) if qpv is not None else 0})")
    if layout.table:
        following.append("le tableau des indicateurs par QPV")
    then = f", puis {' et '.join(following)}" if following else ""
    return f"Page 1 telle qu'elle sera écrite{then}."


def render_page_one(prepared, layout: LayoutOptions, folder: Path, box: QSize, progress=None) -> QImage:
    """Page 1 of the PDF that ``layout`` writes from ``prepared``, as an image fitting ``box``.

    The very writer of the export draws it (without the table and atlas pages, which come after
    page 1); the PDF is written in ``folder`` (private) and deleted at once, even at the internal level.
    """
    from PySide6.QtPdf import QPdfDocument  # on demand: most dialogs never draw a preview

    with _DRAWING:
        if progress:
            progress(1, 3, "Mise en page…")  # cancelled while waiting for the lock: stop here
        path = folder / "apercu.pdf"
        try:
            WRITERS["pdf"].write(
                prepared,
                path,
                layout=dataclasses.replace(layout, table=False, atlas=False),
                layer=None,
                map_options=None,
                basemap_file=None,
            )
            if progress:
                progress(2, 3, "Aperçu…")
            document = QPdfDocument(None)
            if document.load(str(path)) != QPdfDocument.Error.None_:
                raise AmbmapError("L'aperçu de la page n'a pas pu être lu (le fichier exporté, lui, le sera).")
            page = document.pagePointSize(0)
            scale = min(box.width() / page.width(), box.height() / page.height())
            image = document.render(0, QSize(round(page.width() * scale), round(page.height() * scale)))
            document.close()
        finally:
            path.unlink(missing_ok=True)
    return image


def _framed(image: QImage, ratio: float) -> QPixmap:
    """The page on the dialog's background, edged with a thin grey line as a sheet of paper."""
    pixmap = QPixmap.fromImage(image)
    painter = QPainter(pixmap)
    painter.setPen(QColor("#8a8f99"))
    painter.drawRect(0, 0, pixmap.width() - 1, pixmap.height() - 1)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _preview(cached, project, level, coverage, recommendation, layout, folder, box, progress=None):
    """(Prepared, image): the level's Prepared is reused while only the page's choices change."""
    prepared = cached
    if prepared is None:
        prepared = prepare(project, level, coverage=coverage, recommendation=recommendation, progress=progress)
    return prepared, render_page_one(prepared, layout, folder, box, progress)


def _export_drawing(*args, **kwargs):
    """:func:`ambmap.export.export`, never while a preview draws (matplotlib is process-wide)."""
    with _DRAWING:
        return export(*args, **kwargs)


class ExportDialog(QDialog):
    """Choose what to export and how; the export itself runs in a worker thread with progress."""

    def __init__(self, session, parent=None):
        """Exports ``session``'s project (``ambmap.session.Session``) with its current results."""
        super().__init__(parent)
        self.setWindowTitle("Exporter")
        self.session = session
        self.project: Project = session.project
        self.settings: Settings = session.settings
        self.result_path: Path | None = None
        self.preview_image: QImage | None = None  # the last page drawn (tests read it)
        self._preview_task = None
        self._prepared: dict[str, object] = {}  # level → Prepared, while the data stays the same
        self._preview_folder: Path | None = None

        self.format = QComboBox()
        for fmt, writer in WRITERS.items():
            self.format.addItem(writer.label, fmt)
        self.layer = QComboBox()
        self.layer_label = QLabel("Couche :")
        self.output = QLineEdit()
        form = QFormLayout()
        form.addRow("Format :", self.format)
        form.addRow(self.layer_label, self.layer)
        form.addRow("Fichier :", browse_row(self.output, "Choisir…", self._choose_output))

        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self._level_box())
        left.addWidget(self._print_box(parent))
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self._preview_box())

        buttons = ok_cancel("Exporter", "Fermer")
        self.export_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.run_export)
        buttons.rejected.connect(self.reject)
        main = QVBoxLayout(self)
        main.addLayout(body)
        bottom = QHBoxLayout()  # the confirmation beside the buttons: the dialog keeps its height
        bottom.addWidget(self._done_box(), 1)
        bottom.addWidget(buttons, 0, Qt.AlignmentFlag.AlignBottom)
        main.addLayout(bottom)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._start_preview)
        self._restore(export_choices(self.settings, export_key(self.project)))
        self.format.currentIndexChanged.connect(self._format_changed)
        for signal in (
            self.layer.currentIndexChanged,
            self.internal.toggled,
            self.layout_choice.currentIndexChanged,
            self.extent.currentIndexChanged,
            self.title.textChanged,
            self.subtitle.textChanged,
            self.logo.editingFinished,
            self.table.toggled,
            self.bilan.toggled,
            self.atlas.toggled,
        ):
            signal.connect(self._choices_changed)
        self._choices_changed()
        forget = listen(
            self,
            (session.recommendation_changed, self._results_changed),  # « recrutement proposé » or not
            (session.coverage_changed, self._results_changed),
        )
        self.finished.connect(forget)  # closed: the window keeps the dialog, the session forgets it

    # -- building ------------------------------------------------------------------------------------
    def _level_box(self) -> QGroupBox:
        self.public = QRadioButton("Public — sans noms, adresses ni domiciles (recommandé)")
        self.internal = QRadioButton("Interne — avec les données personnelles, à ne pas diffuser")
        self.public.setChecked(True)
        levels = QButtonGroup(self)
        levels.addButton(self.public)
        levels.addButton(self.internal)
        self.level_note = QLabel(f"Le document portera la mention « {INTERNAL_MARK} ».")
        self.level_note.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.level_note.setWordWrap(True)
        self.internal.toggled.connect(self.level_note.setVisible)
        self.level_note.setVisible(False)
        box = QGroupBox("Niveau de diffusion")
        layout = QVBoxLayout(box)
        for widget in (self.public, self.internal, self.level_note):
            layout.addWidget(widget)
        return box

    def _print_box(self, parent) -> QGroupBox:
        self.layout_choice = QComboBox()
        for key in LAYOUTS:
            self.layout_choice.addItem(LAYOUT_LABELS[key], key)
        self.extent = QComboBox()
        self.extent.addItem("Tout le territoire", "territoire")
        qpv = self.project.layers.get("qpv")
        for row in qpv.data.itertuples() if qpv is not None else []:
            self.extent.addItem(f"QPV {row.nom_qp} ({row.code_qp})", row.code_qp)
        bounds = self._current_map_bounds(parent)
        if bounds:
            self.extent.addItem("Vue actuelle de la carte", bounds)
        self.title = QLineEdit()
        self.title.setPlaceholderText(f"Ambassadeurs·rices de santé — {self.project.name}")
        self.subtitle = QLineEdit()
        self.subtitle.setPlaceholderText("facultatif")
        self.logo = QLineEdit()
        self.logo.setPlaceholderText("facultatif : image PNG ou JPEG")
        self.table = QCheckBox("Tableau des indicateurs de tous les QPV après la carte (PDF du territoire)")
        self.atlas = QCheckBox("Atlas (une page par QPV) (PDF)")
        self.bilan = QCheckBox("Bilan d'une page pour le contrat de ville (PDF A4)")
        self.bilan.setToolTip("Chiffres, carte, évolution et suivi sur une page A4 à la place de la carte.")
        self.bilan.toggled.connect(self._pdf_options)
        self.print_box = QGroupBox("Mise en page")
        form = QFormLayout(self.print_box)
        form.addRow("Format de page :", self.layout_choice)
        form.addRow("Emprise :", self.extent)
        form.addRow("Titre :", self.title)
        form.addRow("Sous-titre :", self.subtitle)
        logo_row = browse_row(self.logo, "Choisir…", self._choose_logo)
        self.logo_button = logo_row.itemAt(1).widget()
        form.addRow("Logo :", logo_row)
        for box in (self.table, self.atlas, self.bilan):
            form.addRow("", box)
        return self.print_box

    def _preview_box(self) -> QGroupBox:
        box = QGroupBox("Ce qui sera écrit")
        layout = QVBoxLayout(box)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_BOX)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_state = QLabel()
        self.preview_state.setStyleSheet("color: #4a4f5c;")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        for label in (self.preview_state, self.description):  # data text (layer titles) shown as typed
            label.setTextFormat(Qt.TextFormat.PlainText)
        # in a scroll area: a wrapped label's height would else squeeze the page above it
        scroll = QScrollArea()
        scroll.setWidget(self.description)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.viewport().setAutoFillBackground(False)  # on the group's background, as the page above
        self.description.setAutoFillBackground(False)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(PREVIEW_BOX.width())
        scroll.setMinimumHeight(140)
        layout.addWidget(self.preview)
        layout.addWidget(self.preview_state)
        layout.addWidget(scroll, 1)
        return box

    def _done_box(self) -> QFrame:
        self.done_box = QFrame()
        self.done_box.setStyleSheet(
            "QFrame { background: #e3f1e8; border: 1px solid #5f9e77; border-radius: 4px; }"
            "QLabel { border: none; color: #1d4d2f; }"
        )
        self.done_label = QLabel()
        self.done_label.setTextFormat(Qt.TextFormat.PlainText)  # a file name is no link
        self.done_label.setWordWrap(True)
        self.open_folder_button = QPushButton("Ouvrir le dossier")
        self.open_folder_button.clicked.connect(self.open_folder)
        row = QHBoxLayout(self.done_box)
        row.addWidget(self.done_label, 1)
        row.addWidget(self.open_folder_button)
        self.done_box.setVisible(False)
        return self.done_box

    @staticmethod
    def _current_map_bounds(parent) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) shown by the main window's map, when there is one."""
        view = getattr(parent, "map", None)
        if view is None or not getattr(view, "is_ready", False):
            return None
        try:
            bounds = view.run_js("ambmap.map.getBounds().toBBoxString()")
        except TimeoutError:
            return None
        return tuple(float(v) for v in bounds.split(",")) if bounds else None

    # -- choices -------------------------------------------------------------------------------------
    def _fill_layers(self) -> None:
        self.layer.blockSignals(True)
        self.layer.clear()
        if self.format.currentData() == "gpkg":
            self.layer.addItem("Toutes les couches et l'analyse", None)
        for layer in self.project.ordered_layers():
            if len(layer):
                self.layer.addItem(layer.title, layer.kind)
        for name, title in ANALYSIS_LAYERS.items():
            if name != "zones_ambassadeurs" and (
                name != "recrutement_propose" or self.session.recommendation is not None
            ):
                self.layer.addItem(title, name)
        self.layer.setCurrentIndex(max(0, self.layer.findData("qpv")) if self.format.currentData() == "geojson" else 0)
        self.layer.blockSignals(False)

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        writer = WRITERS[fmt]
        self.print_box.setVisible(writer.uses_layout)
        self._pdf_options()
        self._fill_layers()
        self.layer.setVisible(writer.uses_layer)
        self.layer_label.setVisible(writer.uses_layer)
        if writer.public_only:
            self.public.setChecked(True)
        self.internal.setEnabled(not writer.public_only)
        text = self.output.text().strip()
        if text:
            self.output.setText(str(Path(text).with_suffix(writer.suffix)))
        else:
            self.output.setText(str(Path.home() / f"{self._file_name()}{writer.suffix}"))
        self._choices_changed()

    def _pdf_options(self) -> None:
        """Table, atlas and bilan are PDF documents; the bilan replaces the map pages (an A4 page of its
        own, without logo: what it does not read is greyed)."""
        pdf = self.format.currentData() == "pdf"
        bilan = pdf and self.bilan.isChecked()
        self.bilan.setEnabled(pdf)
        self.table.setEnabled(pdf and not bilan)
        self.atlas.setEnabled(pdf and not bilan)
        for widget in (self.layout_choice, self.logo, self.logo_button):
            widget.setEnabled(not bilan)

    def _file_name(self) -> str:
        return f"ambmap-{file_stem(self.project.name, 'carte')}"

    def _choose_output(self) -> None:
        fmt = self.format.currentData()
        path, _ = QFileDialog.getSaveFileName(
            self, "Enregistrer l'export", self.output.text(), f"{WRITERS[fmt].label} (*{WRITERS[fmt].suffix})"
        )
        if path:
            self.output.setText(path)

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choisir un logo", "", "Images (*.png *.jpg *.jpeg)")
        if path:
            self.logo.setText(path)
            self._choices_changed()

    def level(self) -> str:
        return INTERNAL if self.internal.isChecked() else PUBLIC

    def layout_options(self) -> LayoutOptions:
        pdf = self.format.currentData() == "pdf"
        logo = self.logo.text().strip()
        return LayoutOptions(
            layout=self.layout_choice.currentData(),
            extent=self.extent.currentData(),
            title=self.title.text().strip() or None,
            subtitle=self.subtitle.text().strip() or None,
            logo=Path(logo) if logo else None,
            table=self.table.isEnabled() and self.table.isChecked(),
            bilan=pdf and self.bilan.isChecked(),
            atlas=self.atlas.isEnabled() and self.atlas.isChecked(),
        )

    def options(self) -> dict:
        """The keyword arguments of :func:`ambmap.export.export` chosen in the dialog."""
        fmt = self.format.currentData()
        prepared = basemap_path(self.settings, self.project)  # embedded in the HTML when prepared beforehand
        return {
            "fmt": fmt,
            "level": self.level(),
            "layout": self.layout_options(),
            "layer": self.layer.currentData() if WRITERS[fmt].uses_layer else None,
            "map_options": MapOptions.from_settings(self.settings),
            "basemap_file": prepared if prepared.exists() else None,
        }

    # -- remembered choices ----------------------------------------------------------------------------
    def choices(self) -> dict:
        """What the next dialog opens with (:func:`ambmap.ui.user_state.remember_export_choices`)."""
        extent = self.extent.currentData()
        output = self.output.text().strip()
        return {
            "format": self.format.currentData(),
            "layout": self.layout_choice.currentData(),
            "extent": CURRENT_VIEW if isinstance(extent, tuple) else extent,
            "title": self.title.text().strip(),
            "subtitle": self.subtitle.text().strip(),
            "logo": self.logo.text().strip(),
            "table": self.table.isChecked(),
            "bilan": self.bilan.isChecked(),
            "atlas": self.atlas.isChecked(),
            **({"folder": str(Path(output).parent)} if output else {}),
        }

    def _restore(self, choices: dict) -> None:
        """Put back the last choices; one no longer offered (a QPV gone, a layout renamed) is skipped."""
        for combo, key in ((self.format, "format"), (self.layout_choice, "layout")):
            index = combo.findData(choices.get(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        self._format_changed()
        extent = choices.get("extent")
        for i in range(self.extent.count()):
            data = self.extent.itemData(i)
            if data == extent or (extent == CURRENT_VIEW and isinstance(data, tuple)):
                self.extent.setCurrentIndex(i)
        self.title.setText(choices.get("title", ""))
        self.subtitle.setText(choices.get("subtitle", ""))
        self.logo.setText(choices.get("logo", ""))
        for box, key in ((self.table, "table"), (self.bilan, "bilan"), (self.atlas, "atlas")):
            box.setChecked(choices.get(key, False))
        folder = Path(choices["folder"]) if "folder" in choices else None
        if folder is not None and folder.is_dir():
            self.output.setText(str(folder / f"{self._file_name()}{WRITERS[self.format.currentData()].suffix}"))

    def done(self, result: int) -> None:
        """Closing: the preview stops (no thread outlives the dialog) and the choices are kept."""
        self._preview_timer.stop()
        self._stop_preview(wait=True)
        remember_export_choices(self.settings, export_key(self.project), self.choices())
        super().done(result)

    # -- preview -------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._choices_changed()

    def _results_changed(self, *_) -> None:
        self._prepared.clear()  # the coverage or the recommendation changed: prepare again
        self._fill_layers()
        self._choices_changed()

    def _choices_changed(self, *_) -> None:
        """Describe the file at once; a page is drawn again once the choices rest (debounced)."""
        fmt = self.format.currentData()
        if WRITERS[fmt].uses_layout:
            self.description.setText(
                describe_pages(self.project, fmt, self.layout_options())
                + "\n\n"
                + describe_level(self.project, self.level())
            )
            self.preview.setVisible(True)
            self.preview_state.setVisible(True)
            if self.isVisible():
                self._stop_preview()
                self.preview_state.setText("Aperçu en préparation…")
                self._preview_timer.start()
            return
        self._preview_timer.stop()
        self._stop_preview()
        self.preview.setVisible(False)
        self.preview_state.setVisible(False)
        self.description.setText(
            describe_export(
                self.project,
                fmt,
                self.level(),
                self.layer.currentData(),
                recommended=self.session.recommendation is not None,
                basemap_ready=basemap_path(self.settings, self.project).exists(),
            )
        )

    def _stop_preview(self, wait: bool = False) -> None:
        task, self._preview_task = self._preview_task, None
        if task is not None:
            task.cancel()  # its result is never delivered; it stops at its next step
            if wait:
                task.wait()

    def _start_preview(self) -> None:
        if not self.isVisible() or not WRITERS[self.format.currentData()].uses_layout:
            return
        if self._preview_folder is None:
            self._preview_folder = private_dir(self.settings, "apercu")
        level = self.level()
        ratio = self.devicePixelRatioF()
        box = QSize(round(PREVIEW_BOX.width() * ratio), round(PREVIEW_BOX.height() * ratio))
        task = self._preview_task = run_in_background(
            _preview,
            self._prepared.get(level),
            self.project,
            level,
            self.session.coverage,
            self.session.recommendation,
            self.layout_options(),
            self._preview_folder,
            box,
        )
        task.done.connect(lambda result: self._preview_done(task, level, result))
        task.failed.connect(lambda error: self._preview_failed(task, error))

    def _preview_done(self, task, level: str, result) -> None:
        if task is not self._preview_task:
            return
        self._preview_task = None
        prepared, image = result
        self._prepared[level] = prepared
        self.preview_image = image
        self.preview.setPixmap(_framed(image, self.devicePixelRatioF()))
        self.preview_state.setText("Aperçu à jour.")

    def _preview_failed(self, task, error: BaseException) -> None:
        if task is not self._preview_task:
            return
        self._preview_task = None
        self.preview.clear()
        self.preview_image = None
        if isinstance(error, AmbmapError):
            reason = error.message
        else:
            log.error("aperçu de l'export impossible", exc_info=error)
            reason = "erreur inattendue (voir le journal)"
        self.preview_state.setText(f"Aperçu impossible : {reason}")

    # -- export --------------------------------------------------------------------------------------
    def run_export(self) -> None:
        if not self.output.text().strip():
            QMessageBox.warning(self, "Exporter", "Choisissez d'abord le fichier à écrire.")
            return
        chosen = self.options()
        self._stop_preview()
        try:
            self.result_path = run_task(
                self,
                "Export en cours…",
                _export_drawing,
                self.project,
                chosen.pop("fmt"),
                Path(self.output.text().strip()),
                coverage=self.session.coverage,
                recommendation=self.session.recommendation,
                **chosen,
            )
        except Exception as e:  # noqa: BLE001 - every error is shown to the user in French
            show_error(self, e)
            return
        finally:
            self._choices_changed()  # the preview stopped for the export: draw it again
        level = "interne" if chosen["level"] == INTERNAL else "public"
        self.done_label.setText(
            f"✓ Export enregistré (niveau {level}) : {self.result_path.name}\ndans {self.result_path.parent}"
        )
        self.done_box.setVisible(True)
        self.open_folder_button.setFocus()

    def open_folder(self) -> None:
        """Show the folder of the last export in the system's file manager."""
        if self.result_path is None:
            return
        folder = self.result_path.parent
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            message(self, "Exporter", f"Le dossier « {folder} » n'a pas pu être ouvert.", QMessageBox.Icon.Warning)
