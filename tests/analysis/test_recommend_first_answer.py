"""The greedy answer handed before the solver's (``first_answer``), and the answer kept when the search stops."""

from __future__ import annotations

import pytest

from ambmap.analysis.recommend import FINAL, PROVISIONAL, STOPPED, details, recommend_for_project, stopped


@pytest.mark.parametrize("question", [{"k": 3}, {"target": 0.8}])
def test_first_answer_comes_before_the_final_one_and_never_claims_a_proof(demo_project, question):
    events = []
    final = recommend_for_project(demo_project, first_answer=lambda r: events.append(r), **question)
    assert len(events) == 1
    first = events[0]
    assert first.stage == PROVISIONAL and not first.optimal and final.stage == FINAL
    assert first.messages[0].startswith("Réponse provisoire") and "prouvée" not in details(first)
    assert first.request == final.request  # « Actualiser » and public exports ask the same question again
    assert len(first.sites) and list(first.sites["rank"]) == list(range(1, len(first.sites) + 1))
    assert {"coverage_before", "coverage_after"} <= set(first.per_qpv.columns)
    assert (first.per_qpv["coverage_before"] == final.per_qpv["coverage_before"]).all()
    if "k" in question:
        assert first.covered_after <= final.covered_after + 1e-6 <= first.bound + 1e-6
    else:
        assert len(first.sites) >= len(final.sites)
    assert "stage" not in final.to_dict()  # the CLI's JSON is unchanged


def test_stopped_keeps_the_sites_and_says_the_search_was_stopped(demo_project):
    events = []
    recommend_for_project(demo_project, k=3, first_answer=events.append)
    kept = stopped(events[0])
    assert kept.stage == STOPPED and not kept.optimal
    assert list(kept.sites["label"]) == list(events[0].sites["label"])
    assert kept.messages[0].startswith("Recherche arrêtée avant la fin") and kept.messages[1:] == events[0].messages[1:]
    assert "recherche arrêtée" in details(kept)


def test_without_first_answer_nothing_changes(demo_project):
    result = recommend_for_project(demo_project, k=2)
    assert result.stage == FINAL and result.messages[0].startswith("Meilleure solution possible")
