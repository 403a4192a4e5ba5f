"""One working session: the project, its analysis results, the coverage parameters, what is shown and where.

The session is Qt-free (psygnal signals): the main window, the panels, the map view, the export dialog
and the presentation *listen* to it instead of being updated one by one by the window, and a test drives
it without a display. The analyses stay synchronous core functions: running them off the GUI thread is
the UI's job (``ambmap.ui.workers.run_task``), which then hands the result to the session.

Layer state (rows, visibility, style, title) stays in the :class:`~ambmap.layers.Layer` models; the
session relays their changes with the detail the views need (which style key changed), and drops the
analysis results when the data they were computed from changes (``stale``).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from psygnal import Signal

from ambmap.analysis.coverage import CoverageParams
from ambmap.config import Settings
from ambmap.errors import AmbmapError
from ambmap.project import TO_PLACE_TABLE, Project

log = logging.getLogger(__name__)


class ProjectOptions:
    """Typed access to ``project.options``, the settings saved in the project file.

    Every write goes through :meth:`set` (or :meth:`update`, :meth:`discard`), which marks the project
    modified and emits ``changed(key)``: the one place where editing an option makes the project
    « modifié ». Lists are handed out and taken in as copies, so a caller never edits them behind it.
    """

    changed = Signal(str)

    def __init__(self, project: Project, settings: Settings | None = None):
        self.project = project
        self.settings = settings or Settings()  # the user's defaults for parameters not saved yet

    def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self.project.options.get(key, default))

    def set(self, key: str, value: Any) -> None:
        """Save ``value`` under ``key`` (nothing happens when it is already the value saved)."""
        self.update({key: value})

    def update(self, values: dict[str, Any]) -> None:
        """Save several options at once; ``changed`` is emitted once per option whose value changed."""
        options = self.project.options
        edited = [key for key, value in values.items() if key not in options or options[key] != value]
        for key in edited:
            options[key] = copy.deepcopy(values[key])
        self._edited(edited)

    def discard(self, key: str) -> None:
        """Forget ``key`` (the default applies again)."""
        if key in self.project.options:
            del self.project.options[key]
            self._edited([key])

    def _edited(self, keys: list[str]) -> None:
        """The one place where an option edit marks the project modified and is said."""
        if keys:
            self.project.modified = True
        for key in keys:
            self.changed.emit(key)

    def fill_defaults(self, values: dict[str, Any]) -> None:
        """Write the values in use for options the project has not saved, without marking it modified: the
        exports and the presentation, which read the project alone, then use the same ones."""
        for key, value in values.items():
            self.project.options.setdefault(key, value)

    # -- typed options ----------------------------------------------------------------------------
    @property
    def coverage_params(self) -> CoverageParams:
        """The project's coverage parameters (the user's settings for those it has not saved). Raises
        :class:`~ambmap.errors.AnalysisError` for a saved value that cannot be read."""
        return CoverageParams.from_project(self.project, self.settings)

    @coverage_params.setter
    def coverage_params(self, params: CoverageParams) -> None:
        self.update(params.to_options())

    @property
    def layer_order(self) -> list[str]:
        """Saved drawing order, bottom first (see ``ambmap.ui.layer_panel.layer_order`` for the full one)."""
        return list(self.get("layer_order") or [])

    @layer_order.setter
    def layer_order(self, order: list[str]) -> None:
        self.set("layer_order", list(order))

    @property
    def slides(self) -> list[dict]:
        """Presentation slides, each ``{"title", "caption", "view"}``."""
        return list(self.get("slides") or [])

    @slides.setter
    def slides(self, slides: list[dict]) -> None:
        self.set("slides", list(slides))

    @property
    def views(self) -> list[dict]:
        """Saved map views, each ``{"name", "lat", "lon", "zoom", "visible", "overlay"}``."""
        return list(self.get("views") or [])

    @views.setter
    def views(self, views: list[dict]) -> None:
        self.set("views", list(views))

    @property
    def target(self) -> float | None:
        """Share of each QPV's population to cover (0–1), when the project sets one."""
        return self.get("target")

    @target.setter
    def target(self, share: float | None) -> None:
        if share is None:
            self.discard("target")
        else:
            self.set("target", float(share))


