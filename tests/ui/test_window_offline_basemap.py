"""The main map uses the basemap prepared for offline use (« Préparer pour une présentation hors ligne »)."""

from ambmap.basemap import basemap_path
from ambmap.config import Settings
from tests.ui.conftest import close_window, wait_map, write_empty_mbtiles


def test_main_map_is_served_the_prepared_tiles(qapp, tmp_path, demo_project):
    from ambmap.ui.main_window import MainWindow

    settings = Settings(
        cache_dir=tmp_path / "cache",
        data_dir=tmp_path / "data",
        config_dir=tmp_path / "config",
        basemap="plan-ign",
        offline=True,
    )
    path = basemap_path(settings, demo_project)
    write_empty_mbtiles(path, 16)
    window = MainWindow(demo_project, settings)
    window.autosave_timer.stop()
    try:
        window.show()
        wait_map(window)
        options = window.map_options()
        assert options.tile_url and options.tile_url.startswith("http://127.0.0.1:")
        assert options.max_zoom == 16
        assert options.tile_url.split("{z}")[0] in window.map.html_path().read_text(encoding="utf-8")
    finally:
        close_window(window)
