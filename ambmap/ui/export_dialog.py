"""Fichier > Exporter… : format, privacy level (explicit, public by default), page layout, file name."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
)

from ambmap.basemap import basemap_path
from ambmap.config import Settings
from ambmap.export import WRITERS, export
from ambmap.export.data import ANALYSIS_LAYERS
from ambmap.export.layout import LAYOUTS, LayoutOptions
from ambmap.export.privacy import INTERNAL, INTERNAL_MARK, PUBLIC
from ambmap.project import Project
from ambmap.render.map import MapOptions
from ambmap.text import file_stem
from ambmap.ui.dialogs import browse_row, ok_cancel, show_error
from ambmap.ui.listening import listen
from ambmap.ui.workers import run_task

LAYOUT_LABELS = {
    "a4-paysage": "A4 paysage",
    "a4-portrait": "A4 portrait",
    "a3-paysage": "A3 paysage",
    "a3-portrait": "A3 portrait",
}


class ExportDialog(QDialog):
    """Choose what to export and how; the export itself runs in a worker thread with progress."""

    def __init__(self, session, parent=None):
        """Exports ``session``'s project (``ambmap.session.Session``) with its current results."""
        super().__init__(parent)
        self.setWindowTitle("Exporter")
        self.setMinimumWidth(560)
        self.session = session
        self.project: Project = session.project
        self.settings: Settings = session.settings
        project = self.project
        self.result_path: Path | None = None

        self.format = QComboBox()
        for fmt, writer in WRITERS.items():
            self.format.addItem(writer.label, fmt)
        self.public = QRadioButton("Public — sans noms, adresses ni domiciles (recommandé)")
        self.internal = QRadioButton("Interne — avec les données personnelles, à ne pas diffuser")
        self.public.setChecked(True)
        levels = QButtonGroup(self)
        levels.addButton(self.public)
        levels.addButton(self.internal)
        self.level_note = QLabel(f"Le document portera la mention « {INTERNAL_MARK} ».")
        self.level_note.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.internal.toggled.connect(self.level_note.setVisible)
        self.level_note.setVisible(False)
        level_box = QGroupBox("Niveau de diffusion")
        level_layout = QVBoxLayout(level_box)
        for widget in (self.public, self.internal, self.level_note):
            level_layout.addWidget(widget)

        self.layout_choice = QComboBox()
        for key in LAYOUTS:
            self.layout_choice.addItem(LAYOUT_LABELS[key], key)
        self.extent = QComboBox()
        self.extent.addItem("Tout le territoire", "territoire")
        qpv = project.layers.get("qpv")
        for row in qpv.data.itertuples() if qpv is not None else []:
            self.extent.addItem(f"QPV {row.nom_qp} ({row.code_qp})", row.code_qp)
        bounds = self._current_map_bounds(parent)
        if bounds:
            self.extent.addItem("Vue actuelle de la carte", bounds)
        self.title = QLineEdit()
        self.title.setPlaceholderText(f"Ambassadeurs·rices de santé — {project.name}")
        self.subtitle = QLineEdit()
        self.logo = QLineEdit()
        self.logo.setPlaceholderText("facultatif : image PNG ou JPEG")
        logo_row = browse_row(self.logo, "Choisir…", self._choose_logo)
        self.table = QCheckBox("Ajouter le tableau des indicateurs par QPV en page 2 (PDF)")
        self.bilan = QCheckBox("Bilan d'une page pour le contrat de ville (PDF A4 : chiffres, carte, évolution, suivi)")
        self.print_box = QGroupBox("Mise en page")
        print_form = QFormLayout(self.print_box)
        print_form.addRow("Format de page :", self.layout_choice)
        print_form.addRow("Emprise :", self.extent)
        print_form.addRow("Titre :", self.title)
        print_form.addRow("Sous-titre :", self.subtitle)
        print_form.addRow("Logo :", logo_row)
        print_form.addRow("", self.table)
        print_form.addRow("", self.bilan)

        self.layer = QComboBox()
        self.layer_label = QLabel("Couche :")
        self._fill_layers()

        self.output = QLineEdit()
        output_row = browse_row(self.output, "Choisir…", self._choose_output)

        form = QFormLayout()
        form.addRow("Format :", self.format)
        form.addRow(self.layer_label, self.layer)
        form.addRow("Fichier :", output_row)
        buttons = ok_cancel("Exporter", "Fermer")
        self.export_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.run_export)
        buttons.rejected.connect(self.reject)
        main = QVBoxLayout(self)
        main.addLayout(form)
        main.addWidget(level_box)
        main.addWidget(self.print_box)
        main.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()
        forget = listen(self, (session.recommendation_changed, self._fill_layers))  # « recrutement proposé » or not
        self.finished.connect(forget)  # closed: the window keeps the dialog, the session forgets it

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

    def _fill_layers(self) -> None:
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

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        writer = WRITERS[fmt]
        self.print_box.setVisible(writer.uses_layout)
        self.table.setEnabled(fmt == "pdf")
        self.bilan.setEnabled(fmt == "pdf")
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
            self.output.setText(str(Path.home() / f"ambmap-{file_stem(self.project.name, 'carte')}{writer.suffix}"))

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

    def options(self) -> dict:
        """The keyword arguments of :func:`ambmap.export.export` chosen in the dialog."""
        layout = LayoutOptions(
            layout=self.layout_choice.currentData(),
            extent=self.extent.currentData(),
            title=self.title.text().strip() or None,
            subtitle=self.subtitle.text().strip() or None,
            logo=Path(self.logo.text().strip()) if self.logo.text().strip() else None,
            table=self.table.isChecked() and self.format.currentData() == "pdf",
            bilan=self.bilan.isChecked() and self.format.currentData() == "pdf",
        )
        fmt = self.format.currentData()
        prepared = basemap_path(self.settings, self.project)  # embedded in the HTML when prepared beforehand
        return {
            "fmt": fmt,
            "level": INTERNAL if self.internal.isChecked() else PUBLIC,
            "layout": layout,
            "layer": self.layer.currentData() if WRITERS[fmt].uses_layer else None,
            "map_options": MapOptions.from_settings(self.settings),
            "basemap_file": prepared if prepared.exists() else None,
        }

    def run_export(self) -> None:
        if not self.output.text().strip():
            QMessageBox.warning(self, "Exporter", "Choisissez d'abord le fichier à écrire.")
            return
        chosen = self.options()
        try:
            self.result_path = run_task(
                self,
                "Export en cours…",
                export,
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
        level = "interne" if chosen["level"] == INTERNAL else "public"
        QMessageBox.information(self, "Exporter", f"Export enregistré (niveau {level}) :\n{self.result_path}")
        self.accept()
