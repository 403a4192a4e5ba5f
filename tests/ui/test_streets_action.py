"""« Télécharger les rues du territoire » : a worker, one undoable step, the streets drawn at once."""

from __future__ import annotations

from tests.ui.conftest import wait_map


def test_download_streets_action_swaps_the_basemap_layers_in_one_undoable_step(
    window, qtbot, monkeypatch, no_blocking_dialogs
):
    import ambmap.fetch
    from tests.test_streets import with_streets

    made = with_streets(window.project.__class__(window.project.territory, [window.project.layer("qpv").copy()]))
    layers = [made.layer(k) for k in ("streets", "water", "parks")]
    monkeypatch.setattr(ambmap.fetch, "fetch_basemap", lambda project, settings, progress=None: layers)
    window.act_streets.trigger()
    assert len(window.project.layer("streets")) == len(layers[0]) and len(window.project.layer("water")) == 1
    qtbot.waitUntil(
        lambda: window.map.is_ready and window.map.run_js("ambmap.counts()").get("streets") == len(layers[0]),
        timeout=30_000,
    )
    window.undo_stack.undo()  # the whole download at once
    assert not len(window.project.layer("streets")) and not len(window.project.layer("water"))
    wait_map(window)


def test_download_streets_offline_without_cache_says_so(window, no_blocking_dialogs):
    window.act_streets.trigger()  # the window's settings are offline, with an empty cache
    assert no_blocking_dialogs and no_blocking_dialogs[-1][0] in ("critical", "warning", "exec")
    assert "hors ligne" in no_blocking_dialogs[-1][1].lower() or "connexion" in no_blocking_dialogs[-1][1].lower()
