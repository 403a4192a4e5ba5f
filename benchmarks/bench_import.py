"""Import and validate 100,000 resource rows from a French Excel CSV; print rows/s.

Baseline: reading the same file with ``pandas.read_csv`` alone (no mapping, no coordinate detection,
no validation). The ratio says what the import's checks cost on top of raw parsing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ambmap.config import Settings
from ambmap.imports import import_file

ROWS = 100_000


def make_file(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Identifiant": [f"R{i:06d}" for i in range(ROWS)],
            "Nom": [f"Ressource de santé {i}" for i in range(ROWS)],
            "Catégorie": rng.choice(["pharmacie", "dentiste", "PMI", "laboratoire"], ROWS),
            "Adresse": [f"{i % 200 + 1} rue de la République, 59000 Lille" for i in range(ROWS)],
            "Latitude": np.round(50.60 + rng.random(ROWS) * 0.05, 6).astype(str),
            "Longitude": np.round(3.00 + rng.random(ROWS) * 0.1, 6).astype(str),
        }
    )
    frame["Latitude"] = frame["Latitude"].str.replace(".", ",")
    path = folder / "ressources.csv"
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")
    return path


def best_of(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = make_file(Path(folder))
        settings = Settings(cache_dir=Path(folder) / "cache", offline=True)
        result = import_file(path, "resources", settings, geocode=False)
        assert len(result.data) == ROWS and not result.rejected
        ours = best_of(lambda: import_file(path, "resources", settings, geocode=False))
        baseline = best_of(lambda: pd.read_csv(path, sep=";", encoding="cp1252", dtype=str))
    print(f"import + validation de {ROWS} ressources : {ours:.2f} s, {ROWS / ours:,.0f} lignes/s".replace(",", " "))
    print(f"référence pandas.read_csv seul : {baseline:.2f} s, {ROWS / baseline:,.0f} lignes/s".replace(",", " "))
    print(f"ratio import / read_csv : {ours / baseline:.1f}x le temps de la simple lecture")


if __name__ == "__main__":
    main()
