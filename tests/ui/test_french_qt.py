"""Qt's own dialogs speak French once ambmap's translations are installed (qt_env.install_french)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QColorDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
)

from ambmap.ui import qt_env


@pytest.fixture
def french(qapp):
    assert qt_env.install_french(qapp)
    assert qt_env.install_french(qapp)  # a second call adds nothing
    return qapp


def _buttons(widget) -> set[str]:
    return {b.text().replace("&", "") for b in widget.findChildren(QPushButton)}


def test_file_dialog_is_french(qtbot, french):
    dialog = QFileDialog(None, "Ouvrir un projet")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # what the test can inspect; native ones follow the OS
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    qtbot.addWidget(dialog)
    dialog.show()
    assert {"Ouvrir", "Annuler"} <= _buttons(dialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    assert "Enregistrer" in _buttons(dialog)
    labels = "|".join(label.text() for label in dialog.findChildren(QLabel))
    assert "Look in" not in labels and "Files of" not in labels  # Qt 6 texts missing from qtbase_fr.qm
    assert {"Voir dans", "Nom de fichier", "Fichiers de type"} <= {
        t.replace("&", "").replace("\u00a0:", "") for t in labels.split("|")
    }


def test_colour_dialog_and_message_box_are_french(qtbot, french):
    colours = QColorDialog()
    colours.setOption(QColorDialog.ColorDialogOption.DontUseNativeDialog)
    qtbot.addWidget(colours)
    colours.show()
    assert {"OK", "Annuler"} <= _buttons(colours)
    assert any("couleur" in b.lower() for b in _buttons(colours))  # « Ajouter aux couleurs personnalisées »
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "ambmap",
        "Enregistrer ?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    qtbot.addWidget(box)
    assert box.button(QMessageBox.StandardButton.Yes).text().replace("&", "") == "Oui"
    assert box.button(QMessageBox.StandardButton.No).text().replace("&", "") == "Non"
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Close)
    qtbot.addWidget(buttons)
    assert buttons.button(QDialogButtonBox.StandardButton.Close).text().replace("&", "") == "Fermer"


def test_file_types_in_the_file_list_are_french(french):
    from PySide6.QtCore import QCoreApplication

    assert QCoreApplication.translate("QAbstractFileIconProvider", "Folder") == "Dossier"
    assert QCoreApplication.translate("QFileDialog", "&Open") == "&Ouvrir"  # Qt's own catalogue still answers
