"""Presentation mode (F5, ``ambmap present``) for Atelier Santé Ville meetings: full screen slides over the map.

Slides are saved map views with a title and a caption, stored in the project (``project.options["slides"]``,
each ``{"title", "caption", "view": {"name", "lat", "lon", "zoom", "bounds", "visible", "overlay"}}``), composed
in the main window (``ui.slides_panel``) while the map stays live. A project with none gets a starter deck
(territory, coverage, gaps, recommendation). The map is drawn once from the *public* copy (meetings are open to
partners: ``export.common.prepare``) and each slide only moves the view and toggles layers.

What the audience sees holds no presenter hint: the keys (Right/PageDown/Space, Left/PageUp, Home, Escape —
clickers send PageDown/PageUp) are told on a presenter console shown on another screen when there is one,
in the main window's status bar, or on the terminal for ``ambmap present``.

Titles and captions are plain text; a small fixed set of ``{placeholders}`` (:data:`PLACEHOLDERS`) is replaced
by the public figures each time a slide shows, so the figures follow the data. The text is never a template.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QFont, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ambmap import text
from ambmap.analysis.indicators import CLASS_NONE, CLASS_TARGET, coverage_classes, project_target
from ambmap.config import Settings
from ambmap.crs import WGS84
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
from ambmap.ui.workers import run_in_background, run_task

if TYPE_CHECKING:  # the tile server (and requests behind it) loads when a session serves tiles
    from ambmap.basemap import TileServer

log = logging.getLogger(__name__)

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
#: For the presenter only (console, status bar, terminal): never on the audience's screen.
HINTS = (
    "Présentation : → , Espace ou Page suivante pour avancer ; ← ou Page précédente pour revenir ; "
    "Début pour la première diapositive ; Échap pour quitter."
)
#: Shown to the audience when the public figures differ from the main window's.
PUBLIC_NOTE = "Chiffres publics : positions arrondies à 200 m"

# -- captions: plain text with a fixed set of placeholders ---------------------------------------------
#: ``{name}`` → what it stands for (shown in the slides panel). Each figure is a whole phrase (« 5 QPV sur 8 »).
PLACEHOLDERS = {
    "territoire": "nom du territoire",
    "qpv": "nombre de QPV (« 8 QPV »)",
    "population_qpv": "habitants des QPV",
    "ambassadeurs": "ambassadeurs·rices compté·es",
    "portee": "portée (« à vol d'oiseau, 500 m »)",
    "part_couverte": "part de la population des QPV couverte",
    "population_couverte": "habitants des QPV couverts",
    "population_non_couverte": "habitants des QPV hors de portée",
    "objectif": "objectif de couverture",
    "qpv_objectif": "QPV où l'objectif est atteint (« 5 QPV sur 8 »)",
    "qpv_non_couverts": "QPV sans aucune couverture",
    "sites": "sites de recrutement proposés",
    "gain": "couverts en plus par les sites proposés",
    "part_apres": "part couverte après ces recrutements",
}
MISSING = "—"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(value: str, figures: dict[str, str]) -> str:
    """``value`` with each known ``{name}`` replaced by its figure, everything else left as typed.

    One regular-expression pass over plain text: a figure is never read again, nothing is evaluated,
    no ``str.format`` (whose fields reach attributes) and no template engine."""
    return _PLACEHOLDER.sub(lambda m: figures.get(m.group(1), m.group(0)), str(value or ""))


def figures_of(prepared) -> dict[str, str]:
    """The public figures behind the placeholders (:data:`MISSING` where not computed or withheld)."""
    project = prepared.project
    values = dict.fromkeys(PLACEHOLDERS, MISSING)
    values["territoire"] = str(project.territory.get("name") or project.name)
    target = project_target(project)
    values["objectif"] = text.percent(target)
    coverage, population, covered = prepared.coverage, None, None
    if coverage is not None:
        summary, table = coverage.summary, coverage.per_qpv
        classes = coverage_classes(table, target)
        population, covered = summary.get("population"), summary.get("covered_population")
        values.update(
            qpv=f"{len(table)} QPV",
            population_qpv=text.people(population),
            ambassadeurs=_ambassadors(summary.get("ambassadors_counted")),
            portee=re.sub(r"(\d) (k?m|min)\b", "\\1\u00a0\\2", str(summary.get("method") or MISSING)),
            part_couverte=text.percent(summary.get("covered_share")) or MISSING,
            population_couverte=text.people(covered),
            qpv_objectif=f"{int((classes == CLASS_TARGET).sum())} QPV sur {len(table)}",
            qpv_non_couverts=f"{int((classes == CLASS_NONE).sum())} QPV",
        )
        if population is not None and covered is not None:
            values["population_non_couverte"] = text.people(max(0.0, population - covered))
    recommendation = prepared.recommendation
    if recommendation is not None:
        gain, unit = float(recommendation.sites["gain"].sum()), recommendation.unit or "habitants"
        values["sites"] = text.quantity(len(recommendation.sites), "site")
        values["gain"] = text.quantity(gain, unit.rstrip("s"), unit)
        if unit == "habitants" and population and covered is not None:
            values["part_apres"] = text.percent(min(1.0, (covered + gain) / population))
    return values


def _ambassadors(counted) -> str:
    """« 45 ambassadeurs·rices », « 1 ambassadeur·rice », « < 3 ambassadeurs·rices » (secret statistique)."""
    if counted is None:
        return MISSING
    return f"{counted} ambassadeur·rice" if counted in (0, 1) else f"{counted} ambassadeurs·rices"


def public_differs(internal, public) -> bool:
    """Whether a share the audience reads differs from the main window's (homes moved to their 200 m
    square change who is in reach); withheld shares do not count."""
    if internal is None or public is None:
        return False
    if text.percent(internal.summary.get("covered_share")) != text.percent(public.summary.get("covered_share")):
        return True
    mine = internal.per_qpv["covered_share"]
    for code, share in public.per_qpv["covered_share"].items():
        if share == share and code in mine.index and text.percent(share) != text.percent(mine[code]):
            return True
    return False


# -- slides ---------------------------------------------------------------------------------------------
def _starter(title: str, caption: str, overlay: str, visible: list[str]) -> dict:
    return {"title": title, "caption": caption, "view": {"overlay": overlay, "visible": visible}}


def starter_deck(with_recommendation: bool) -> list[dict]:
    """The slides of a project that has none: territory, coverage, gaps (and the recommendation when one
    was computed), each fitted to the territory, captions made of placeholders so they follow the data."""
    slides = [
        _starter(
            "{territoire} : les quartiers prioritaires",
            "{qpv}, {population_qpv}. {ambassadeurs} de santé comptés dans la couverture.",
            "none",
            ["territory", "qpv", "poles", "ambassadors"],
        ),
        _starter(
            "La couverture aujourd'hui",
            "{part_couverte} des habitant·es des QPV vivent à portée d'un·e ambassadeur·rice ({portee}). "
            "Objectif de {objectif} atteint dans {qpv_objectif}.",
            "coverage",
            ["territory", "qpv", "ambassadors"],
        ),
        _starter(
            "Les manques",
            "{population_non_couverte} des QPV hors de portée ; {qpv_non_couverts} sans aucun·e ambassadeur·rice.",
            "gaps",
            ["territory", "qpv"],
        ),
    ]
    if with_recommendation:
        slides.append(
            _starter(
                "Où recruter",
                "{sites}, numérotés par priorité : {gain} à portée ; la part couverte passerait de "
                "{part_couverte} à {part_apres}.",
                "recommendation",
                ["territory", "qpv", "ambassadors"],
            )
        )
    return slides


def slides_of(project: Project, with_recommendation: bool = False) -> list[dict]:
    """The project's slides (a copy), or the starter deck when none was composed yet."""
    return copy.deepcopy(project.options.get("slides") or []) or starter_deck(with_recommendation)


