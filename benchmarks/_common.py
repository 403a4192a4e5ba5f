"""What several benchmarks share."""

#: A fresh process that opens a saved project (argv[1]) in the window's map view, without basemap tiles,
#: and prints the seconds from its start to ``map_ready``; it gives up (exit 1) after argv[2] seconds.
PROJECT_COLD_START = """
import sys, time
t0 = time.perf_counter()
from ambmap.ui import qt_env
qt_env.configure()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ambmap.config import Settings
from ambmap.project import Project
from ambmap.ui.map_view import MapView
view = MapView(settings=Settings(basemap="none"))
view.resize(1400, 900)
view.show()
view.map_ready.connect(app.quit)
view.show_project(Project.load(sys.argv[1]))
QTimer.singleShot(int(float(sys.argv[2]) * 1000), lambda: app.exit(1))
code = app.exec()
print(time.perf_counter() - t0, flush=True)  # at map_ready: a reader can stop its clock before the teardown
sys.exit(code)
"""

#: The same from the whole main window (menus, panels, table, live coverage) as ``ambmap`` opens it, with
#: settings in a fresh temporary folder (no remembered state, offline, no basemap tiles).
WINDOW_COLD_START = """
import sys, tempfile, time
t0 = time.perf_counter()
from pathlib import Path
from ambmap.ui import qt_env
qt_env.configure()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ambmap.config import Settings
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
QTimer.singleShot(int(float(sys.argv[2]) * 1000), lambda: app.exit(1))
code = app.exec()
print(time.perf_counter() - t0, flush=True)
sys.exit(code)
"""
