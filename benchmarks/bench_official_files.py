"""Create the MEL project from files on disk (territory outline, 26 QPV perimeters, 9,096 INSEE 200 m
squares), offline, and save it; the goal is ≤ 10 s.

Baseline: a plain ``geopandas.read_file`` of the same three files (no column guessing, no repair, no
QPV filter, no commune listing, no validation, no save). Reads the real files in place from
../shared/reference-data/lille (never copied); skips when they are absent.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd

from ambmap.config import Settings
from ambmap.imports import build_project_from_files

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "lille"
FILES = ("epci_200093201_mel.geojson", "qpv_mel_2015_perimeters.geojson", "filosofi2017_200m_mel.geojson")
GOAL_S = 10.0


def best_of(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folder = REFERENCE if REFERENCE.exists() else Path("/work/shared/reference-data/lille")
    if not folder.exists():
        print("données de référence absentes (../shared/reference-data/lille) : benchmark ignoré")
        return
    paths = [folder / name for name in FILES]
    baseline = best_of(lambda: [gpd.read_file(p) for p in paths])
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(tmp) / "cache", offline=True)
        counter = iter(range(100))

        def create() -> None:
            project, _ = build_project_from_files(settings, *paths)
            project.save(Path(tmp) / f"mel{next(counter)}.gpkg")
            assert len(project.layers["qpv"]) == 25 and len(project.layers["population"]) == 9096

        elapsed = best_of(create)
    print(
        f"projet MEL depuis fichiers (lecture, QPV, carreaux, validation, enregistrement) : {elapsed:.2f} s "
        f"(objectif ≤ {GOAL_S:g} s)"
    )
    print(f"référence geopandas.read_file des 3 fichiers : {baseline:.2f} s ; rapport {elapsed / baseline:.1f}×")
    if elapsed > GOAL_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