#: The map's exact view (centre, fractional zoom, bounds south/west/north/east) and visible layers.
CAPTURE_VIEW = (
    "(function () { var m = ambmap.map, c = m.getCenter(), b = m.getBounds(); return {lat: c.lat, lon: c.lng, "
    "zoom: m.getZoom(), bounds: [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()], "
    "visible: ambmap.visibleKinds()}; }())"
)


def view_of(captured: dict, name: str = "", overlay: str = "none") -> dict:
    """A slide's ``view`` from :data:`CAPTURE_VIEW`'s answer (base layers only; the overlay says the analysis)."""
    return {
        "name": name,
        "lat": float(captured["lat"]),
        "lon": float(captured["lon"]),
        "zoom": float(captured["zoom"]),
        "bounds": [float(v) for v in captured["bounds"]],
        "visible": [k for k in captured.get("visible") or [] if k in SCHEMAS],
        "overlay": overlay,
    }


def overlay_of(visible: list[str]) -> str:
    """The analysis a map shows, from its visible kinds (the most specific one)."""
    for overlay in ("recommendation", "gaps", "coverage"):
        if set(visible) & OVERLAY_KINDS[overlay]:
            return overlay
    return "none"


def public_view(view: dict, project: Project) -> dict:
    """``view`` moved like the public copy moves a home when it is centred on one (the main map centres on an
    ambassador selected in the table): the centre of its 200 m square, the bounds shifted alike. Any other
    view stays exact."""
    lat, lon = float(view["lat"]), float(view["lon"])
    metres = 111_320.0
    # « centred on a home » up to 2 pixels at the view's zoom: Leaflet's panTo truncates to whole pixels, so
    # a home selected in the table at zoom 13 left the centre ~10 m away from it (12 m a pixel there)
    pixel = 156_543.03 * math.cos(math.radians(lat)) / 2 ** float(view.get("zoom") or 18)
    near = max(2.0, 2 * pixel)
    for layer in project.layers.values():
        if not layer.schema.private_fields or not len(layer) or layer.data.geom_type.iloc[0] != "Point":
            continue
        dy = (layer.data.geometry.y - lat) * metres
        dx = (layer.data.geometry.x - lon) * metres * math.cos(math.radians(lat))
        if float(((dx**2 + dy**2) ** 0.5).min()) < near:
            break
    else:
        return view
    import geopandas as gpd
    from shapely.geometry import Point

    centre = snap_to_grid(gpd.GeoSeries([Point(lon, lat)], crs=WGS84)).iloc[0]
    dlat, dlon = centre.y - lat, centre.x - lon
    moved = dict(view, lat=centre.y, lon=centre.x)
    if view.get("bounds"):
        s, w, n, e = view["bounds"]
        moved["bounds"] = [s + dlat, w + dlon, n + dlat, e + dlon]
    return moved


