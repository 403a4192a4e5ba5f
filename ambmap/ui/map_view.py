"""The map widget: the offline folium page in a QWebEngineView, linked to Qt through QWebChannel.

The page is written to a temporary file and loaded from there (``setHtml`` silently fails past 2 MB),
in a private folder (mode 0700, ``ambmap.runtime.private_dir``) removed with the widget or at exit.
Toggling, highlighting, filtering and edit mode are JavaScript calls on ``window.ambmap`` (no
re-render); a re-render keeps the current centre and zoom and re-applies those states. The main window's map is
bound to the session (``ambmap.session``): it follows the layers' visibility and the resource filter,
and writes back what the user does in the page (layer control, moving the map).
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QFile, QIODevice, QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView

from ambmap.config import Settings
from ambmap.render.map import MapOptions, page_style, restyled_in_page, write_map_html
from ambmap.runtime import private_dir
from ambmap.ui.listening import listen

_BRIDGE_JS = Path(__file__).resolve().parent / "web" / "bridge.js"
log = logging.getLogger(__name__)


def _qwebchannel_js() -> str:
    """Qt's own qwebchannel.js, read from its resources so the page needs no extra request."""
    f = QFile(":/qtwebchannel/qwebchannel.js")
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("qwebchannel.js introuvable dans les ressources Qt (QtWebChannel manquant ?)")
    try:
        return bytes(f.readAll()).decode("utf-8")
    finally:
        f.close()


class _Page(QWebEnginePage):
    """Sends the page's console to the log and keeps its errors (``MapView.js_errors``)."""

    def __init__(self, parent):
        super().__init__(parent)
        self.errors: list[str] = []

    def javaScriptConsoleMessage(self, level, message, line, source):
        text = f"{source.rsplit('/', 1)[-1]}:{line}: {message}"
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            self.errors.append(text)
            log.warning("Erreur JavaScript dans la carte : %s", text)
        else:
            log.debug("carte : %s", text)


class _Bridge(QObject):
    """The object the page calls (``ambmap.bridge``); each slot re-emits a signal of the view."""

    def __init__(self, view: MapView):
        super().__init__(view)
        self._view = view

    @Slot()
    def mapReady(self) -> None:
        # later, outside the channel's dispatch: listeners may then wait on run_js
        QTimer.singleShot(0, self._view, self._view._check_ready)  # dropped if the view is deleted first

    @Slot(str, str)
    def featureClicked(self, kind: str, feature_id: str) -> None:
        self._view.feature_clicked.emit(kind, feature_id)

    @Slot(float, float)
    def mapClicked(self, lat: float, lon: float) -> None:
        self._view.map_clicked.emit(lat, lon)

    @Slot(str, str)
    def featureDoubleClicked(self, kind: str, feature_id: str) -> None:
        self._view.edit_requested.emit(kind, feature_id)

    @Slot(float, float)
    def whatIfClicked(self, lat: float, lon: float) -> None:
        self._view.what_if_clicked.emit(lat, lon)

    @Slot(str, str, float, float)
    def featureMoved(self, kind: str, feature_id: str, lat: float, lon: float) -> None:
        self._view.feature_moved.emit(kind, feature_id, lat, lon)

    @Slot(str, str)
    def deleteRequested(self, kind: str, feature_id: str) -> None:
        self._view.delete_requested.emit(kind, feature_id)

    @Slot(float, float, float)
    def viewChanged(self, lat: float, lon: float, zoom: float) -> None:
        self._view._view = (lat, lon, zoom)  # exact, so that a re-render opens at the same place
        if self._view.session is not None:
            self._view.session.set_view(lat, lon, zoom)
        self._view.view_changed.emit(lat, lon, int(round(zoom)))

    @Slot(float, float)
    def cursorMoved(self, lat: float, lon: float) -> None:
        self._view.cursor_moved.emit(lat, lon)

    @Slot(str, bool)
    def layerToggled(self, kind: str, visible: bool) -> None:
        self._view._visibility[kind] = visible
        session = self._view.session
        if session is not None and kind in session.project.layers:
            session.project.layers[kind].visible = visible
        self._view.layer_visibility_changed.emit(kind, visible)


