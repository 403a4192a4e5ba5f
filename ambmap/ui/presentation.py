"""Presentation mode (F5) for Atelier Santé Ville meetings: full screen slides over the live map.

Slides are saved map views with a title and a caption, stored in the project
(``project.options["slides"]``, each ``{"title", "caption", "view": {"name", "lat", "lon", "zoom",
"visible", "overlay"}}``). The map is drawn once, from the *public* copy of the project (meetings are
open to partners), and each slide only moves the view and toggles layers, so changing slides is
instant. Right/PageDown/Space go forward (clickers send PageDown/PageUp), Left/PageUp go back,
E composes slides from the current view, Escape leaves. When the territory's basemap was prepared
for offline use it is served locally: the whole show works with no network.

The window shows a session (``ambmap.session``) and listens to it: a new recommendation is drawn, new
slides are shown, another project closes the show. The public copy and its figures are computed in a
worker (``ui.workers.run_task``), not on the GUI thread.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ambmap.basemap import TileServer
from ambmap.config import Settings
from ambmap.export.common import prepare
from ambmap.export.privacy import snap_to_grid
from ambmap.layers import SCHEMAS
from ambmap.project import DEMO_LABEL, Project
from ambmap.render import symbology
from ambmap.render.map import MapOptions
from ambmap.session import Session
from ambmap.ui.dialogs import show_error
from ambmap.ui.listening import listen
from ambmap.ui.map_view import MapView
from ambmap.ui.workers import run_task

OVERLAYS = {
    "none": "Aucune analyse",
    "coverage": "Couverture actuelle",
    "gaps": "Zones non couvertes",
    "recommendation": "Recrutements proposés",
}
#: Map kinds each overlay shows (the others are hidden).
OVERLAY_KINDS = {
    "none": set(),
    "coverage": {"coverage", "pole_coverage"},
    "gaps": {"gaps"},
    "recommendation": {"recommendation", "recommendation_zones"},
}
ANALYSIS_KINDS = {"coverage", "pole_coverage", "gaps", "recommendation", "recommendation_zones"}
NEXT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space)
PREVIOUS_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_PageUp)


def _public_centre(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) moved to the centre of its 200 m square, like the ambassadors of the public copy."""
    import geopandas as gpd
    from shapely.geometry import Point

    centre = snap_to_grid(gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326")).iloc[0]
    return centre.y, centre.x


#: The overview slide: the territory filling the map at its current size (Leaflet told the size changed first).
FIT_TERRITORY = (
    "window.ambmap && ambmap.ready && ambmap.map && ambmap.layers.territory && "
    "(ambmap.map.invalidateSize(false), ambmap.map.fitBounds(ambmap.layers.territory.getBounds(), "
    "{padding: [20, 20], animate: false}));"
)


def slides_of(project: Project) -> list[dict]:
    """The project's slides (a copy), or one overview slide when none was composed yet."""
    slides = copy.deepcopy(project.options.get("slides") or [])
    if slides:
        return slides
    return [
        {
            "title": f"Ambassadeurs·rices de santé — {project.name}",
            "caption": "Appuyez sur E pour composer les diapositives à partir de la vue actuelle.",
            "view": None,
        }
    ]


class PresentationWindow(QWidget):
    """Full screen slides: a large title band, the map, a caption band; keyboard and clicker driven."""

    slide_changed = Signal(int)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        project, settings = session.project, session.settings
        self.setWindowTitle(f"Présentation — {project.name}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowState(Qt.WindowState.WindowFullScreen)  # show() then fills the screen (projector)
        self.session, self.project, self.settings = session, project, settings
        self.index = 0
        self.tiles: TileServer | None = None
        self.setStyleSheet(
            f"PresentationWindow, QLabel#title, QLabel#caption {{ background: {symbology.INK}; color: white; }}"
        )
        self.title = QLabel(objectName="title")
        self.title.setFont(QFont(self.font().family(), 30, QFont.Weight.Bold))
        self.title.setWordWrap(True)
        self.caption = QLabel(objectName="caption")
        self.caption.setFont(QFont(self.font().family(), 20))
        self.caption.setWordWrap(True)
        self.counter = QLabel()
        self.counter.setStyleSheet("color: #c9cbd3;")
        self.counter.setFont(QFont(self.font().family(), 14))
        self.mark = QLabel(f"« {DEMO_LABEL} »" if project.is_demo else "")
        self.mark.setStyleSheet("color: #ffcc80;")
        self.mark.setFont(QFont(self.font().family(), 14, QFont.Weight.Bold))
        self.mark.setContentsMargins(0, 0, 24, 0)  # clear of the screen's edge, like the counter below
        for label in (self.title, self.caption):
            label.setContentsMargins(24, 12, 24, 12)
            label.setTextFormat(Qt.TextFormat.PlainText)  # slide text from the project file is never HTML
        self.map_view = MapView(self, settings)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.mark)
        bottom = QHBoxLayout()
        bottom.addWidget(self.caption, 1)
        bottom.addWidget(self.counter)
        bottom.setContentsMargins(0, 0, 24, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.map_view, 1)
        layout.addLayout(bottom)
        # method names, not bound methods: a dict of those would keep this deleted-on-close window alive
        self._key_actions = {
            key: name
            for keys, name in (
                (NEXT_KEYS, "next"),
                (PREVIOUS_KEYS, "previous"),
                ((Qt.Key.Key_Escape,), "close"),
                ((Qt.Key.Key_E,), "compose"),
                ((Qt.Key.Key_Home,), "first"),
            )
            for key in keys
        }
        self._key_source = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slides = slides_of(project)
        self.map_view.map_ready.connect(self._apply)
        # the page may be ready before the window has its full-screen size: the view is set again once sized
        self._refit = QTimer(self, singleShot=True, interval=150, timeout=self._apply)
        self.map_view.map_ready.connect(self._watch_map_keys)
        try:
            self._render()
        except BaseException:  # cancelled or failed: no half-built window (and web page) left behind
            self.deleteLater()
            raise
        listen(
            self,
            (session.recommendation_changed, self._on_recommendation),
            (session.options.changed, self._on_option),
            (session.project_changed, self._on_project_set),
        )

    # -- drawing --------------------------------------------------------------------------------
    @property
    def recommendation(self):
        return self.session.recommendation

    def _render(self) -> None:
        """Draw the public copy, with every analysis layer, on the offline basemap when prepared."""
        prepared = run_task(
            self, "Préparation de la présentation…", prepare, self.project, "public", recommendation=self.recommendation
        )
        options = MapOptions.from_settings(self.settings, legend=True)
        self.tiles = self.session.offline_tiles()  # the session's server, shared with the main map
        if self.tiles is not None:
            options = options.replace(basemap="plan-ign", tile_url=self.tiles.url, max_zoom=self.tiles.max_zoom)
        self.map_view.show_project(
            prepared.project,
            coverage=prepared.coverage,
            recommendation=prepared.recommendation,
            options=options,
            keep_view=False,
        )
        self._show_text()

    def _on_recommendation(self, _result) -> None:
        if self.session.project is not self.project:
            return  # another project is being opened: the window closes (see _on_project_set)
        try:
            self._render()
        except Exception as e:  # noqa: BLE001 - said in French; the show goes on with the map it had
            show_error(self, e)

    def _on_option(self, key: str) -> None:
        if key == "slides":
            self.reload_slides()

    def _on_project_set(self, _project) -> None:
        self.close()  # another project is open: this one is no longer the session's

    def _show_text(self) -> None:
        slide = self.slides[self.index]
        self.title.setText(slide.get("title", ""))
        caption = slide.get("caption", "")
        if (slide.get("view") or {}).get("overlay") == "recommendation" and self.recommendation is None:
            caption = (caption + " " if caption else "") + (
                "(Recommandation non calculée : lancez « Où recruter ? » "
                "dans la fenêtre principale avant la présentation.)"
            )
        self.caption.setText(caption)
        self.caption.setVisible(bool(caption))
        self.counter.setText(f"{self.index + 1} / {len(self.slides)}")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._refit.start()

    def _apply(self) -> None:
        """Move the map to the current slide's view and show only its layers (no view: the territory)."""
        view = self.slides[self.index].get("view")
        if not self.map_view.is_ready:
            return
        if not view:
            self.map_view.page().runJavaScript(FIT_TERRITORY)
            return
        shown = set(view.get("visible") or []) | OVERLAY_KINDS.get(view.get("overlay", "none"), set())
        for kind in list(SCHEMAS) + sorted(ANALYSIS_KINDS):
            self.map_view.set_layer_visible(kind, kind in shown)
        # a view saved just after selecting an ambassador is centred on the exact home: show the centre
        # of its public 200 m square instead (the map is the public copy; its centre must be too)
        lat, lon = _public_centre(float(view["lat"]), float(view["lon"]))
        self.map_view.set_view(lat, lon, int(view["zoom"]))

    # -- navigation -----------------------------------------------------------------------------
    def go(self, index: int) -> None:
        self.index = max(0, min(index, len(self.slides) - 1))
        self._show_text()
        self._apply()
        self.slide_changed.emit(self.index)

    def first(self) -> None:
        self.go(0)

    def next(self) -> None:
        self.go(self.index + 1)

    def previous(self) -> None:
        self.go(self.index - 1)

    def current_view(self, name: str = "", overlay: str = "none") -> dict:
        """The map's current view as a saved-view dict (centre, zoom, visible base layers, overlay)."""
        lat, lon, zoom = self.map_view.current_view() or (0.0, 0.0, 12)
        visible = self.map_view.run_js("ambmap.visibleKinds()") if self.map_view.is_ready else []
        return {
            "name": name,
            "lat": lat,
            "lon": lon,
            "zoom": int(zoom),
            "visible": [k for k in visible or [] if k in SCHEMAS],
            "overlay": overlay,
        }

    def compose(self) -> None:
        """Open the slide composer on the current view; the slides are saved in the project (and shown
        through the session)."""
        SlideComposer(self, self).exec()

    def reload_slides(self) -> None:
        """Take the project's slides again (after composing), staying on the same slide if it exists."""
        self.slides = slides_of(self.project)
        self.go(min(self.index, len(self.slides) - 1))

    # Keys: handled here and on the web view's focus proxy, not with QShortcuts: Chromium swallows keys, and
    # window shortcuts need the window to be the active one, which a projector setup does not always grant.
    def _watch_map_keys(self) -> None:
        proxy = self.map_view.focusProxy()
        if proxy is not None and proxy is not self._key_source:
            proxy.installEventFilter(self)
            self._key_source = proxy

    def _handle_key(self, event) -> bool:
        name = self._key_actions.get(event.key())
        if name is None:
            return False
        getattr(self, name)()
        return True

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's naming)
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's naming)
        if event.type() == QEvent.Type.KeyPress and self._handle_key(event):
            return True
        return super().eventFilter(watched, event)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's naming)
        self.tiles = None  # the session's server: stopped with the session
        super().closeEvent(event)


class SlideComposer(QDialog):
    """Add the presentation's current view as a slide, edit titles and captions, reorder, delete."""

    def __init__(self, presentation: PresentationWindow, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Composer les diapositives")
        self.options, self.presentation = presentation.session.options, presentation
        self.slides: list[dict] = self.options.slides
        self.list = QListWidget()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("ex. Les quartiers prioritaires")
        self.caption_edit = QPlainTextEdit()
        self.caption_edit.setPlaceholderText("Une ou deux phrases affichées sous la carte")
        self.caption_edit.setFixedHeight(70)
        self.overlay = QComboBox()
        for key, label in OVERLAYS.items():
            self.overlay.addItem(label, key)
        self.also_view = QCheckBox("Enregistrer aussi comme vue du projet")
        self.also_view.setChecked(True)
        form = QFormLayout()
        form.addRow("Titre :", self.title_edit)
        form.addRow("Légende :", self.caption_edit)
        form.addRow("Analyse affichée :", self.overlay)
        form.addRow("", self.also_view)
        self.add_button = QPushButton("Ajouter la vue actuelle comme diapositive")
        self.add_button.clicked.connect(self.add_current)
        self.saved = QComboBox()
        for view in self.options.views:
            self.saved.addItem(view.get("name") or "Vue sans nom", view)
        self.add_saved_button = QPushButton("Ajouter cette vue enregistrée")
        self.add_saved_button.clicked.connect(self.add_saved)
        saved_row = QHBoxLayout()
        saved_row.addWidget(self.saved, 1)
        saved_row.addWidget(self.add_saved_button)
        self.saved.setEnabled(self.saved.count() > 0)
        self.add_saved_button.setEnabled(self.saved.count() > 0)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Monter", lambda: self.move(-1)),
            ("Descendre", lambda: self.move(1)),
            ("Supprimer", self.remove),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Save).setText("Enregistrer")
        box.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Placez la carte (déplacement, zoom, couches), puis ajoutez-la :"))
        layout.addLayout(form)
        layout.addWidget(self.add_button)
        layout.addWidget(QLabel("Ou reprenez une vue enregistrée du projet :"))
        layout.addLayout(saved_row)
        layout.addWidget(QLabel("Diapositives, dans l'ordre :"))
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(box)
        self._refresh()

    def _refresh(self) -> None:
        self.list.clear()
        for i, slide in enumerate(self.slides, start=1):
            overlay = OVERLAYS.get(slide["view"].get("overlay", "none"), "")
            self.list.addItem(f"{i}. {slide['title']} — {overlay}")

    def add_current(self) -> None:
        title = self.title_edit.text().strip() or f"Diapositive {len(self.slides) + 1}"
        view = self.presentation.current_view(title, self.overlay.currentData())
        self.slides.append({"title": title, "caption": self.caption_edit.toPlainText().strip(), "view": view})
        if self.also_view.isChecked():
            self.options.views = [v for v in self.options.views if v.get("name") != title] + [view]
        self.title_edit.clear()
        self.caption_edit.clear()
        self._refresh()
        self.list.setCurrentRow(len(self.slides) - 1)

    def add_saved(self) -> None:
        view = copy.deepcopy(self.saved.currentData())
        if view:
            title = self.title_edit.text().strip() or view.get("name") or f"Diapositive {len(self.slides) + 1}"
            self.slides.append({"title": title, "caption": self.caption_edit.toPlainText().strip(), "view": view})
            self.title_edit.clear()
            self.caption_edit.clear()
            self._refresh()
            self.list.setCurrentRow(len(self.slides) - 1)

    def move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if 0 <= row < len(self.slides) and 0 <= target < len(self.slides):
            self.slides[row], self.slides[target] = self.slides[target], self.slides[row]
            self._refresh()
            self.list.setCurrentRow(target)

    def remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.slides):
            del self.slides[row]
            self._refresh()

    def accept(self) -> None:
        self.options.slides = self.slides
        super().accept()


def run_presentation(settings: Settings, project_path: str | Path | None = None) -> int:
    """``ambmap present``: the slides of a project, full screen, until Escape."""
    from ambmap.ui.qt_env import ensure_app

    app = ensure_app()
    project = Project.load(project_path) if project_path else Project.default()
    session = Session(project, settings)
    try:
        window = PresentationWindow(session)
        window.show()
        app.exec()
    finally:
        session.close()
    if project.modified and project.path is not None:
        project.save()
    return 0