def js_call(code: str, *args) -> str:
    """Page code calling the JavaScript function ``code`` with ``args`` (as JSON) once the map is ready."""
    return f"window.ambmap && ambmap.ready && ({code})({', '.join(json.dumps(a) for a in args)});"


#: Projector look: no map controls (nothing to click for the audience), the demo banner in the title band
#: only, labels and an always open legend sized for the screen, fractional zoom so a slide's framing is
#: restored exactly. Run on every slide (the window may have been resized).
PROJECTOR = js_call(
    "function (css) { ambmap.map.options.zoomSnap = 0; var s = document.getElementById('amb-projector');"
    " if (!s) { s = document.createElement('style'); s.id = 'amb-projector'; s.textContent = css;"
    " document.head.appendChild(s); } var g = document.querySelector('.amb-legend'); if (!g) { return; }"
    " var z = Math.max(1.5, Math.min(2, window.innerWidth / 900)); g.style.zoom = z;"
    " g.style.maxHeight = 'calc((100vh - 40px) / ' + z + ')'; g.querySelector('details').open = true; }",
    ".leaflet-control-zoom, .leaflet-control-layers, .leaflet-control-fullscreen, .amb-banner"
    " { display: none !important; }"
    " .amb-label { font-size: clamp(15px, 0.9vw, 17px); } .leaflet-marker-icon .amb-reco { transform: scale(1.25); }"
    " .amb-legend summary { pointer-events: none; list-style: none; }"
    " .amb-legend summary::-webkit-details-marker { display: none; }",
)
#: The names placed again around the projector's larger labels and markers (no zoom change may have said so).
DECLUTTER = js_call("function () { ambmap.declutter(); }")
#: A slide's framing: its bounds (the exact view on a screen of the composing size, the whole of it elsewhere).
FIT_BOUNDS = "function (b) { ambmap.map.invalidateSize(false); ambmap.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: [0, 0], animate: false}); }"
#: The territory filling the map at its current size, clear of the legend.
FIT_TERRITORY = (
    "function () { var m = ambmap.map, g = document.querySelector('.amb-legend'); m.invalidateSize(false);"
    " if (!ambmap.layers.territory) { return; } var r = g ? g.getBoundingClientRect().width + 20 : 10;"
    " m.fitBounds(ambmap.layers.territory.getBounds(), {paddingTopLeft: [20, 20], paddingBottomRight: [r, 20],"
    " animate: false}); }"
)


def _prepare_show(project: Project, recommendation, coverage, progress=None):
    """The public copy with its figures, and whether they differ from the window's (computed from the exact
    homes when the window has none): run in a worker."""
    prepared = prepare(project, "public", coverage=coverage, recommendation=recommendation, progress=progress)
    if coverage is None and prepared.coverage is not None:
        from ambmap.analysis.coverage import compute_coverage

        coverage = compute_coverage(project, prepared.coverage.params)
    return prepared, public_differs(coverage, prepared.coverage)


