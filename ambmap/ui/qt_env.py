"""Environment QtWebEngine needs, set before the QApplication exists, and that one QApplication.

Chromium refuses to start as root without ``QTWEBENGINE_DISABLE_SANDBOX``, and under Xvfb or in virtual
machines its GPU process fails: software rendering is slower to start by nothing we can measure and
never shows a white map.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

CHROMIUM_FLAGS = (
    "--disable-gpu",
    "--disable-gpu-compositing",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-pings",
)


def configure(env: MutableMapping[str, str] | None = None) -> None:
    """Add the sandbox switch (when root) and the Chromium flags missing from ``env`` (default: os.environ).

    Flags already set by the user are kept; call this before creating the QApplication.
    """
    env = os.environ if env is None else env
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    flags += [flag for flag in CHROMIUM_FLAGS if flag not in flags]
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
    from PySide6.QtCore import QCoreApplication, Qt

    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def ensure_app(headless: bool = False):
    """The one QApplication of the process (created with QtWebEngine's requirements if needed).

    ``headless``: with no display at all (Linux server, CI), draw offscreen instead of failing.
    """
    no_display = not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    if headless and no_display and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    configure()
    from PySide6 import QtWebEngineWidgets  # noqa: F401 - must be imported before the QApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "ambmap"])
        app.setApplicationName("ambmap")
        app.setApplicationDisplayName("ambmap")
        app.setOrganizationName("ambmap")
        from ambmap.runtime import remove_private_dirs

        app.aboutToQuit.connect(remove_private_dirs)
        install_french(app)
    return app


def install_french(app) -> bool:
    """Qt's own French translations (file dialogs, colour picker, standard buttons « Oui », « Annuler »)
    and French number and date formats in Qt's widgets. True when Qt's catalogue was found.

    The translator is kept on ``app`` (Qt does not own it: collected, the texts would turn English again).
    """
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    if getattr(app, "_ambmap_translator", None) is not None:
        return True
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(QLocale(QLocale.Language.French), "qtbase", "_", folder):
        return False

    class Complement(QTranslator):
        """The texts Qt 6 renamed and its French catalogue lacks (« &Look in: » in the file dialog)."""

        def translate(self, context, source, disambiguation=None, n=-1):
            return MISSING_FR.get((context, source))  # None: not ours, the next translator answers

        def isEmpty(self) -> bool:
            return False

    app.installTranslator(translator)
    complement = Complement(app)
    app.installTranslator(complement)  # the last installed is asked first
    app._ambmap_translator = (translator, complement)
    return True


#: (Qt context, Qt 6 source text) -> French, missing from Qt's own qtbase_fr.qm.
MISSING_FR = {
    ("QFileDialog", "&Look in:"): "&Voir dans\u00a0:",
    ("QFileDialog", "Files of &type:"): "Fichiers de &type\u00a0:",
    ("QAbstractFileIconProvider", "Folder"): "Dossier",
    ("QAbstractFileIconProvider", "File"): "Fichier",
    ("QAbstractFileIconProvider", "Drive"): "Disque",
    ("QAbstractFileIconProvider", "%1 File"): "Fichier %1",
}
