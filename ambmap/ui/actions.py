"""The main window's actions, menus and toolbar (built once, stored as ``window.act_*``).

Kept apart from ``main_window.py`` so the window's class reads as behaviour; the slots stay there.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar


def make_action(parent, text: str, slot=None, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.setCheckable(checkable)
    if slot is not None:
        (action.toggled if checkable else action.triggered).connect(slot)
    return action


def build_actions(window) -> None:
    K = QKeySequence
    window.act_new = make_action(
        window,
        "&Nouveau territoire…",
        window.new_territory,
        K.StandardKey.New,
        "Créer un projet pour une commune ou une intercommunalité",
    )
    window.act_open = make_action(
        window, "&Ouvrir…", window.open_dialog, K.StandardKey.Open, "Ouvrir un projet (.gpkg)"
    )
    window.act_save = make_action(window, "&Enregistrer", window.save, K.StandardKey.Save, "Enregistrer le projet")
    window.act_save_as = make_action(window, "Enregistrer &sous…", lambda: window.save_as(), K("Ctrl+Shift+S"))
    window.act_import = make_action(
        window,
        "&Importer…",
        window.import_file,
        K("Ctrl+I"),
        "Importer un tableau (CSV, Excel) ou une couche (GeoJSON, GeoPackage…)",
    )
    window.act_export = make_action(
        window, "E&xporter…", window.export, K("Ctrl+E"), "Exporter la carte, les tableaux ou une mise en page"
    )
    window.act_offline = make_action(window, "Fond de carte hors ligne…", window.offline_basemap)
    window.act_streets = make_action(
        window,
        "Télécharger les rues du territoire",
        window.fetch_streets,
        tip="Rues, eau, voies ferrées et parcs d'OpenStreetMap, enregistrés dans le "
        "projet : un fond de carte hors ligne et sur papier",
    )
    window.act_settings = make_action(window, "Réglages…", window.edit_settings, K("Ctrl+,"))
    window.act_quit = make_action(window, "&Quitter", window.close, K("Ctrl+Q"))
    window.act_undo = window.undo_stack.createUndoAction(window, "Annuler")
    window.act_undo.setShortcuts([K(K.StandardKey.Undo)])
    window.act_redo = window.undo_stack.createRedoAction(window, "Rétablir")
    window.act_redo.setShortcuts([K("Ctrl+Y"), K("Ctrl+Shift+Z")])
    window.act_edit = make_action(
        window,
        "Mode é&dition",
        window.set_edit_mode,
        K("Ctrl+M"),
        "Ajouter (clic), déplacer (glisser) ou supprimer (Suppr) des points",
        True,
    )
    window.act_delete = make_action(
        window,
        "Supprimer l'élément sélectionné",
        window.delete_selected,
        K(K.StandardKey.Delete),
        "Supprimer le point sélectionné dans la table (mode édition)",
    )
    window.act_delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    window.table.addAction(window.act_delete)  # the map page handles its own Delete key
    window.act_present = make_action(
        window, "Mode &présentation", window.presentation, K("F5"), "Carte en plein écran pour une réunion"
    )
    window.act_fit = make_action(window, "Recentrer sur le territoire", window.fit_territory, K("Ctrl+0"))
    window.act_coverage = make_action(
        window,
        "&Calculer la couverture",
        window.compute_coverage,
        K("Ctrl+R"),
        "Part de la population de chaque QPV à portée d'un·e ambassadeur·rice",
    )
    window.act_recommend = make_action(
        window, "&Recommander…", window.recommend, K("Ctrl+Shift+R"), "Où recruter de nouveaux·elles ambassadeurs·rices"
    )
    window.act_guide = make_action(
        window,
        "&Guide de démarrage",
        window.guide,
        K("F1"),
        "Les couleurs de la carte, importer, lire la couverture, exporter pour le contrat de ville",
    )
    window.act_about = make_action(window, "À &propos, sources et licences", window.about)
    window.act_what_if = make_action(
        window,
        "Et si ?",
        window.set_what_if,
        K("Ctrl+W"),
        "Survolez ou cliquez la carte : la population qu'un·e ambassadeur·rice "
        "de plus à cet endroit couvrirait, par QPV",
        True,
    )

    menu = window.menuBar().addMenu("&Fichier")
    menu.addActions([window.act_new, window.act_open, window.act_save, window.act_save_as])
    menu.addSeparator()
    menu.addActions([window.act_import, window.act_export, window.act_offline, window.act_streets])
    menu.addSeparator()
    window.recent_menu = menu.addMenu("&Récents")
    window.recent_menu.aboutToShow.connect(window._fill_recent_menu)
    menu.addSeparator()
    menu.addActions([window.act_settings, window.act_quit])
    menu = window.menuBar().addMenu("É&dition")
    menu.addActions([window.act_undo, window.act_redo])
    menu.addSeparator()
    menu.addActions([window.act_edit, window.act_delete])
    menu = window.menuBar().addMenu("&Affichage")
    for dock, text in (
        (window.layers_dock, "Panneau des couches"),
        (window.table_dock, "Table attributaire"),
        (window.coverage_dock, "Panneau de couverture"),
        (window.recommendation_dock, "Panneau « Où recruter »"),
        (window.history_dock, "Panneau « Suivi »"),
        (window.slides_dock, "Panneau « Diapositives » (présentation)"),
    ):
        toggle = dock.toggleViewAction()
        toggle.setText(text)
        menu.addAction(toggle)
    window.act_fold = make_action(
        window,
        "Replier les panneaux du bas",
        window.set_panels_collapsed,
        tip="Les panneaux du bas réduits à leurs onglets : un clic sur un onglet les déplie",
        checkable=True,
    )
    menu.addAction(window.act_fold)
    menu.addSeparator()
    menu.addActions([window.act_fit, window.act_present])
    menu = window.menuBar().addMenu("A&nalyse")
    menu.addActions([window.act_coverage, window.act_recommend, window.act_what_if])
    menu = window.menuBar().addMenu("Ai&de")
    menu.addActions([window.act_guide, window.act_about])

    toolbar = QToolBar("Barre d'outils", window)
    toolbar.setObjectName("toolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    toolbar.addActions([window.act_open, window.act_save, window.act_import, window.act_export])
    toolbar.addSeparator()
    toolbar.addActions([*undo_buttons(window), window.act_edit])
    toolbar.addSeparator()
    toolbar.addActions([window.act_coverage, window.act_recommend, window.act_what_if, window.act_present])
    toolbar.setMovable(False)
    window.toolbar = toolbar
    window.addToolBar(toolbar)


def undo_buttons(window) -> tuple[QAction, QAction]:
    """« Annuler » and « Rétablir » for the toolbar: fixed words (the toolbar never jumps when the step's
    name changes), the step named in the tooltip; the menu's actions keep the step in their text."""
    stack = window.undo_stack
    buttons = []
    for word, act, can_changed, text_changed in (
        ("Annuler", stack.undo, stack.canUndoChanged, stack.undoTextChanged),
        ("Rétablir", stack.redo, stack.canRedoChanged, stack.redoTextChanged),
    ):
        button = QAction(word, window)
        button.setEnabled(False)  # the stack is empty; its signals keep the button up to date
        button.setToolTip(f"Rien à {word.lower()}")
        button.triggered.connect(act)
        # the slots read the signals' values, never the stack: it may be going away when it sends them
        can_changed.connect(button.setEnabled)
        text_changed.connect(
            lambda step, button=button, word=word: button.setToolTip(
                f"{word} : {step}" if step else f"Rien à {word.lower()}"
            )
        )
        buttons.append(button)
    window.act_undo_button, window.act_redo_button = buttons
    return buttons[0], buttons[1]