def _big(label: QLabel, size: int, bold: bool = False) -> QLabel:
    label.setFont(QFont(label.font().family(), size, QFont.Weight.Bold if bold else QFont.Weight.Normal))
    label.setTextFormat(Qt.TextFormat.PlainText)  # slide text from the project file is never HTML
    label.setWordWrap(True)
    return label


class PresentationWindow(QWidget):
    """What the audience sees, full screen: a title band, the public map, a caption band. Keyboard and
    clicker driven; the presenter's hints are on :class:`PresenterConsole`, never here."""

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
        self.figures: dict[str, str] = dict.fromkeys(PLACEHOLDERS, MISSING)
        self.public_differs = False
        self._update = None  # the background preparation after a data change, if running
        self.setStyleSheet(
            f"PresentationWindow, QLabel#title, QLabel#caption {{ background: {symbology.INK}; color: white; }}"
        )
        self.title = _big(QLabel(objectName="title"), 30, bold=True)
        self.caption = _big(QLabel(objectName="caption"), 20)
        for label in (self.title, self.caption):
            label.setContentsMargins(24, 12, 24, 12)
        self.counter = _big(QLabel(), 14)
        self.counter.setWordWrap(False)
        self.counter.setStyleSheet("color: #c9cbd3;")
        self.note = _big(QLabel(), 13)  # PUBLIC_NOTE when the figures differ from the window's
        self.note.setStyleSheet("color: #c9cbd3;")
        self.note.setWordWrap(False)
        self.mark = _big(QLabel(f"« {DEMO_LABEL} »" if project.is_demo else ""), 14, bold=True)
        self.mark.setWordWrap(False)
        self.mark.setStyleSheet("color: #ffcc80;")
        self.map_view = MapView(self, settings)
        side = QVBoxLayout()  # the demo mark and the public-figures note, right of the title
        side.setContentsMargins(0, 8, 24, 8)
        for label in (self.mark, self.note):
            side.addWidget(label, 0, Qt.AlignmentFlag.AlignRight)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addLayout(side)
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
                ((Qt.Key.Key_Home,), "first"),
            )
            for key in keys
        }
        self._key_source = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slides = slides_of(project, self.recommendation is not None)
        self.console = PresenterConsole(self)
        self.console.installEventFilter(self)  # the presenter's keys work on the console too
        self.map_view.map_ready.connect(self._on_map_ready)
        # the page may be ready before the window has its full-screen size: the view is set again once sized
        self._refit = QTimer(self, singleShot=True, interval=150, timeout=self._apply)
        try:
            self._draw(run_task(self, "Préparation de la présentation…", *self._preparation()))
        except BaseException:  # cancelled or failed: no half-built window (and web page) left behind
            self.console.deleteLater()
            self.deleteLater()
            raise
        listen(
            self,
            (session.recommendation_changed, self._on_results),
            (session.coverage_changed, self._on_results),
            (session.options.changed, self._on_option),
            (session.project_changed, self._on_project_set),
        )

    # -- drawing --------------------------------------------------------------------------------
    @property
    def recommendation(self):
        return self.session.recommendation

    def _preparation(self) -> tuple:
        return _prepare_show, self.project, self.recommendation, self.session.coverage

    def _draw(self, prepared_and_differs) -> None:
        """Draw the public copy, with every analysis layer, on the offline basemap when prepared."""
        prepared, self.public_differs = prepared_and_differs
        self.figures = figures_of(prepared)
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

    def _on_results(self, result) -> None:
        """A new coverage or recommendation (an edit in the main window): the public copy and the figures
        are prepared again in the background, the show goes on meanwhile."""
        if result is None or self.session.project is not self.project:
            return  # dropped (the new one follows), or another project is opening (the window closes)
        if self._update is not None:
            self._update.cancel()
        self._update = run_in_background(*self._preparation())
        self._update.done.connect(self._on_prepared)
        self._update.failed.connect(self._on_prepared)

    def _on_prepared(self, result) -> None:
        self._update = None  # the task no longer holds this window
        if isinstance(result, BaseException):  # said to the presenter; the show goes on with the map it had
            show_error(self.console, result)
        else:
            self._draw(result)

    def _on_option(self, key: str) -> None:
        if key == "slides":
            self.reload_slides()

    def _on_project_set(self, _project) -> None:
        self.close()  # another project is open: this one is no longer the session's

    def _show_text(self) -> None:
        slide = self.slides[self.index]
        self.title.setText(fill(slide.get("title", ""), self.figures))
        caption = fill(slide.get("caption", ""), self.figures)
        self.caption.setText(caption)
        self.caption.setVisible(bool(caption))
        self.counter.setText(f"{self.index + 1} / {len(self.slides)}")
        self.note.setText(PUBLIC_NOTE if self.public_differs else "")
        self.note.setVisible(self.public_differs)
        missing = (slide.get("view") or {}).get("overlay") == "recommendation" and self.recommendation is None
        self.console.show_slide(self.index, [fill(s.get("title", ""), self.figures) for s in self.slides], missing)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's naming)
        super().resizeEvent(event)
        self._refit.start()

    def _on_map_ready(self) -> None:
        self._watch_map_keys()
        self._apply()

    def _apply(self) -> None:
        """Move the map to the current slide's framing and show only its layers (no framing: the territory)."""
        if not self.map_view.is_ready:
            return
        view = self.slides[self.index].get("view") or {}
        if "visible" in view or "overlay" in view:
            shown = set(view.get("visible") or []) | OVERLAY_KINDS.get(view.get("overlay", "none"), set())
            for kind in list(SCHEMAS) + sorted(ANALYSIS_KINDS):
                self.map_view.set_layer_visible(kind, kind in shown)
        page = self.map_view.page()
        page.runJavaScript(PROJECTOR)
        if "lat" not in view:
            page.runJavaScript(js_call(FIT_TERRITORY))
            page.runJavaScript(DECLUTTER)
            return
        view = public_view(view, self.project)  # the map is the public copy: its framing must be too
        if view.get("bounds"):
            page.runJavaScript(js_call(FIT_BOUNDS, view["bounds"]))
        else:  # a slide saved before bounds were kept
            self.map_view.set_view(float(view["lat"]), float(view["lon"]), float(view["zoom"]))
        page.runJavaScript(DECLUTTER)

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

    def reload_slides(self) -> None:
        """Take the project's slides again (composed in the main window), staying on the same slide if it exists."""
        self.slides = slides_of(self.project, self.recommendation is not None)
        self.go(min(self.index, len(self.slides) - 1))

    def show_on_screens(self) -> None:
        """Full screen on the projector — a screen other than the presenter's when there are two — with the
        presenter console on the presenter's screen; on one screen (mirrored) the console stays hidden."""
        screens = QGuiApplication.screens()
        presenter = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
        others = [s for s in screens if s is not presenter]
        if others:
            self.setScreen(others[0])
            self.move(others[0].geometry().topLeft())
            self.console.setScreen(presenter)
            self.console.move(presenter.availableGeometry().topLeft())
            self.console.show()
        self.showFullScreen()

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
        if self._update is not None:
            self._update.cancel()
            self._update = None
        self.console.close()
        self.console.deleteLater()
        super().closeEvent(event)


