"""The main window: the map in the centre, layer panel, attribute table, coverage panel, menus.

The session (``ambmap.session.Session``) holds the state: project, coverage, recommendation,
parameters, view. The window owns it and the undo stack, runs the analyses in a worker and hands their
results to the session; the panels and the map view listen to the session themselves. The window
listens too, to turn changes into map re-renders: debounced, keeping the current centre and zoom
(visibility and the resource filter are applied in the page by the map view, with no re-render).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import shiboken6
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabBar,
    QWidget,
)

from ambmap.config import Settings
from ambmap.errors import AmbmapError, ProjectConflictError, SourceError
from ambmap.project import DEMO_LABEL, Project
from ambmap.render.map import restyled_in_page
from ambmap.session import Session
from ambmap.text import file_stem
from ambmap.ui import commands
from ambmap.ui.actions import build_actions
from ambmap.ui.attribute_table import AttributeTable
from ambmap.ui.coverage_panel import CoveragePanel
from ambmap.ui.data_text import shorten
from ambmap.ui.dialogs import (
    AboutDialog,
    ImportWizard,
    NewTerritoryDialog,
    SettingsDialog,
    build_territory_project,
    message,
    show_error,
)
from ambmap.ui.feature_form import EDITABLE, FeatureForm
from ambmap.ui.history_panel import HistoryPanel
from ambmap.ui.layer_panel import LayerPanel, layer_order, shown_categories
from ambmap.ui.listening import listen
from ambmap.ui.map_view import MapView
from ambmap.ui.recommend_panel import RecommendationPanel, RecommendDialog, run_recommendation
from ambmap.ui.slides_panel import SlidesPanel
from ambmap.ui.to_place_panel import SetToPlace, ToPlacePanel
from ambmap.ui.user_state import clear_recovery, forget_project, recent_projects, remember_project, write_recovery
from ambmap.ui.workers import run_in_background, run_task

log = logging.getLogger(__name__)
RENDER_DELAY_MS = 150  # several style changes in a row cost one re-render
LIVE_COVERAGE_DELAY_MS = 500  # a burst of edits costs one coverage, computed in the background
WHAT_IF_DELAY_MS = 150  # the pointer rests that long before « Et si ? » answers
#: Streets asked for offline, none in the cache: what to do, without the service's technical name.
OFFLINE_STREETS = SourceError(
    "Les rues de ce territoire n'ont pas encore été téléchargées, et ambmap est en mode hors ligne. "
    "Pour les obtenir : connectez l'ordinateur à Internet, décochez « Mode hors ligne » dans Fichier › "
    "Réglages…, puis choisissez de nouveau Fichier › Télécharger les rues du territoire. La carte reste "
    "utilisable sans les rues ; rien n'a été modifié dans le projet."
)
SMALL_SCREEN_HEIGHT = 850  # a window lower than this (a 1366×768 laptop) starts with the panels folded
BOTTOM_HEIGHT = 250  # the bottom panels' height, unfolded


class MainWindow(QMainWindow):
    """The coordinator's window around one Project."""

    def __init__(self, project: Project, settings: Settings, parent=None, fallback_to_demo: bool = True):
        """``fallback_to_demo=False`` (``ambmap screenshot``): a map that cannot be drawn is only kept in
        ``draw_error``, with no dialog and no other project."""
        super().__init__(parent)
        self._fallback = fallback_to_demo
        self.draw_error: Exception | None = None
        self.session = Session(project, settings)
        self._children: list = []  # non-modal windows kept alive (presentation)
        self._drawn = False  # the current project's map was drawn once (then it may be reopened at start)
        self.undo_stack = QUndoStack(self)
        self.map = MapView(self, settings, session=self.session)
        self.setCentralWidget(self.map)
        self.layer_panel = LayerPanel(self.session)
        self.table = AttributeTable(self.session)
        self.coverage_panel = CoveragePanel(self.session)
        self.recommendation_panel = RecommendationPanel(self.session)
        self.layers_dock = self._dock("Couches", "layers", self.layer_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.table_dock = self._dock("Table attributaire", "table", self.table, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.coverage_dock = self._dock(
            "Couverture des QPV", "coverage", self.coverage_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.recommendation_dock = self._dock(
            "Où recruter", "recommendation", self.recommendation_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.table_dock, self.coverage_dock)
        self.tabifyDockWidget(self.coverage_dock, self.recommendation_dock)
        self.history_panel = HistoryPanel(self.session)
        self.history_dock = self._dock("Suivi", "history", self.history_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.coverage_dock, self.history_dock)
        self.history_dock.visibilityChanged.connect(self.history_panel.brought_to_front)
        self.slides_panel = SlidesPanel(self.session, self.map)  # composing beside the live map, no modal
        self.slides_panel.present_requested.connect(self.presentation)
        self.slides_dock = self._dock(
            "Diapositives", "slides", self.slides_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.to_place_panel = ToPlacePanel(self.session)
        self.to_place_dock = self._dock(
            "À placer", "to_place", self.to_place_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.history_dock, self.to_place_dock)
        self.to_place_dock.setWindowTitle(self.to_place_panel.windowTitle())
        self.to_place_panel.windowTitleChanged.connect(self.to_place_dock.setWindowTitle)
        self.table_dock.raise_()
        self.bottom_docks = (
            self.table_dock,
            self.coverage_dock,
            self.recommendation_dock,
            self.history_dock,
            self.to_place_dock,
        )
        self.panels_collapsed = False
        self._laid_out = False  # the docks are sized to the window once, when it is first shown
        self.resize(1400, 900)
        self.slides_dock.hide()  # opened from « Affichage » when composing a presentation
        self._build_status_bar()
        build_actions(self)
        self._render_timer = QTimer(self, singleShot=True, interval=RENDER_DELAY_MS, timeout=self.render_map)
        self.autosave_timer = QTimer(self, timeout=self.autosave)
        self.autosave_timer.start(int(settings.autosave_minutes * 60_000))
        self.map.feature_clicked.connect(self._on_feature_clicked)
        self.map.map_clicked.connect(self._on_map_clicked)
        self.map.feature_moved.connect(self._on_feature_moved)
        self.map.delete_requested.connect(self._on_delete_requested)
        self.map.cursor_moved.connect(self._on_cursor_moved)
        self.map.cursor_moved.connect(self._on_cursor_for_what_if)
        self.map.map_ready.connect(self._on_map_ready)
        self.map.edit_requested.connect(self.edit_feature)
        self.map.what_if_clicked.connect(self._what_if_at)
        self.table.feature_selected.connect(self.map.highlight)
        self.table.edit_requested.connect(self.edit_feature)
        self.table.command_ready.connect(self.push)
        self.recommendation_panel.refresh_requested.connect(self.refresh_recommendation)
        self.to_place_panel.command_ready.connect(self.push)
        self.to_place_panel.placing_changed.connect(self._on_placing)
        self.to_place_panel.geocode_requested.connect(self.geocode_to_place)
        self._live_timer = QTimer(
            self, singleShot=True, interval=LIVE_COVERAGE_DELAY_MS, timeout=self._start_live_coverage
        )
        self._live_task = None  # the background coverage running, if any
        self._data_version = 0  # counts data edits: a result computed from older data is thrown away
        self._what_if_timer = QTimer(
            self, singleShot=True, interval=WHAT_IF_DELAY_MS, timeout=lambda: self._what_if_at(*self._what_if_spot)
        )
        self._what_if_spot = (0.0, 0.0)
        self._what_if_model = None  # (data version, params, analysis.what_if.WhatIf): the demand built once
        self._what_if_task = None
        self.coverage_panel.compute_requested.connect(self.compute_coverage)
        self.coverage_panel.params_changed.connect(self.set_coverage_params)
        self.coverage_panel.qpv_selected.connect(self._on_qpv_selected)
        self.recommendation_panel.site_selected.connect(lambda rank: self.map.highlight("recommendation", rank))
        self.undo_stack.indexChanged.connect(self._update_title)
        session = self.session
        self._stop_listening = listen(
            self,
            (session.project_changed, self._on_project_set),
            (session.layers_changed, self._on_layers_changed),
            (session.layer_changed, self._on_layer_changed),
            (session.style_changed, self._on_style_changed),
            (session.coverage_changed, self._on_result_changed),
            (session.recommendation_changed, self._on_result_changed),
            (session.options.changed, self._on_option_changed),
        )
        self.set_project(project)

    @property
    def project(self) -> Project:
        return self.session.project

    @property
    def settings(self) -> Settings:
        return self.session.settings

    # -- construction -------------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._laid_out:
            self._laid_out = True
            self.fit_docks()
        self._watch_tab_bars()

    def fit_docks(self) -> None:
        """Size the docks to the window: on a laptop screen (1366×768) the layer panel is narrower and
        the bottom panels start folded to their tabs, so the map gets most of the window."""
        small = self.height() < SMALL_SCREEN_HEIGHT
        self.resizeDocks([self.layers_dock, self.slides_dock], [230 if small else 290, 340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.table_dock], [BOTTOM_HEIGHT], Qt.Orientation.Vertical)
        self.set_panels_collapsed(small)

    def set_panels_collapsed(self, collapsed: bool) -> None:
        """Fold the bottom panels to their row of tabs (a click on a tab unfolds them) or unfold them."""
        self.act_fold.setChecked(collapsed)
        if collapsed == self.panels_collapsed:
            return
        self.panels_collapsed = collapsed
        for dock in self.bottom_docks:
            dock.widget().setVisible(not collapsed)
            dock.setTitleBarWidget(_no_title_bar() if collapsed else None)  # folded: the tabs name the panels
        shown = [d for d in self.bottom_docks if d.isVisible()]
        if shown:
            self.resizeDocks(shown[:1], [1 if collapsed else BOTTOM_HEIGHT], Qt.Orientation.Vertical)

    def show_panel(self, dock: QDockWidget) -> None:
        """Show and unfold the bottom panel ``dock`` (a result the user asked for)."""
        dock.show()
        dock.raise_()
        self.set_panels_collapsed(False)

    def _watch_tab_bars(self) -> None:
        """A click on a tab of the bottom panels unfolds them; on the current tab, folds them again."""
        for bar in self.findChildren(QTabBar):
            if bar.parent() is self and not bar.property("ambmap_watched"):
                bar.setProperty("ambmap_watched", True)
                bar.setToolTip("Un clic sur un onglet déplie son panneau ; sur l'onglet ouvert, replie les panneaux.")
                bar.tabBarClicked.connect(lambda index, bar=bar: self._on_tab_clicked(bar, index))

    def _on_tab_clicked(self, bar: QTabBar, index: int) -> None:
        self.set_panels_collapsed(index == bar.currentIndex() and not self.panels_collapsed)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.territory_label = QLabel()
        self.data_label = QLabel()
        self.cache_label = QLabel()
        self.edit_label = QLabel("MODE ÉDITION : cliquez sur la carte pour ajouter")
        self.edit_label.setStyleSheet("color: white; background: #c62828; padding: 1px 6px; font-weight: bold")
        self.edit_label.hide()
        self.what_if_label = QLabel()
        self.what_if_label.setStyleSheet("color: white; background: #6a1b9a; padding: 1px 6px")
        self.what_if_label.hide()
        self.coords_label = QLabel()
        self.coords_label.setMinimumWidth(190)
        for widget in (self.territory_label, self.data_label, self.cache_label, self.edit_label, self.what_if_label):
            widget.setTextFormat(Qt.TextFormat.PlainText)  # the territory name comes from data: never rich text
            bar.addPermanentWidget(widget)
        bar.addPermanentWidget(self.coords_label)

    # -- project ------------------------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Show ``project``: panels, table, status bar and a fresh map (the undo history is cleared)."""
        for error in self.session.set_project(project):  # the panels and the map view follow it
            show_error(self, error)  # an unreadable saved parameter, replaced by the user's default

    def _on_project_set(self, project: Project) -> None:
        self._data_edited(recompute=False)
        self.undo_stack.clear()
        self._update_status()
        self._update_title()
        self._drawn = False
        self.render_map(keep_view=False)

    def _on_layers_changed(self) -> None:
        self.schedule_render()
        self._data_edited()
        self._update_title()

    def _on_layer_changed(self, kind: str, what: str) -> None:
        if what in ("data", "title"):  # visibility is the map view's, a style change says its key
            self.schedule_render()
        if what == "data":
            self._data_edited()
        self._update_title()

    def _on_style_changed(self, kind: str, key: str) -> None:
        # the map view applies the resource filter, colours, opacities and labels in the page itself
        if not restyled_in_page(kind, key):
            self.schedule_render()

    def _on_result_changed(self, result) -> None:
        self.schedule_render()

    def _on_option_changed(self, key: str) -> None:
        if key == "layer_order":
            self._apply_layer_order()
        self._update_title()

    def map_options(self):
        """MapOptions from the settings and the layer models (visibility, labels).

        The resource filter is applied in the page (``MapView.set_resource_categories``), which
        re-applies it after every re-render.
        """
        from ambmap.render.map import MapOptions

        qpv = self.project.layers.get("qpv")
        tiles = self.session.offline_tiles()
        return MapOptions.from_settings(
            self.settings,
            **({"tile_url": tiles.url, "max_zoom": tiles.max_zoom} if tiles else {}),
            labels=bool(qpv.style.get("labels", True)) if qpv is not None else True,
            hidden=frozenset(kind for kind, layer in self.project.layers.items() if not layer.visible),
            layer_control=False,  # the layer panel is the window's one list of layers
        )

    def schedule_render(self) -> None:
        self._render_timer.start()

    def render_map(self, keep_view: bool = True) -> None:
        """Redraw the map from the project (the view is kept unless ``keep_view`` is False)."""
        self._render_timer.stop()
        options = self.map_options()
        self.map.set_resource_categories(shown_categories(self.project))
        try:
            self.map.show_project(
                self.project,
                coverage=self.session.coverage,
                recommendation=self.session.recommendation,
                options=options,
                keep_view=keep_view,
            )
        except Exception as e:  # noqa: BLE001 - a map that cannot be drawn never closes the window
            self._draw_failed(e)

    def _draw_failed(self, error: Exception) -> None:
        """A project file whose map cannot be drawn is replaced by the demo (and not reopened at start);
        unsaved work stays in the window, with the error shown."""
        project = self.project
        log.error("carte impossible à dessiner", exc_info=error)
        self.draw_error = error
        if not self._fallback:
            return
        if self._drawn or project.path is None or project.modified:
            return show_error(self, error)
        forget_project(self.settings, project.path)
        reason = error.message if isinstance(error, AmbmapError) else f"{type(error).__name__} : {error}"
        show_error(
            self,
            AmbmapError(
                f"La carte du projet « {project.path} » n'a pas pu être dessinée ({reason}). "
                "Le territoire de démonstration est affiché à la place ; le fichier n'a pas "
                "été modifié."
            ),
        )
        self.set_project(Project.default())

    def _on_map_ready(self) -> None:
        if not self._drawn:
            self._drawn = True
            if self.project.path is not None and not self.project.modified:
                remember_project(self.settings, self.project.path)
        self._apply_layer_order()

    def _apply_layer_order(self, *_) -> None:
        """Bring area layers to the front in the panel's order (markers always stay above areas)."""
        kinds = [k for k in layer_order(self.project)]
        self.map.page().runJavaScript(
            "(function(order){if(!window.ambmap){return;}order.forEach(function(k){var g=ambmap.layers[k];"
            "if(g&&g.eachLayer){g.eachLayer(function(l){if(l.bringToFront){l.bringToFront();}});}});})"
            f"({list(kinds)!r});".replace("'", '"')
        )

    def fit_territory(self) -> None:
        self.render_map(keep_view=False)

    # -- map <-> table ------------------------------------------------------------------------------
    def _on_feature_clicked(self, kind: str, feature_id: str) -> None:
        if self.table.select_feature(kind, feature_id):
            self.table_dock.show()
            self.table_dock.raise_()  # shown when the panels are opened: a click keeps the map's size
        layer = self.project.layers.get(kind)
        if layer is not None:
            self.statusBar().showMessage(f"{layer.title} : {feature_id}", 5000)

    def _on_qpv_selected(self, code: str) -> None:
        self.table.select_feature("qpv", code)
        self.map.highlight("qpv", code)

    def _on_cursor_moved(self, lat: float, lon: float) -> None:
        self.coords_label.setText(f"{lat:.5f} N  {lon:.5f} E")

    # -- editing ------------------------------------------------------------------------------------
    def set_edit_mode(self, on: bool) -> None:
        if self.act_edit.isChecked() != on:
            self.act_edit.setChecked(on)  # re-enters through toggled
            return
        if on:
            self.set_what_if(False)
        self.map.set_edit_mode(on)
        self.edit_label.setVisible(on)
        self.edit_label.setToolTip(
            "Cliquez sur la carte pour ajouter un élément, glissez un point pour le "
            "déplacer, sélectionnez-le puis Suppr pour le supprimer. Ctrl+Z annule."
        )

    def push(self, command) -> None:
        self.undo_stack.push(command)
        self.statusBar().showMessage(f"{command.text()} (Ctrl+Z pour annuler)", 6000)

    def _on_map_clicked(self, lat: float, lon: float) -> None:
        if self.to_place_panel.placing is not None:
            try:
                self.to_place_panel.place_at(lat, lon)
            except AmbmapError as e:
                show_error(self, e)
            return
        if self.act_edit.isChecked():
            self.add_feature_at(lat, lon)

    def add_feature_at(self, lat: float, lon: float, kind: str | None = None) -> bool:
        """Ask what to add at (lat, lon) and add it as one undoable step."""
        form = FeatureForm(self.project, lat, lon, self, kind=kind or self._last_added_kind())
        if form.exec() != FeatureForm.DialogCode.Accepted:
            return False
        try:
            self.push(commands.add_feature(self.project.layer(form.kind()), form.values(), lat, lon))
        except AmbmapError as e:
            show_error(self, e)
            return False
        self._last_kind = form.kind()
        return True

    def edit_feature(self, kind: str, feature_id: str) -> bool:
        """The form of an existing feature (double-click on its point or row); its changes are one
        undoable step."""
        layer = self.project.layers.get(kind)
        if kind not in EDITABLE or layer is None:
            return False
        try:
            point = layer.data.geometry[layer.data[layer.schema.id_field].astype(str) == str(feature_id)].iloc[0]
        except IndexError:
            show_error(self, AmbmapError(f"Élément « {feature_id} » introuvable : il a peut-être été supprimé."))
            return False
        form = FeatureForm(self.project, point.y, point.x, self, kind=kind, feature_id=feature_id)
        if form.exec() != FeatureForm.DialogCode.Accepted:
            return False
        changes = form.changes()
        if not changes:
            return False
        try:
            self.push(commands.edit_features(layer, {feature_id: changes}))
        except AmbmapError as e:
            show_error(self, e)
            return False
        return True

    def _last_added_kind(self) -> str:
        return getattr(self, "_last_kind", "poles")

    def _on_feature_moved(self, kind: str, feature_id: str, lat: float, lon: float) -> None:
        if kind in EDITABLE and kind in self.project.layers:
            try:
                self.push(commands.move_feature(self.project.layers[kind], feature_id, lat, lon))
            except (AmbmapError, KeyError) as e:
                show_error(
                    self, e if isinstance(e, AmbmapError) else AmbmapError(f"Élément « {feature_id} » introuvable.")
                )

    def delete_selected(self) -> None:
        """Delete the feature selected in the table (edit mode only, undoable)."""
        selected = self.table.selected_feature()
        if selected is None or selected[0] not in EDITABLE:
            self.statusBar().showMessage("Sélectionnez d'abord un pôle, un·e ambassadeur·rice ou une ressource.", 5000)
        elif not self.act_edit.isChecked():
            self.statusBar().showMessage("Passez en mode édition (Ctrl+M) pour supprimer un élément.", 5000)
        else:
            self._on_delete_requested(*selected)

    def _on_delete_requested(self, kind: str, feature_id: str) -> None:
        if kind in EDITABLE and kind in self.project.layers and self.act_edit.isChecked():
            try:
                self.push(commands.delete_feature(self.project.layers[kind], feature_id))
            except KeyError:
                show_error(
                    self, AmbmapError(f"Élément « {feature_id} » introuvable : il a peut-être déjà été supprimé.")
                )

    # -- files --------------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; True when the caller may go on (saved or discarded)."""
        if not self.project.modified:
            return True
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Modifications non enregistrées",
            f"Le projet « {self.project.name} » a été modifié. Enregistrer les modifications ?",
            parent=self,
        )
        save = box.addButton("Enregistrer", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Ne pas enregistrer", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Annuler", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return self.save()
        return clicked is discard

    def open_dialog(self) -> None:
        start = str(self.project.path.parent if self.project.path else Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Ouvrir un projet", start, "Projet ambmap (*.gpkg)")
        if name:
            self.open_project(Path(name))

    def open_project(self, path: Path) -> bool:
        if not self.maybe_save():
            return False
        try:
            project = Project.load(path)
        except AmbmapError as e:
            show_error(self, e)
            return False
        clear_recovery(self.settings)
        self.set_project(project)  # remembered as the last project once its map is drawn
        return True

    def save(self) -> bool:
        if self.project.path is None:
            return self.save_as()
        return self._save_to(self.project.path)

    def save_as(self, start: Path | None = None) -> bool:
        start = str(start or self.project.path or Path.home() / f"{file_stem(self.project.name, 'projet')}.gpkg")
        name, _ = QFileDialog.getSaveFileName(self, "Enregistrer le projet sous", start, "Projet ambmap (*.gpkg)")
        return bool(name) and self._save_to(Path(name))

    def _save_to(self, path: Path) -> bool:
        try:
            saved = self.project.save(path)
        except ProjectConflictError as e:  # another window or program saved the file: keep both versions
            answer = QMessageBox.question(
                self,
                "Projet modifié ailleurs",
                f"{e.message}\n\nEnregistrer sous un autre nom maintenant ?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes,
            )
            return answer == QMessageBox.StandardButton.Yes and self.save_as(path.with_name(f"{path.stem}-copie.gpkg"))
        except AmbmapError as e:
            show_error(self, e)
            return False
        clear_recovery(self.settings)
        remember_project(self.settings, saved)
        self.undo_stack.setClean()
        self._update_title()
        self.statusBar().showMessage(f"Projet enregistré : {saved}", 5000)
        return True

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = recent_projects(self.settings)
        for path in paths:
            self.recent_menu.addAction(path.name, lambda p=path: self.open_project(p)).setToolTip(str(path))
        if not paths:
            self.recent_menu.addAction("(aucun fichier récent)").setEnabled(False)

    def new_territory(self) -> None:
        dialog = NewTerritoryDialog(self.settings, self)
        if dialog.exec() != NewTerritoryDialog.DialogCode.Accepted or not self.maybe_save():
            return
        try:
            project = build_territory_project(self, self.settings, dialog.choice())
        except Exception as e:  # noqa: BLE001 - shown in French, the current project stays
            return show_error(self, e)
        project.modified = True
        self.set_project(project)

    def import_file(self) -> None:
        wizard = ImportWizard(self.project, self.settings, self)
        if wizard.exec() != ImportWizard.DialogCode.Accepted or wizard.import_result is None:
            return
        from ambmap.imports import plan_import, planned_layer

        result = wizard.import_result
        try:
            plan = plan_import(self.project, result, replace=wizard.replace)
            layer = planned_layer(self.project, result, plan, replace=wizard.replace)
        except AmbmapError as e:
            return show_error(self, e)
        self.undo_stack.beginMacro(f"Importer « {result.file} » ({layer.title})")
        if plan.layer_changes:
            text = f"Importer {len(result.data)} ligne(s) dans « {layer.title} »"
            self.push(commands.ReplaceLayer(self.project, layer, text))
        if not plan.to_place.equals(self.project.to_place):
            self.push(SetToPlace(self.project, plan.to_place, f"Garder {len(plan.aside)} ligne(s) « à placer »"))
        self.undo_stack.endMacro()
        if plan.aside:  # unfolded even at 1366×768: the rows just imported are not on the map
            self.show_panel(self.to_place_dock)

    def _on_placing(self, on: bool) -> None:
        """« Placer sur la carte »: the next map click places the chosen row (the page sends clicks in edit mode)."""
        if on:
            self.set_what_if(False)
            self.map.set_edit_mode(True)
            self.statusBar().showMessage(
                f"Cliquez sur la carte pour placer « {self.to_place_panel.placing_label()} »", 0
            )
        else:
            self.map.set_edit_mode(self.act_edit.isChecked())
            self.statusBar().clearMessage()

    def geocode_to_place(self, rows: list[int]) -> None:
        """Look up the addresses of rows « à placer » (all when ``rows`` is empty) in a worker; those found
        are placed as one undoable step, the others stay, and a message says why."""
        from ambmap.imports import geocode_to_place

        try:
            found, still, why = run_task(
                self, "Géocodage des lignes à placer…", geocode_to_place, self.project, self.settings, rows or None
            )
            self.to_place_panel.place_found(found, self.settings.geocode_min_score, why)
        except Exception as e:  # noqa: BLE001 - shown in French (offline, service down); nothing changed
            return show_error(self, e)
        low = [i for i, (_, _, score) in found.items() if score is not None and score < self.settings.geocode_min_score]
        text = f"{len(found)} ligne(s) placée(s) d'après leur adresse"
        if low:  # placed, but perhaps in the wrong street: said here, not only by the point's colour
            text += f", dont {len(low)} à vérifier (adresse trouvée approximativement : vérifiez leur position)"
        text += "."
        if still:
            text += f" {len(still)} {'reste' if len(still) == 1 else 'restent'} à placer :\n" + "\n".join(
                f"  - {shorten(line)}" for line in still[:20]
            )
            if len(still) > 20:
                text += f"\n  … et {len(still) - 20} autre(s) : voir la colonne « Pourquoi » du panneau « À placer »."
        message(self, "Chercher les adresses", text)

    def fetch_streets(self) -> None:
        """Download the territory's streets, water, railways and parks (a worker, with « Annuler ») and swap
        them in as one undoable step."""
        from ambmap.fetch import fetch_basemap

        try:
            layers = run_task(self, "Téléchargement des rues…", fetch_basemap, self.project, self.settings)
        except SourceError as e:
            return show_error(self, OFFLINE_STREETS if self.settings.offline else e)
        except Exception as e:  # noqa: BLE001 - shown in French, the project stays as it was
            return show_error(self, e)
        self.undo_stack.beginMacro(f"Télécharger les rues ({len(layers[0])} rues)")
        for layer in layers:
            self.project.layer(layer.kind)  # an empty layer to come back to, should the project have none
            self.push(commands.ReplaceLayer(self.project, layer, f"Télécharger « {layer.title} »"))
        self.undo_stack.endMacro()
        self.statusBar().showMessage(f"{len(layers[0])} rues enregistrées dans le projet (OpenStreetMap).", 8000)

    # -- analysis -----------------------------------------------------------------------------------
    def coverage_params(self):
        """The project's coverage parameters (the user's settings for a project without any)."""
        return self.session.coverage_params

    def set_coverage_params(self, params) -> None:
        """Parameters edited in the coverage panel: saved in the project, coverage recomputed."""
        self.session.set_coverage_params(params)
        if len(self.project.layers.get("qpv") or ()):
            self.compute_coverage()

    def compute_coverage(self) -> None:
        from ambmap.analysis.coverage import compute_coverage

        try:
            coverage = run_task(
                self, "Calcul de la couverture…", compute_coverage, self.project, self.coverage_params()
            )
        except Exception as e:  # noqa: BLE001
            return show_error(self, e)
        self.session.set_coverage(coverage)  # shown by the panel, drawn by the next render
        self.show_panel(self.coverage_dock)
        self.render_map()

    def _data_edited(self, recompute: bool = True) -> None:
        """The data changed: results being computed from the old data are thrown away, the coverage is
        computed again shortly (in the background), « Et si ? » builds its demand again."""
        self._data_version += 1
        self._what_if_model = None
        if self._live_task is not None:
            self._live_task.cancel()
            self._live_task = None
        if recompute:
            self._live_timer.start()
        else:
            self._live_timer.stop()

    def _start_live_coverage(self) -> None:
        from ambmap.analysis.coverage import compute_coverage

        if not len(self.project.layers.get("qpv") or ()):
            return
        try:
            params = self.coverage_params()
        except AmbmapError as e:
            self.statusBar().showMessage(f"Couverture non recalculée : {e.message}", 8000)
            return
        version = self._data_version
        task = self._live_task = run_in_background(compute_coverage, self.project, params)
        task.done.connect(lambda result: self._live_coverage_done(task, version, result))
        task.failed.connect(lambda error: self._live_coverage_failed(task, error))

    def _live_coverage_done(self, task, version: int, result) -> None:
        if task is self._live_task:
            self._live_task = None
        if version == self._data_version:  # else the data changed meanwhile: another run is coming
            self.session.set_coverage(result)

    def _live_coverage_failed(self, task, error: BaseException) -> None:
        if task is self._live_task:
            self._live_task = None
        log.info("couverture non recalculée", exc_info=error)
        reason = error.message if isinstance(error, AmbmapError) else "erreur inattendue (voir le journal)"
        self.statusBar().showMessage(f"Couverture non recalculée : {reason}", 8000)

    # -- « et si ? » ----------------------------------------------------------------------------------
    def set_what_if(self, on: bool) -> None:
        """« Et si ? » : the pointer shows what one more ambassador there would add (click or rest)."""
        if self.act_what_if.isChecked() != on:
            self.act_what_if.setChecked(on)  # re-enters through toggled
            return
        if on:
            self.set_edit_mode(False)
        self.map.set_what_if(on)
        self.what_if_label.setVisible(on)
        self.what_if_label.setText("ET SI ? Survolez ou cliquez la carte" if on else "")
        if not on:
            self._what_if_timer.stop()

    def _on_cursor_for_what_if(self, lat: float, lon: float) -> None:
        if self.act_what_if.isChecked():
            self._what_if_spot = (lat, lon)
            self._what_if_timer.start()

    def _what_if_at(self, lat: float, lon: float) -> None:
        """Compute (in the background) what a new ambassador at (lat, lon) would add; one at a time, the
        latest spot asked wins."""
        if not self.act_what_if.isChecked():
            return
        self._what_if_spot = (lat, lon)
        if self._what_if_task is not None:  # busy: the timer asks again for the latest spot
            self._what_if_timer.start()
            return
        from ambmap.analysis.what_if import WhatIf

        version = self._data_version
        try:
            params = self.coverage_params()
        except AmbmapError as e:
            return self.statusBar().showMessage(e.message, 8000)
        cached = self._what_if_model
        model = cached[2] if cached and cached[:2] == (version, params) else None

        def compute(progress=None):
            ready = model or WhatIf(self.project, params)
            return ready, ready.gain(lon, lat)

        task = self._what_if_task = run_in_background(compute)
        task.done.connect(lambda answer: self._what_if_done(version, params, lat, lon, *answer))
        task.failed.connect(self._what_if_failed)

    def _what_if_done(self, version: int, params, lat: float, lon: float, model, gain) -> None:
        self._what_if_task = None
        if version != self._data_version or not self.act_what_if.isChecked():
            return
        self._what_if_model = (version, params, model)
        lines = what_if_lines(gain)
        self.what_if_label.setText(" · ".join(lines[:3]) + (" · …" if len(lines) > 3 else ""))
        self.what_if_label.setToolTip("\n".join(lines))
        self.map.show_what_if(lat, lon, shapely_mapping(gain.zone), lines)

    def _what_if_failed(self, error: BaseException) -> None:
        self._what_if_task = None
        self.what_if_label.setText(error.message if isinstance(error, AmbmapError) else "Et si ? : erreur inattendue")
        if not isinstance(error, AmbmapError):
            log.error("« et si ? » en erreur", exc_info=error)

    def recommend(self) -> None:
        from ambmap.io.points import read_points

        dialog = RecommendDialog(self)
        if dialog.exec() != RecommendDialog.DialogCode.Accepted:
            return
        question = dialog.question()
        try:
            if isinstance(question["candidates"], Path):
                question["candidates"] = read_points(question["candidates"])
        except Exception as e:  # noqa: BLE001
            return show_error(self, e)
        self._run_recommendation(question)

    def refresh_recommendation(self) -> None:
        """Ask the shown recommendation's question again, of the current data and parameters."""
        if self.session.recommendation is None:
            return
        request = self.session.recommendation.request
        self._run_recommendation(
            {
                key: request.get(key)
                for key in ("k", "target", "candidates", "time_limit")
                if request.get(key) is not None
            }
        )

    def _run_recommendation(self, question: dict) -> None:
        def reveal() -> None:
            self.show_panel(self.recommendation_dock)

        if run_recommendation(self, self.session, question, self.coverage_params(), reveal):
            self.render_map()

    # -- other helpers' windows ---------------------------------------------------------------------
    def export(self) -> None:
        from ambmap.ui.export_dialog import ExportDialog  # on demand: keeps start-up light

        self._open_other(lambda: ExportDialog(self.session, self).exec())

    def offline_basemap(self) -> None:
        from ambmap.ui.offline_dialog import OfflineBasemapDialog  # on demand: keeps start-up light

        self._open_other(lambda: OfflineBasemapDialog(self.project, self.settings, self).exec())

    def presentation(self) -> None:
        from ambmap.ui.presentation import HINTS, PresentationWindow

        def open_window():
            window = PresentationWindow(self.session, parent=None)
            self._children.append(window)
            window.show_on_screens()
            self.statusBar().showMessage(HINTS, 20_000)  # for the presenter: never on the projected screen

        self._open_other(open_window)

    def _open_other(self, open_it) -> None:
        """Open another part's window; a failure there is shown in French and leaves the project as it is."""
        try:
            open_it()
        except Exception as e:  # noqa: BLE001
            show_error(self, e)

    def edit_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        self.session.settings = dialog.settings
        self.autosave_timer.start(int(self.settings.autosave_minutes * 60_000))
        self._update_status()
        self.render_map()

    def about(self) -> None:
        AboutDialog(self.project, self).exec()

    def guide(self) -> None:
        from ambmap.ui.help import GuideDialog  # on demand: keeps start-up light

        self._open_other(lambda: GuideDialog(self.project, self).exec())

    # -- status, safety -----------------------------------------------------------------------------
    def _update_title(self, *_) -> None:
        where = self.project.path.name if self.project.path else "projet non enregistré"
        self.setWindowTitle(f"ambmap — {self.project.name} ({where})[*]")
        self.setWindowModified(self.project.modified)

    def _update_status(self) -> None:
        t = self.project.territory
        kinds = {"commune": "commune", "epci": "intercommunalité"}
        self.territory_label.setText(
            f"Territoire : {t.get('name', '?')} ({kinds.get(t.get('kind'), t.get('kind', ''))} {t.get('code', '')})"
        )
        if self.project.is_demo:
            self.data_label.setText(DEMO_LABEL)
            self.data_label.setStyleSheet("color: #7a4a00; background: #ffe0a3; padding: 1px 6px")
        else:
            self.data_label.setText("Données officielles")
            self.data_label.setStyleSheet("color: #1b5e20; padding: 1px 6px")
        self.cache_label.setText(
            cache_age_text(self.settings.cache_dir) + (" · hors ligne" if self.settings.offline else "")
        )

    def autosave(self) -> None:
        """Write the recovery copy when there are unsaved changes (never touches the project file)."""
        if not self.project.modified:
            return
        try:
            write_recovery(self.project, self.settings)
        except (OSError, AmbmapError):
            log.warning("sauvegarde de secours impossible", exc_info=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.autosave_timer.stop()
        self._render_timer.stop()
        self._live_timer.stop()
        self._what_if_timer.stop()
        for task in (self._live_task, self._what_if_task):  # no thread may outlive the project it reads
            if task is not None:
                task.cancel()
                task.wait()
        self._stop_listening()
        self.session.close()  # the project may outlive the window (tests, screenshots)
        clear_recovery(self.settings)
        window_state(self.settings).setValue("window/geometry", self.saveGeometry())
        for window in self._children:
            if shiboken6.isValid(window):  # a presentation closed by the user is already deleted
                window.close()
        event.accept()


def _no_title_bar() -> QWidget:
    """An empty title bar of no height (a bare QWidget has no size hint, which Qt warns about)."""
    bar = QWidget()
    QHBoxLayout(bar).setContentsMargins(0, 0, 0, 0)
    return bar


def what_if_lines(gain) -> list[str]:
    """« Et si ? » in French: the total, then each QPV reached with its covered share before → after."""
    from ambmap import text

    if gain.per_qpv.empty:
        return ["Et si ? Aucun QPV à portée ici"]
    if gain.total <= 0:
        return ["Et si ? Personne de plus : les QPV à portée d'ici sont déjà couverts"]
    lines = [f"Et si ? +{text.quantity(gain.total, gain.unit.rstrip('s'), gain.unit)} couverts"]
    for row in gain.per_qpv.itertuples():
        lines.append(
            f"{row.nom_qp} : +{text.number(row.gain)} ({text.percent(row.share_before)} → "
            f"{text.percent(row.share_after)})"
        )
    return lines


def shapely_mapping(geometry) -> dict:
    from shapely.geometry import mapping

    return mapping(geometry)


def window_state(settings: Settings) -> QSettings:
    """Window size and place, kept beside the user's other ambmap files (not in a global registry)."""
    return QSettings(str(settings.config_dir / "fenetre.ini"), QSettings.Format.IniFormat)


def cache_age_text(cache_dir: Path) -> str:
    """« Cache : mis à jour il y a 3 j » from the newest file of the download cache."""
    from ambmap.runtime import TEMP_DIR

    newest = 0.0
    if cache_dir.is_dir():
        for path in cache_dir.rglob("*"):
            if path.relative_to(cache_dir).parts[0] == TEMP_DIR:  # the map pages, not downloads
                continue
            try:
                newest = max(newest, path.stat().st_mtime)
            except OSError:
                continue
    if not newest:
        return "Cache : vide"
    age = dt.timedelta(seconds=max(0, time.time() - newest))
    if age < dt.timedelta(minutes=1):
        return "Cache : mis à jour à l'instant"
    if age < dt.timedelta(hours=1):
        return f"Cache : mis à jour il y a {age.seconds // 60} min"
    if age < dt.timedelta(days=2):
        return f"Cache : mis à jour il y a {age.days * 24 + age.seconds // 3600} h"
    return f"Cache : mis à jour il y a {age.days} j"
