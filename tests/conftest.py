"""Shared fixtures: an isolated user environment for every test (no real cache, config or network)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")
# GDAL writes .aux.xml side files next to the rasters/vectors it reads (docs/ samples included): never in tests.
os.environ["GDAL_PAM_ENABLED"] = "NO"

import pytest  # noqa: E402

from ambmap.project import Project  # noqa: E402

#: The ``services`` fixture (every official service faked on a local server) is shared by all test folders.
pytest_plugins = ["tests.sources.fakes"]


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Point the cache, config and data directories at a temporary folder."""
    home = tmp_path_factory.mktemp("home")
    for name in ("cache_dir", "config_dir", "data_dir", "log_dir"):
        monkeypatch.setenv(f"AMBMAP_{name.upper()}", str(home / name))
    monkeypatch.setenv("AMBMAP_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    return home


@pytest.fixture(scope="session")
def _default_project_cache():
    return Project.default()


@pytest.fixture
def demo_project(_default_project_cache) -> Project:
    """A fresh copy of the bundled Lille demonstration project (not bound to a file)."""
    source = _default_project_cache
    return Project(source.territory, [layer.copy() for layer in source.ordered_layers()], dict(source.options))
