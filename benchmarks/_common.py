"""What several benchmarks share: the fresh processes that time a cold start.

Each child script is :func:`child_script` around a body that opens something and connects its « ready »
to ``app.quit``: the child prints the seconds from its start to that moment (flushed then, so a reader
can stop its clock before Chromium's teardown) and gives up (exit 1) after argv[2] seconds.
"""

_START = """
import sys, time
t0 = time.perf_counter()
from ambmap.ui import qt_env
qt_env.configure()
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ambmap.config import Settings
"""

_UNTIL_READY = """
QTimer.singleShot(int(float(sys.argv[2]) * 1000), lambda: app.exit(1))
code = app.exec()
print(time.perf_counter() - t0, flush=True)
sys.exit(code)
"""


def child_script(body: str) -> str:
    """A cold-start child: Qt started, then ``body`` (it has ``app``, ``Settings`` and argv), then run until ready."""
    return _START + body + _UNTIL_READY


#: A saved project (argv[1]) opened in the window's map view, without basemap tiles, until ``map_ready``.
PROJECT_COLD_START = child_script("""
from ambmap.project import Project
from ambmap.ui.map_view import MapView
view = MapView(settings=Settings(basemap="none"))
view.resize(1400, 900)
view.show()
view.map_ready.connect(app.quit)
view.show_project(Project.load(sys.argv[1]))
""")

#: The same from the whole main window (menus, panels, table, live coverage) as ``ambmap`` opens it, with
#: settings in a fresh temporary folder (no remembered state, offline, no basemap tiles).
WINDOW_COLD_START = child_script("""
import tempfile
from pathlib import Path
from ambmap.project import Project
from ambmap.ui.main_window import MainWindow
home = Path(tempfile.mkdtemp())
settings = Settings(cache_dir=home / "cache", data_dir=home / "data", config_dir=home / "config", basemap="none",
                    offline=True)
window = MainWindow(Project.load(sys.argv[1]), settings)
window.autosave_timer.stop()
window.resize(1400, 900)
window.map.map_ready.connect(app.quit)
window.show()
""")
