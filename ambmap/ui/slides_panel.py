"""« Diapositives » panel of the main window: the presentation composed beside the live map, never in a modal.

« Ajouter la vue actuelle » takes the main map's exact framing (centre, fractional zoom, bounds), its visible
layers and the analysis it shows; the selected slide's title, caption and analysis are edited in place,
slides are reordered or removed, and a double-click frames the main map as the slide will be. The slides
live in the project (``session.options.slides``): an open presentation follows them at once.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ambmap.layers import SCHEMAS
from ambmap.ui.data_text import plain_tip, shorten
from ambmap.ui.listening import listen
from ambmap.ui.presentation import (
    ANALYSIS_KINDS,
    CAPTURE_VIEW,
    FIT_BOUNDS,
    FIT_TERRITORY,
    OVERLAY_KINDS,
    OVERLAYS,
    PLACEHOLDERS,
    fill,
    js_call,
    overlay_of,
    starter_deck,
    view_of,
)

EDIT_DELAY_MS = 400  # typing a title saves once the keys rest


class SlidesPanel(QWidget):
    """Compose the slides from the main map (``map_view``), which stays live."""

    present_requested = Signal()

    def __init__(self, session, map_view, parent=None):
        super().__init__(parent)
        self.session, self.map = session, map_view
        self.list = QListWidget()
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setMinimumHeight(90)
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemDoubleClicked.connect(lambda _item: self.show_on_map())
        self.add_button = QPushButton("Ajouter la vue actuelle")
        self.add_button.setToolTip("La carte telle qu'elle est : cadrage, couches affichées, analyse")
        self.add_button.clicked.connect(self.add_current)
        self.starter_button = QPushButton("Partir du jeu de départ")
        self.starter_button.setToolTip("Territoire, couverture, manques, recommandation : à modifier ensuite")
        self.starter_button.clicked.connect(self.use_starter_deck)
        self.empty = QLabel(
            "Aucune diapositive : la présentation montrera le jeu de départ (territoire, couverture, manques, "
            "recommandation). Placez la carte puis « Ajouter la vue actuelle »."
        )
        self.empty.setWordWrap(True)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("ex. La couverture à Fives")
        self.caption_edit = QPlainTextEdit()
        self.caption_edit.setPlaceholderText("Une ou deux phrases sous la carte, ex. {part_couverte} couverts")
        self.caption_edit.setFixedHeight(96)
        self.overlay = QComboBox()
        for key, label in OVERLAYS.items():
            self.overlay.addItem(label, key)
        self.figure = QComboBox()  # placeholders inserted for the user: the caption then follows the data
        self.figure.addItem("Insérer un chiffre à jour…", "")
        for name, what in PLACEHOLDERS.items():
            self.figure.addItem(f"{what} — {{{name}}}", name)
        self.figure.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.figure.setMinimumContentsLength(16)  # long item texts must not widen the dock
        self.figure.setToolTip("Remplacé par le chiffre public du moment à chaque diapositive")
        self.figure.activated.connect(self._insert_figure)
        self._save_timer = QTimer(self, singleShot=True, interval=EDIT_DELAY_MS, timeout=self._save_edit)
        self.title_edit.textEdited.connect(lambda _: self._save_timer.start())
        self.caption_edit.textChanged.connect(self._save_timer.start)
        self.overlay.activated.connect(lambda _: self._save_edit())
        self.form = QWidget()
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Titre :", self.title_edit)
        form.addRow("Légende :", self.caption_edit)
        form.addRow("", self.figure)
        form.addRow("Analyse :", self.overlay)
        buttons = QGridLayout()
        self.row_buttons = []
        for i, (text, tip, slot) in enumerate(
            (
                ("Monter", "", lambda: self.move(-1)),
                ("Descendre", "", lambda: self.move(1)),
                ("Supprimer", "", self.remove),
                ("Montrer sur la carte", "Cadrer la carte comme la diapositive (double-clic)", self.show_on_map),
                ("Reprendre la vue", "Remplacer son cadrage par la vue actuelle de la carte", self.replace_view),
            )
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button, i // 2, i % 2)
            self.row_buttons.append(button)
        present = QPushButton("Présenter (F5)")
        present.clicked.connect(self.present_requested)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.add_button)
        layout.addWidget(self.empty)
        layout.addWidget(self.starter_button)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.form)
        layout.addWidget(present)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)  # a small screen keeps its map
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._writing = False  # our own edit is being saved: the list is not rebuilt under the cursor
        self._slot = None  # the slot waiting for the page's answer (one capture at a time)
        self._editing: int | None = None  # the row shown in the editor
        listen(self, (session.options.changed, self._on_option), (session.project_changed, self._on_project))
        self.refresh()

    # -- the slides -----------------------------------------------------------------------------
    @property
    def slides(self) -> list[dict]:
        return self.session.options.slides

    def _write(self, slides: list[dict], row: int | None = None) -> None:
        self._writing = True
        try:
            self.session.options.slides = slides
        finally:
            self._writing = False
        self.refresh(row)

    def _on_option(self, key: str) -> None:
        if key == "slides" and not self._writing:
            self.refresh()

    def _on_project(self, _project) -> None:
        self.refresh(0)

    def refresh(self, row: int | None = None) -> None:
        """The list from the project's slides, keeping (or moving to) ``row``."""
        slides = self.slides
        row = self.list.currentRow() if row is None else row
        project = self.session.project  # the list names the territory, not « {territoire} »
        named = {"territoire": str(project.territory.get("name") or project.name)}
        self.list.blockSignals(True)
        self.list.clear()
        for i, slide in enumerate(slides, start=1):
            overlay = OVERLAYS.get((slide.get("view") or {}).get("overlay", "none"), "")
            text = f"{i}. {fill(slide.get('title') or 'Sans titre', named)} — {overlay}"
            self.list.addItem(shorten(text))
            self.list.item(i - 1).setToolTip(plain_tip(text))  # a title from the project file is never HTML
        self.list.blockSignals(False)
        self.empty.setVisible(not slides)
        self.starter_button.setVisible(not slides)
        self.list.setCurrentRow(min(max(row, 0), len(slides) - 1) if slides else -1)
        self._on_row(self.list.currentRow())

    def _on_row(self, row: int) -> None:
        """Show the selected slide in the editor (saving the one being typed first)."""
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._save_edit(self._editing)
        slides = self.slides
        has = 0 <= row < len(slides)
        self._editing = row if has else None
        self.form.setEnabled(has)
        for button in self.row_buttons:
            button.setEnabled(has)
        slide = slides[row] if has else {}
        for widget in (self.title_edit, self.caption_edit, self.overlay):
            widget.blockSignals(True)
        self.title_edit.setText(slide.get("title", ""))
        self.caption_edit.setPlainText(slide.get("caption", ""))
        self.overlay.setCurrentIndex(max(0, self.overlay.findData((slide.get("view") or {}).get("overlay", "none"))))
        for widget in (self.title_edit, self.caption_edit, self.overlay):
            widget.blockSignals(False)

    def _save_edit(self, row: int | None = None) -> None:
        """Write the editor's title, caption and analysis into the slide being edited."""
        row = self._editing if row is None else row
        slides = self.slides
        if row is None or not 0 <= row < len(slides):
            return
        slide = slides[row]
        slide["title"] = self.title_edit.text().strip()
        slide["caption"] = self.caption_edit.toPlainText().strip()
        slide["view"] = dict(slide.get("view") or {}, overlay=self.overlay.currentData())
        if slide != self.slides[row]:
            self._write(slides, row)

    def _insert_figure(self, index: int) -> None:
        name = self.figure.itemData(index)
        self.figure.setCurrentIndex(0)
        if name:
            self.caption_edit.insertPlainText(f"{{{name}}}")  # saved by the caption's own change
            self.caption_edit.setFocus()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's naming)
        return QSize(340, super().sizeHint().height())  # beside the map, not over it

    # -- actions --------------------------------------------------------------------------------
    def _capture(self, then) -> None:
        """Ask the page for its exact view, then call ``then(view)``; nothing while no map is shown."""
        if not self.map.is_ready:
            return
        self._slot = then
        self.map.page().runJavaScript(f"JSON.stringify({CAPTURE_VIEW})", 0, self._captured)

    def _captured(self, answer) -> None:
        slot, self._slot = self._slot, None
        result = json.loads(answer) if isinstance(answer, str) else None
        if slot is not None and isinstance(result, dict) and result.get("bounds"):
            slot(result)

    def add_current(self) -> None:
        """A new slide framed as the map is now; its title is selected for typing."""

        def add(captured: dict) -> None:
            slides = self.slides
            title = f"Diapositive {len(slides) + 1}"
            slides.append(
                {"title": title, "caption": "", "view": view_of(captured, title, overlay_of(captured["visible"]))}
            )
            self._write(slides, len(slides) - 1)
            self.title_edit.setFocus()
            self.title_edit.selectAll()

        self._capture(add)

    def replace_view(self) -> None:
        """The selected slide framed as the map is now (title and caption kept)."""
        row = self.list.currentRow()

        def replace(captured: dict) -> None:
            slides = self.slides
            if 0 <= row < len(slides):
                overlay = (slides[row].get("view") or {}).get("overlay") or overlay_of(captured["visible"])
                slides[row]["view"] = view_of(captured, slides[row].get("title", ""), overlay)
                self._write(slides, row)

        self._capture(replace)

    def use_starter_deck(self) -> None:
        self._write(starter_deck(self.session.recommendation is not None), 0)

    def move(self, step: int) -> None:
        row, slides = self.list.currentRow(), self.slides
        target = row + step
        if 0 <= row < len(slides) and 0 <= target < len(slides):
            slides[row], slides[target] = slides[target], slides[row]
            self._write(slides, target)

    def remove(self) -> None:
        row, slides = self.list.currentRow(), self.slides
        if 0 <= row < len(slides):
            del slides[row]
            self._write(slides, row)

    def show_on_map(self) -> None:
        """Frame the main map as the selected slide: its layers, its analysis, its bounds."""
        row, slides = self.list.currentRow(), self.slides
        if not 0 <= row < len(slides) or not self.map.is_ready:
            return
        view = slides[row].get("view") or {}
        if "visible" in view or "overlay" in view:
            shown = set(view.get("visible") or []) | OVERLAY_KINDS.get(view.get("overlay", "none"), set())
            for kind, layer in self.session.project.layers.items():
                if kind in SCHEMAS:
                    layer.visible = kind in shown  # the layer panel follows
            for kind in sorted(ANALYSIS_KINDS):
                self.map.set_layer_visible(kind, kind in shown)
        if view.get("bounds"):
            self.map.page().runJavaScript(js_call(FIT_BOUNDS, view["bounds"]))
        elif "lat" in view:
            self.map.set_view(float(view["lat"]), float(view["lon"]), float(view["zoom"]))
        else:
            self.map.page().runJavaScript(js_call(FIT_TERRITORY))