class PresenterConsole(QWidget):
    """The presenter's own window, never projected: where the show is, what comes next, the keys."""

    def __init__(self, presentation: PresentationWindow):
        super().__init__(None)  # a window of its own, on the presenter's screen
        self.setWindowTitle(f"Pupitre — {presentation.project.name}")  # closing it only hides it
        self.now = _big(QLabel(), 16, bold=True)
        self.after = _big(QLabel(), 12)
        self.warning = _big(QLabel(), 12)
        self.warning.setStyleSheet("color: #8a4b00;")
        self.keys = _big(QLabel(HINTS), 11)
        row = QHBoxLayout()
        for label, slot in (
            ("◀ Précédente", presentation.previous),
            ("Suivante ▶", presentation.next),
            ("Quitter la présentation", presentation.close),
        ):
            button = QPushButton(label)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the show
            button.clicked.connect(slot)
            row.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.now, self.after, self.warning, self.keys):
            layout.addWidget(widget)
        layout.addLayout(row)
        self.resize(560, 240)

    def show_slide(self, index: int, titles: list[str], recommendation_missing: bool) -> None:
        self.now.setText(f"Diapositive {index + 1} / {len(titles)} : {titles[index]}")
        following = titles[index + 1] if index + 1 < len(titles) else "fin de la présentation"
        self.after.setText(f"Ensuite : {following}")
        self.warning.setText(
            "Recommandation non calculée : lancez « Où recruter ? » dans la fenêtre principale."
            if recommendation_missing
            else ""
        )
        self.warning.setVisible(recommendation_missing)


def run_presentation(settings: Settings, project_path: str | Path | None = None) -> int:
    """``ambmap present``: the slides of a project, full screen, until Escape (the keys told on the terminal)."""
    from ambmap.ui.qt_env import ensure_app

    app = ensure_app()
    project = Project.load(project_path) if project_path else Project.default()
    session = Session(project, settings)
    try:
        window = PresentationWindow(session)
        print(HINTS, file=sys.stderr)
        window.show_on_screens()
        app.exec()
    finally:
        session.close()
    if project.modified and project.path is not None:
        project.save()
    return 0
