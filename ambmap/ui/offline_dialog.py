"""« Préparer pour une présentation hors ligne » : download the territory's Plan IGN basemap once.

The size is estimated before anything is downloaded; the download runs in a worker with progress and
« Annuler ». Only Plan IGN (Géoplateforme) is offered: the OpenStreetMap tile servers forbid bulk
download. The presentation mode then serves the tiles locally.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QMessageBox, QSpinBox, QVBoxLayout

from ambmap import text
from ambmap.basemap import DEFAULT_ZOOMS, basemap_path, estimate, mbtiles_info, prepare_offline_basemap
from ambmap.config import Settings
from ambmap.project import Project
from ambmap.ui.dialogs import ok_cancel, show_error
from ambmap.ui.workers import run_task

ZOOM_HINTS = {11: "toute l'agglomération", 13: "la ville", 15: "le quartier", 17: "la rue"}


class OfflineBasemapDialog(QDialog):
    """Zoom range, size estimate, state of the file already prepared, and the download button."""

    def __init__(self, project: Project, settings: Settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Préparer pour une présentation hors ligne")
        self.project, self.settings = project, settings
        self.path = basemap_path(settings, project)
        intro = QLabel(
            "Le fond de carte Plan IGN (Géoplateforme, Licence Ouverte) du territoire « "
            f"{project.name} » est téléchargé une fois puis utilisé sans réseau par le mode "
            "présentation. Le fond OpenStreetMap ne peut pas être téléchargé ainsi : ses conditions "
            "d'utilisation l'interdisent."
        )
        intro.setWordWrap(True)
        self.zoom_min, self.zoom_max = QSpinBox(), QSpinBox()
        for box, value in ((self.zoom_min, DEFAULT_ZOOMS.start), (self.zoom_max, DEFAULT_ZOOMS.stop - 1)):
            box.setRange(8, 18)
            box.setValue(value)
            box.valueChanged.connect(self._update_estimate)
        self.estimate_label = QLabel()
        self.state = QLabel()
        self.state.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Zoom le plus large :", self.zoom_min)
        form.addRow("Zoom le plus détaillé :", self.zoom_max)
        form.addRow("Taille estimée :", self.estimate_label)
        form.addRow("Déjà préparé :", self.state)
        buttons = ok_cancel("Télécharger", "Fermer")
        self.download_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.download)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._update_estimate()
        self._update_state()

    def zooms(self) -> range:
        low, high = sorted((self.zoom_min.value(), self.zoom_max.value()))
        return range(low, high + 1)

    def _update_estimate(self) -> None:
        try:
            count, size = estimate(self.project, self.zooms())
        except Exception as e:  # noqa: BLE001 - a project without territory: say so in the dialog
            self.estimate_label.setText(getattr(e, "message", str(e)))
            self.download_button.setEnabled(False)
            return
        hint = ZOOM_HINTS.get(self.zooms().stop - 1, "")
        self.estimate_label.setText(
            f"{count} tuiles, environ {max(1, round(size / 1e6))} Mo" + (f" (détail : {hint})" if hint else "")
        )
        self.download_button.setEnabled(True)

    def _update_state(self) -> None:
        if not self.path.exists():
            self.state.setText("non : la présentation utilisera le fond en ligne (ou aucun fond sans réseau).")
            return
        info = mbtiles_info(self.path)
        when = text.date(dt.datetime.fromtimestamp(self.path.stat().st_mtime))
        self.state.setText(
            f"oui, le {when} : {info['tiles']} tuiles, zooms {info.get('minzoom')} à "
            f"{info.get('maxzoom')} ({text.number(self.path.stat().st_size / 1e6)} Mo, {self.path})."
        )

    def download(self) -> None:
        try:
            run_task(
                self,
                "Téléchargement du fond de carte…",
                prepare_offline_basemap,
                self.project,
                self.settings,
                self.zooms(),
            )
        except Exception as e:  # noqa: BLE001 - every error is shown to the user in French
            show_error(self, e)
            return
        self._update_state()
        QMessageBox.information(
            self, self.windowTitle(), "Le fond de carte est prêt : le mode présentation (F5) fonctionnera sans réseau."
        )
