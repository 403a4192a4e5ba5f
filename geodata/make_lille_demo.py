"""Build the bundled demonstration project for Lille (``geodata/lille_demo.gpkg``).

Everything here is synthetic or approximate; see ``geodata/README.md``. Run:
``python geodata/make_lille_demo.py`` (deterministic: the same file every time).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from ambmap.layers import AMBASSADORS, CATEGORIES, POLES, POPULATION_GRID, QPV, RESOURCES, TERRITORY, Layer
from ambmap.project import Project

OUT = Path(__file__).resolve().parent / "lille_demo.gpkg"
L93, LAEA = "EPSG:2154", "EPSG:3035"
RNG = np.random.default_rng(2026)
HISTORY_RNG = np.random.default_rng(14)  # dates only: the other layers stay the same as before dates were added
GENERATED = dt.date(2026, 11, 25)
PROVENANCE = {
    "source": "Données de démonstration ambmap (tracés approximatifs, données synthétiques)",
    "url": "",
    "date": "2026-11-25",
    "licence": "Licence Ouverte 2.0 (données synthétiques, sans valeur officielle)",
    "attribution": "Données de démonstration",
    "demo": True,
}

# Lille with its associated communes Lomme and Hellemmes, drawn by hand (lon, lat), ~ 100 m accuracy.
LILLE_OUTLINE = [
    (2.968, 50.628),
    (2.975, 50.645),
    (2.995, 50.650),
    (3.020, 50.652),
    (3.035, 50.660),
    (3.055, 50.658),
    (3.070, 50.650),
    (3.080, 50.645),
    (3.095, 50.641),
    (3.115, 50.637),
    (3.122, 50.625),
    (3.108, 50.614),
    (3.090, 50.611),
    (3.075, 50.602),
    (3.055, 50.598),
    (3.035, 50.601),
    (3.018, 50.608),
    (3.000, 50.611),
    (2.985, 50.617),
    (2.968, 50.628),
]

# name, centre (lon, lat), half-width and half-height in metres, population, ambassadors living there
NEIGHBOURHOODS = [
    ("Lille-Sud", (3.052, 50.6105), 1350, 620, 19800, 18),
    ("Moulins", (3.0665, 50.6215), 560, 520, 11300, 12),
    ("Wazemmes", (3.0485, 50.6245), 520, 480, 9100, 10),
    ("Fives", (3.0935, 50.6340), 780, 520, 12400, 10),
    ("Porte de Valenciennes", (3.0815, 50.6225), 380, 400, 4900, 5),
    ("Faubourg de Béthune", (3.0215, 50.6215), 760, 560, 8200, 3),
    ("Bois-Blancs", (3.0285, 50.6375), 620, 480, 4300, 0),
    ("Lomme - Marais", (2.9870, 50.6285), 560, 520, 3600, 0),
]
POLE_QUARTERS = ["Lille-Sud", "Moulins", "Faubourg de Béthune", "Fives", "Wazemmes"]
FIRST_NAMES = [
    "Amina",
    "Fatou",
    "Nadia",
    "Sophie",
    "Karim",
    "Yasmine",
    "Malik",
    "Chantal",
    "Rachid",
    "Leïla",
    "Aïcha",
    "Mamadou",
    "Julie",
    "Samir",
    "Nathalie",
    "Ibrahim",
    "Hélène",
    "Djamila",
    "Oumar",
    "Sarah",
    "Farida",
    "Patrick",
    "Zohra",
    "Mariam",
    "Thierry",
    "Khadija",
    "Olga",
    "Hamza",
    "Brigitte",
    "Awa",
]
LANGUAGES = [
    "arabe",
    "anglais",
    "berbère",
    "wolof",
    "portugais",
    "turc",
    "roumain",
    "russe",
    "espagnol",
    "lingala",
    "tamoul",
    "dari",
]
THEMES = [
    "droits en santé",
    "vaccination",
    "dépistages",
    "santé mentale",
    "nutrition",
    "santé des femmes",
    "santé bucco-dentaire",
    "addictions",
]
RESOURCE_COUNTS = {
    "médecin généraliste": 46,
    "pharmacie": 36,
    "dentiste": 20,
    "laboratoire": 10,
    "centre de santé": 9,
    "hôpital/clinique": 6,
    "PMI": 9,
    "santé mentale (CMP)": 7,
    "santé sexuelle (CeGIDD, planning familial)": 6,
    "accès aux droits (CPAM, CCAS)": 9,
    "autre": 12,
}
RESOURCE_NAMES = {
    "médecin généraliste": "Cabinet médical",
    "pharmacie": "Pharmacie",
    "dentiste": "Cabinet dentaire",
    "laboratoire": "Laboratoire d'analyses",
    "centre de santé": "Centre de santé",
    "hôpital/clinique": "Clinique",
    "PMI": "PMI",
    "santé mentale (CMP)": "CMP",
    "santé sexuelle (CeGIDD, planning familial)": "Centre de santé sexuelle",
    "accès aux droits (CPAM, CCAS)": "Point d'accès aux droits",
    "autre": "Maison de santé et de prévention",
}
STREETS = [
    "rue des Tilleuls",
    "rue du Marché",
    "avenue des Peupliers",
    "rue de la Fontaine",
    "rue des Écoles",
    "boulevard du Parc",
    "rue des Jardins",
    "place de la Mairie",
    "rue du Moulin",
    "rue des Lilas",
]


def to_wgs84(geoms, crs=L93) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=crs).to_crs("EPSG:4326")


def l93(lon: float, lat: float) -> Point:
    return gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326").to_crs(L93).iloc[0]


def blob(centre: Point, half_w: float, half_h: float) -> Polygon:
    """An irregular oval of 14 vertices: looks like a drawn perimeter, never self-intersecting."""
    angles = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    wobble = RNG.uniform(0.82, 1.08, len(angles))
    return Polygon(
        [(centre.x + half_w * w * np.cos(a), centre.y + half_h * w * np.sin(a)) for a, w in zip(angles, wobble)]
    )


def random_points_in(polygon: Polygon, n: int, spread: float = 0.45) -> list[Point]:
    """n points in ``polygon``, clustered towards its centre (people live near the main streets)."""
    c = polygon.centroid
    minx, miny, maxx, maxy = polygon.bounds
    points: list[Point] = []
    while len(points) < n:
        p = Point(c.x + RNG.normal(0, spread * (maxx - minx) / 2), c.y + RNG.normal(0, spread * (maxy - miny) / 2))
        if polygon.contains(p):
            points.append(p)
    return points


def address(i: int) -> str:
    return f"{1 + i % 97} {STREETS[i % len(STREETS)]} (adresse fictive), 59000 Lille"


def build() -> Project:
    outline = to_wgs84([Polygon(LILLE_OUTLINE)], "EPSG:4326")
    outline_l93 = outline.to_crs(L93).iloc[0]
    territory = gpd.GeoDataFrame(
        {"code": ["59350"], "nom": ["Lille"], "population": [236710]}, geometry=outline, crs="EPSG:4326"
    )

    perimeters = [blob(l93(*centre), w, h) for _, centre, w, h, _, _ in NEIGHBOURHOODS]
    qpv = gpd.GeoDataFrame(
        {
            "code_qp": [f"QN059D{i + 1:02d}" for i in range(len(NEIGHBOURHOODS))],
            "nom_qp": [n[0] for n in NEIGHBOURHOODS],
            "insee_com": ["59350"] * len(NEIGHBOURHOODS),
            "lib_com": ["Lille"] * len(NEIGHBOURHOODS),
            "population": [n[4] for n in NEIGHBOURHOODS],
        },
        geometry=to_wgs84(perimeters),
        crs="EPSG:4326",
    )
    by_name = {n[0]: p for n, p in zip(NEIGHBOURHOODS, perimeters)}

    pole_points = [random_points_in(by_name[q], 1, 0.2)[0] for q in POLE_QUARTERS]
    poles = gpd.GeoDataFrame(
        {
            "pole_id": [f"PRS-{i + 1}" for i in range(5)],
            "name": [f"Pôle Ressources Santé {q}" for q in POLE_QUARTERS],
            "address": [address(200 + i) for i in range(5)],
            "phone": [f"03 20 00 00 0{i + 1}" for i in range(5)],
        },
        geometry=to_wgs84(pole_points),
        crs="EPSG:4326",
    )

    homes: list[Point] = []
    home_quarter: list[str] = []
    for name, _, _, _, _, count in NEIGHBOURHOODS:
        homes += random_points_in(by_name[name], count)
        home_quarter += [name] * count
    centre = l93(3.0630, 50.6330)  # outside every QPV: Lille-Centre / Vieux-Lille
    while len(homes) < 65:
        p = Point(centre.x + RNG.normal(0, 700), centre.y + RNG.normal(0, 500))
        if outline_l93.contains(p) and not any(q.buffer(150).contains(p) for q in perimeters):
            homes.append(p)
            home_quarter.append("Centre")
    n = len(homes)
    statuses = RNG.choice(["actif", "en formation", "inactif"], n, p=[0.74, 0.16, 0.10])
    nearest_pole = {q: f"PRS-{i + 1}" for i, q in enumerate(POLE_QUARTERS)}
    ambassadors = gpd.GeoDataFrame(
        {
            "amb_id": [f"AMB-{i + 1:03d}" for i in range(n)],
            "display_name": [
                f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {chr(65 + (i * 7) % 26)}. (fictif)" for i in range(n)
            ],
            "address": [address(i) for i in range(n)],
            "status": statuses,
            "pole_id": [nearest_pole.get(q, "PRS-5") for q in home_quarter],
            "themes": ["; ".join(RNG.choice(THEMES, RNG.integers(1, 4), replace=False)) for _ in range(n)],
            "languages": [
                "; ".join(["français", *RNG.choice(LANGUAGES, RNG.integers(0, 3), replace=False)]) for _ in range(n)
            ],
            "start_date": [
                (dt.date(2019, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in RNG.integers(0, 2400, n)
            ],
            "radius_m": [float("nan")] * n,
        },
        geometry=to_wgs84(homes),
        crs="EPSG:4326",
    )
    add_history(ambassadors)
    # a few ambassadors who walk further than the default 500 m
    ambassadors.loc[[3, 17, 40], "radius_m"] = [800.0, 700.0, 650.0]

    rows, points = [], []
    for category, count in RESOURCE_COUNTS.items():
        for p in random_points_in(outline_l93, count, 0.55):
            rows.append(
                {
                    "resource_id": f"RES-{len(rows) + 1:04d}",
                    "name": f"{RESOURCE_NAMES[category]} n° {len(rows) + 1} (démo)",
                    "category": category,
                    "address": address(500 + len(rows)),
                    "source": "Démonstration",
                }
            )
            points.append(p)
    resources = gpd.GeoDataFrame(rows, geometry=to_wgs84(points), crs="EPSG:4326")
    assert set(resources.category) == set(CATEGORIES)

    layers = [
        Layer(TERRITORY, territory, provenance=PROVENANCE),
        Layer(POPULATION_GRID, population_grid(territory, qpv), visible=False, provenance=PROVENANCE),
        Layer(QPV, qpv, provenance=PROVENANCE),
        Layer(RESOURCES, resources, provenance=PROVENANCE),
        Layer(POLES, poles, provenance=PROVENANCE),
        Layer(AMBASSADORS, ambassadors, provenance=PROVENANCE),
    ]
    return Project(
        {"code": "59350", "kind": "commune", "name": "Lille"},
        layers,
        options={"coverage_radius_m": 500, "pole_radius_m": 500},
    )


def add_history(amb: gpd.GeoDataFrame) -> None:
    """Dates that make the follow-up worth showing: a first cohort in 2019–2021, recruitments 2022–2026,
    a training period before « actif », and the « inactif » ambassadors gone after one to three years."""
    n = len(amb)
    early = HISTORY_RNG.random(n) < 0.2
    first, wave = dt.date(2019, 9, 1), dt.date(2022, 1, 1)
    days = np.where(
        early,
        HISTORY_RNG.integers(0, (wave - first).days, n),
        (wave - first).days + HISTORY_RNG.integers(0, (dt.date(2026, 10, 31) - wave).days, n),
    )
    start = [first + dt.timedelta(days=int(d)) for d in days]
    training = HISTORY_RNG.integers(60, 150, n)
    stay = HISTORY_RNG.integers(365, 3 * 365, n)
    end, history = [""] * n, [""] * n
    for i, status in enumerate(amb["status"]):
        if status == "en formation":  # recruited in the last months
            start[i] = GENERATED - dt.timedelta(days=int(training[i]))
        elif status == "inactif":  # gone: left after one to three years
            start[i] = min(start[i], dt.date(2024, 6, 1))
            left = min(start[i] + dt.timedelta(days=int(stay[i])), dt.date(2026, 10, 31))
            end[i], history[i] = left.isoformat(), f"{left.isoformat()} : actif → inactif"
        if status == "actif" and start[i] >= wave and start[i] + dt.timedelta(days=int(training[i])) < GENERATED:
            history[i] = f"{start[i] + dt.timedelta(days=int(training[i])):%Y-%m-%d} : en formation → actif"
    amb["start_date"] = [d.isoformat() for d in start]
    amb["end_date"] = end
    amb["status_history"] = history


def population_grid(territory: gpd.GeoDataFrame, qpv: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Synthetic 200 m squares (INSEE id scheme, EPSG:3035) whose sums match the QPV populations."""
    outline = territory.to_crs(LAEA).iloc[0].geometry
    minx, miny, maxx, maxy = (np.floor(np.array(outline.bounds) / 200) * 200).tolist()
    xs, ys = np.meshgrid(np.arange(minx, maxx + 200, 200), np.arange(miny, maxy + 200, 200))
    cells = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 200, ys.ravel() + 200)
    cells = cells[shapely.intersects(cells, outline)]
    grid = gpd.GeoDataFrame(
        {"idcar": [f"CRS3035RES200mN{int(c.bounds[1])}E{int(c.bounds[0])}" for c in cells]},
        geometry=list(cells),
        crs=LAEA,
    )
    weight = RNG.gamma(2.0, 1.0, len(grid))
    population = np.zeros(len(grid))
    qpv_laea = qpv.to_crs(LAEA)
    in_any_qpv = np.zeros(len(grid), bool)
    for _, row in qpv_laea.iterrows():
        share = grid.geometry.intersection(row.geometry).area.to_numpy() / 40000
        in_any_qpv |= share > 0.5
        w = share * weight
        population += row["population"] * w / w.sum()
    outside = (~in_any_qpv) * weight * grid.geometry.intersection(outline).area.to_numpy() / 40000
    population += (236710 - qpv["population"].sum()) * outside / outside.sum()
    grid["population"] = np.round(population, 1)
    grid = grid[grid.population > 0].to_crs("EPSG:4326")
    return grid[["idcar", "population", "geometry"]]


if __name__ == "__main__":
    project = build()
    project.save(OUT)
    print(f"{OUT}: " + ", ".join(f"{k} {v}" for k, v in project.summary()["counts"].items()))