class Session:
    """The state of one working session, and the signals its views listen to.

    Signals
    -------
    project_changed(project)
        Another project is open: everything else was reset.
    layers_changed()
        A layer was added or replaced by another object (an import, its undo).
    layer_changed(kind, what)
        ``what`` in {"data", "visible", "style", "title"}, as :class:`~ambmap.layers.Layer` says it.
    style_changed(kind, key)
        One style key of a layer changed (``color``, ``opacity``, ``labels``, ``categories``…).
    params_changed(params)
        The coverage parameters shown changed (a new project, or an edit).
    coverage_changed(result), recommendation_changed(result)
        A new result, or None when it was dropped (``stale`` then says whether the data changed); the
        same recommendation again when it became ``recommendation_stale``.
    view_changed(lat, lon, zoom)
        The main map moved.
    to_place_changed()
        The project's rows « à placer » changed (an import, a row placed, their undo).
    """

    project_changed = Signal(object)
    layers_changed = Signal()
    layer_changed = Signal(str, str)
    style_changed = Signal(str, str)
    params_changed = Signal(object)
    coverage_changed = Signal(object)
    recommendation_changed = Signal(object)
    view_changed = Signal(float, float, float)
    to_place_changed = Signal()

    def __init__(self, project: Project, settings: Settings | None = None):
        self.project = project
        self.options = ProjectOptions(project, settings or Settings())
        self.coverage = None  # CoverageResult of the current data and parameters, or None
        self.recommendation = None  # RecommendationResult, or None
        #: the recommendation was computed from older data or parameters: shown « à actualiser »
        self.recommendation_stale = False
        #: the results were dropped because the data or the parameters changed since they were computed
        self.stale = False
        self.view: tuple[float, float, float] | None = None  # (lat, lon, zoom) of the main map
        self._tiles = None  # local server of a prepared offline basemap (basemap.TileServer)
        self._layers: dict[str, Any] = {}  # kind -> Layer listened to
        self._styles: dict[str, dict] = {}  # last style seen per layer, to tell which key changed
        self._listen(project)

    @property
    def settings(self) -> Settings:
        """The user's settings (defaults of the coverage parameters, basemap, folders)."""
        return self.options.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.options.settings = settings

    # -- project ----------------------------------------------------------------------------------
    def set_project(self, project: Project) -> list[AmbmapError]:
        """Open ``project``: results, view and parameters start afresh. Returns the errors of
        :meth:`load_params`, for the UI to show."""
        self._forget()
        self.project = project
        self.options.project = project
        self.coverage = self.recommendation = self.view = None
        self.stale = self.recommendation_stale = False
        self._listen(project)
        errors = self.load_params()
        self.coverage_changed.emit(None)
        self.recommendation_changed.emit(None)
        self.project_changed.emit(project)  # last: its listeners redraw everything once
        return errors

    def close(self) -> None:
        """Stop listening to the project (it may outlive the session) and stop the tile server."""
        self._forget()
        if self._tiles is not None:
            self._tiles.stop()
            self._tiles = None

    def _listen(self, project: Project) -> None:
        project.changed.connect(self._on_project_changed)
        self._connect_layers()

    def _forget(self) -> None:
        self.project.changed.disconnect(self._on_project_changed)
        for layer in self._layers.values():
            layer.changed.disconnect(self._on_layer_changed)
        self._layers = {}

    def _connect_layers(self) -> None:
        for kind, layer in self.project.layers.items():
            if self._layers.get(kind) is not layer:
                if kind in self._layers:
                    self._layers[kind].changed.disconnect(self._on_layer_changed)
                layer.changed.connect(self._on_layer_changed)
                self._layers[kind] = layer
                self._styles[kind] = layer.style

    def _on_project_changed(self, kind: str) -> None:
        if kind == TO_PLACE_TABLE:  # not a layer: nothing drawn or computed from it
            self.to_place_changed.emit()
            return
        if self.project.layers.get(kind) is not self._layers.get(kind):  # a layer object was added or replaced
            self._connect_layers()
            self.mark_stale()
            self.layers_changed.emit()

    def _on_layer_changed(self, what: str) -> None:
        layer = Signal.sender()
        kind = layer.kind
        if what == "data":
            self.mark_stale()
        if what == "style":
            style, old = layer.style, self._styles.get(kind, {})
            self._styles[kind] = style
            for key in [k for k in {**old, **style} if old.get(k) != style.get(k)]:
                self.style_changed.emit(kind, key)
        self.layer_changed.emit(kind, what)

    # -- coverage parameters and results ----------------------------------------------------------
    @property
    def coverage_params(self) -> CoverageParams:
        """See :attr:`ProjectOptions.coverage_params`."""
        return self.options.coverage_params

    def load_params(self) -> list[AmbmapError]:
        """Read the project's parameters, say them (``params_changed``) and keep them in its options.

        A saved value that cannot be read is dropped (the user's default applies) and its error returned,
        for the UI to show.
        """
        errors: list[AmbmapError] = []
        try:
            params = self.coverage_params
        except AmbmapError as e:
            errors.append(e)
            options = self.project.options
            for key in [k for k in CoverageParams.OPTIONS.values() if k in options]:
                try:
                    CoverageParams.from_options({key: options[key]})
                except AmbmapError:
                    self.options.discard(key)
            params = self.coverage_params
        self.options.fill_defaults(params.to_options())
        self.params_changed.emit(params)
        return errors

    def set_coverage_params(self, params: CoverageParams) -> None:
        """Parameters edited by the user: saved in the project; the results computed with others dropped."""
        self.options.coverage_params = params
        self.mark_stale()
        self.params_changed.emit(params)

    def set_coverage(self, result) -> None:
        """A coverage computed from the current data and parameters (None: none)."""
        self.coverage = result
        self.stale = False
        self.coverage_changed.emit(result)

    def set_recommendation(self, result) -> None:
        """A recommendation computed from the current data and parameters (None: none)."""
        self.recommendation = result
        self.stale = self.recommendation_stale = False
        self.recommendation_changed.emit(result)

    def mark_stale(self) -> None:
        """The data or the parameters changed: drop the coverage computed from the old ones (the window
        computes it again at once); keep the recommendation, marked ``recommendation_stale``, for the
        user to refresh (a search may take a minute)."""
        if self.coverage is not None:
            self.coverage = None
            self.stale = True
            self.coverage_changed.emit(None)
        if self.recommendation is not None and not self.recommendation_stale:
            self.stale = self.recommendation_stale = True
            self.recommendation_changed.emit(self.recommendation)

    # -- what is shown ----------------------------------------------------------------------------
    def set_view(self, lat: float, lon: float, zoom: float) -> None:
        if self.view != (lat, lon, zoom):
            self.view = (lat, lon, zoom)
            self.view_changed.emit(lat, lon, zoom)

    def offline_tiles(self):
        """The local server of this territory's prepared basemap (« Préparer pour une présentation hors
        ligne »), started on first use; None when none was prepared.

        A plain Python thread (``basemap.TileServer``), no Qt: the session owns it so that the main map
        and the presentation share one server, stopped by :meth:`close`.
        """
        from ambmap.basemap import TileServer, basemap_path

        path = basemap_path(self.settings, self.project)
        if self._tiles is not None and self._tiles.path != path:
            self._tiles.stop()
            self._tiles = None
        if self._tiles is None and path.exists():
            try:
                self._tiles = TileServer(path)
            except (OSError, AmbmapError) as e:  # the online basemap (or none) still works
                log.warning("fond de carte hors ligne inutilisable : %s", e)
        return self._tiles