class MapView(QWebEngineView):
    """Interactive map of a project.

    Signals: ``map_ready()`` once every layer is drawn; ``feature_clicked(kind, id)``;
    ``map_clicked(lat, lon)`` (edit mode only); ``feature_moved(kind, id, lat, lon)`` (edit mode drag);
    ``delete_requested(kind, id)`` (edit mode, Delete key on the selected point);
    ``view_changed(lat, lon, zoom)``; ``cursor_moved(lat, lon)``;
    ``layer_visibility_changed(kind, visible)`` whenever the page shows or hides a layer (its own layer
    control, or a highlight that reveals a hidden layer);
    ``fullscreen_changed(on)`` when the map's full-screen button puts its window in or out of full screen;
    ``edit_requested(kind, id)`` on a double-click on an editable point; ``what_if_clicked(lat, lon)`` on a
    click in « Et si ? » mode.
    """

    map_ready = Signal()
    feature_clicked = Signal(str, str)
    map_clicked = Signal(float, float)
    feature_moved = Signal(str, str, float, float)
    delete_requested = Signal(str, str)
    view_changed = Signal(float, float, int)
    cursor_moved = Signal(float, float)
    layer_visibility_changed = Signal(str, bool)
    fullscreen_changed = Signal(bool)
    edit_requested = Signal(str, str)
    what_if_clicked = Signal(float, float)

    def __init__(self, parent=None, settings: Settings | None = None, session=None):
        """``session`` (``ambmap.session.Session``): the map follows and updates its layers and view."""
        super().__init__(parent)
        self.setPage(_Page(self))
        self.app_settings = settings or Settings()
        self.session = session
        # the page is a local file: without this Chromium silently refuses every basemap tile
        self.settings().setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        self.settings().setAttribute(QWebEngineSettings.WebAttribute.FullScreenSupportEnabled, True)
        self._dir = private_dir(self.app_settings, "carte")
        self.destroyed.connect(functools.partial(shutil.rmtree, self._dir, True))
        self._count = 0
        self._path: Path | None = None
        self._view: tuple[float, float, float] | None = None
        self._visibility: dict[str, bool] = {}
        self._categories: list[str] | None = None
        self._restyles: dict[str, dict] = {}  # kind -> style the page must apply once ready
        self._edit = False
        self._what_if = False
        self.is_ready = False
        self._bridge = _Bridge(self)
        self._channel = QWebChannel(self)
        self._channel.registerObject("ambmapBridge", self._bridge)
        self.page().setWebChannel(self._channel)
        script = QWebEngineScript()
        script.setName("ambmap-bridge")
        script.setSourceCode(_qwebchannel_js() + "\n" + _BRIDGE_JS.read_text(encoding="utf-8"))
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentReady)
        script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        script.setRunsOnSubFrames(False)
        self.page().scripts().insert(script)
        self.page().fullScreenRequested.connect(self._on_fullscreen)
        self.setUrl(QUrl("about:blank"))  # starts Chromium's processes while Python renders the first map
        if session is not None:
            listen(
                self, (session.layer_changed, self._on_layer_changed), (session.style_changed, self._on_style_changed)
            )

    def _on_layer_changed(self, kind: str, what: str) -> None:
        if what == "visible":
            self.set_layer_visible(kind, self.session.project.layers[kind].visible)

    def _on_style_changed(self, kind: str, key: str) -> None:
        """The resource filter, a layer's colour, opacities and labels change in the page (no new page);
        the window re-renders for the other keys (``restyled_in_page``)."""
        if key == "categories":
            # here, not at the top: the layer panel brings the session and the analyses, which a map view
            # alone (presentation, benchmarks) never needs; a session exists whenever this runs
            from ambmap.ui.layer_panel import shown_categories

            self.set_resource_categories(shown_categories(self.session.project))
        elif restyled_in_page(kind, key) and kind in self.session.project.layers:
            self.restyle(kind, page_style(self.session.project.layers[kind]))

    # -- rendering ------------------------------------------------------------------------------
    def show_project(
        self, project, coverage=None, recommendation=None, options: MapOptions | None = None, keep_view: bool = True
    ) -> Path:
        """Render ``project`` to a file and load it, keeping the current centre, zoom and layer states.

        With ``keep_view=False`` (a new territory) the map fits the territory and the layer states of
        ``options`` win. Returns the HTML file written (it lives until the next render or the widget's end).
        """
        if not keep_view:
            self._view = None
            self._visibility.clear()
        options = options or MapOptions.from_settings(self.app_settings)
        if options.view is None and self._view is not None:
            options = options.replace(view=self._view)
        hidden = set(options.hidden) | {k for k, v in self._visibility.items() if not v}
        hidden -= {k for k, v in self._visibility.items() if v}
        options = options.replace(
            hidden=frozenset(hidden), shown=options.shown | {k for k, v in self._visibility.items() if v}
        )
        self._restyles.clear()  # the new page is drawn with the project's current styles
        self._count += 1
        if self._count == 1:
            # Chromium's processes start only once the event loop hands them the about:blank navigation
            # begun in __init__; one pass here (no user input) lets them start while Python writes the
            # first page, instead of after it (~1.3 s of the cold start)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        path = self._dir / f"carte-{self._count}.html"
        write_map_html(project, path, coverage=coverage, recommendation=recommendation, options=options)
        previous, self._path = self._path, path
        self.is_ready = False
        self.load(QUrl.fromLocalFile(str(path)))
        if previous is not None:
            previous.unlink(missing_ok=True)
        return path

    def _check_ready(self) -> None:
        """A page said it is drawn: believe it only if it is the page now loaded (a previous page's late
        « ready » must not mark a newer page, still loading, as ready) and its script has run."""
        expected = str(self._path) if self._path else None

        def answer(href) -> None:
            if expected is not None and href and QUrl(href).toLocalFile() == expected and not self.is_ready:
                self._on_ready()

        self.page().runJavaScript("(window.ambmap && ambmap.ready) ? location.href : ''", 0, answer)

    def _on_ready(self) -> None:
        """Re-apply the states the page does not know about, then announce the map."""
        for kind, visible in self._visibility.items():  # including calls made while the page loaded
            self.page().runJavaScript(f"ambmap.setVisible({json.dumps(kind)}, {json.dumps(visible)});")
        if self._edit:
            self.page().runJavaScript("ambmap.setEditMode(true);")
        if self._what_if:
            self.page().runJavaScript("window.ambmapWhatIf && ambmapWhatIf.set(true);")
        if self._categories is not None:
            self.page().runJavaScript(f"ambmap.filterCategories({json.dumps(self._categories)});")
        for kind, style in self._restyles.items():  # restyled while this page loaded
            self.page().runJavaScript(f"ambmap.restyle({json.dumps(kind)}, {json.dumps(style)});")
        self._restyles.clear()
        self.is_ready = True
        self.map_ready.emit()

    def _on_fullscreen(self, request) -> None:
        """The map's full-screen button: Chromium only goes full screen if the window does too."""
        request.accept()
        window = self.window()
        if request.toggleOn():
            window.showFullScreen()
        else:
            window.showNormal()
        self.fullscreen_changed.emit(request.toggleOn())

    # -- JavaScript helpers ---------------------------------------------------------------------
    def run_js(self, code: str, timeout: float = 10.0) -> Any:
        """Run ``code`` in the page and wait for its result (for tests and tools; it spins the event loop)."""
        loop = QEventLoop()
        box: dict[str, Any] = {}

        def done(result: Any) -> None:
            box["result"] = result
            loop.quit()

        # the last value of ``code`` crosses as JSON: plain Python lists/dicts/numbers come back
        wrapped = (
            f"(function () {{ var r = (0, eval)({json.dumps(code)}); "
            "return r === undefined ? 'null' : JSON.stringify(r); }())"
        )
        self.page().runJavaScript(wrapped, 0, done)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        if "result" not in box:
            loop.exec()
        if "result" not in box:
            raise TimeoutError(f"Le script de la carte n'a pas répondu en {timeout:g} s : {code[:80]}")
        return None if box["result"] is None else json.loads(box["result"])

    def _call(self, function: str, *args: Any) -> None:
        self.page().runJavaScript(
            f"window.ambmap && ambmap.ready && ambmap.{function}({', '.join(json.dumps(a) for a in args)});"
        )

    # -- API used by the window -----------------------------------------------------------------
    def set_layer_visible(self, kind: str, visible: bool) -> None:
        """Show or hide a layer kind without re-rendering; remembered across re-renders."""
        self._visibility[kind] = bool(visible)
        self._call("setVisible", kind, bool(visible))

    def set_resource_categories(self, categories: list[str] | None) -> None:
        """Show only these health resource categories (None: all), without re-rendering."""
        self._categories = None if categories is None else list(categories)
        self._call("filterCategories", self._categories)

    def restyle(self, kind: str, style: dict | None) -> None:
        """Apply ``style`` (render/map.py ``page_style``) to ``kind`` in the page, without re-rendering."""
        if style is None:
            return
        if not self.is_ready:
            self._restyles[kind] = style
        self._call("restyle", kind, style)

    def highlight(self, kind: str, feature_id: str) -> None:
        """Emphasise a feature, open its tooltip and centre the map on it."""
        self._call("highlight", kind, str(feature_id))

    def set_view(self, lat: float, lon: float, zoom: float) -> None:
        """Centre the map on (lat, lon) at ``zoom`` (whole or half levels)."""
        self._view = (float(lat), float(lon), float(zoom))
        self._call("map.setView", [float(lat), float(lon)], float(zoom), {"animate": False})

    def current_view(self) -> tuple[float, float, int] | None:
        """(lat, lon, zoom rounded to a whole level) as last reported by the page (None before the first map)."""
        if self._view is None:
            return None
        lat, lon, zoom = self._view
        return lat, lon, int(round(zoom))

    def set_edit_mode(self, enabled: bool) -> None:
        """Edit mode: points can be dragged, a map click emits map_clicked, Delete emits delete_requested."""
        self._edit = bool(enabled)
        self._call("setEditMode", self._edit)

    def set_what_if(self, enabled: bool) -> None:
        """« Et si ? » mode: cross-hair pointer, a click emits what_if_clicked; off clears the answer shown."""
        self._what_if = bool(enabled)
        self.page().runJavaScript(f"window.ambmapWhatIf && ambmapWhatIf.set({json.dumps(self._what_if)});")

    def show_what_if(self, lat: float, lon: float, zone: dict, lines: list[str]) -> None:
        """Draw the reach ``zone`` (a GeoJSON geometry) of a site at (lat, lon) with ``lines`` of plain text."""
        self.page().runJavaScript(
            f"window.ambmapWhatIf && ambmapWhatIf.show({json.dumps(float(lat))}, "
            f"{json.dumps(float(lon))}, {json.dumps(zone)}, {json.dumps(list(lines))});"
        )

    @property
    def js_errors(self) -> list[str]:
        """JavaScript errors reported by the page since the widget was made (file:line: message)."""
        return self.page().errors

    def html_path(self) -> Path | None:
        """The HTML file currently shown."""
        return self._path
