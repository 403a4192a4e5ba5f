"""Write the tests/data/sources fixtures in each service's real format (run from the repository root; outputs are committed)."""

import json
import pathlib

from pyproj import Transformer
from shapely.geometry import box, mapping

from ambmap.project import Project

out = pathlib.Path("tests/data/sources")
p = Project.default()
lille = p.layer("territory").data.geometry.iloc[0]
roubaix = box(3.14, 50.67, 3.21, 50.71)


def fc(features):
    return {"type": "FeatureCollection", "features": features}


def feat(props, geom):
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


# geo.api.gouv.fr /communes?code=59350&format=geojson&geometry=contour
(out / "geoapi_commune_59350.geojson").write_text(
    json.dumps(fc([feat({"code": "59350", "nom": "Lille", "population": 236710}, lille)]))
)
(out / "geoapi_epci_200093201_communes.geojson").write_text(
    json.dumps(
        fc(
            [
                feat({"code": "59350", "nom": "Lille", "population": 236710}, lille),
                feat({"code": "59512", "nom": "Roubaix", "population": 98089}, roubaix),
            ]
        )
    )
)
(out / "geoapi_epci_200093201.json").write_text(
    json.dumps({"nom": "Métropole Européenne de Lille", "code": "200093201", "population": 1179372})
)
(out / "geoapi_search_lille.json").write_text(
    json.dumps(
        [
            {"nom": "Lille", "code": "59350", "population": 236710, "_score": 1.0},
            {"nom": "Lillers", "code": "62516", "population": 10096, "_score": 0.6},
        ]
    )
)
(out / "geoapi_search_epcis_lille.json").write_text(
    json.dumps([{"nom": "Métropole Européenne de Lille", "code": "200093201", "population": 1179372}])
)

# national QPV file: properties fid, code_qp, lib_qp, insee_reg, lib_reg, insee_dep, lib_dep, insee_com, lib_com, siren_epci
qfeatures = []
for i, row in enumerate(p.layer("qpv").data.itertuples(), start=1):
    qfeatures.append(
        feat(
            {
                "fid": i,
                "code_qp": row.code_qp.replace("QN059D", "QN0590"),
                "lib_qp": row.nom_qp,
                "insee_reg": "32",
                "lib_reg": "Hauts-de-France",
                "insee_dep": "59",
                "lib_dep": "Nord",
                "insee_com": "59350",
                "lib_com": "Lille",
                "siren_epci": "200093201",
            },
            row.geometry,
        )
    )
extra = [
    ("QN05912M", "Roubaix Est", "59512", "Roubaix", box(3.18, 50.68, 3.20, 50.70)),
    ("QN05999M", "Quartier à cheval", "59350, 59512", "Lille, Roubaix", box(3.12, 50.65, 3.145, 50.672)),
    ("QN05998M", "Code ancien", "59999", "Ancienne commune", box(3.00, 50.62, 3.01, 50.63)),
    ("QN01301M", "Marseille Nord", "13055, 13070", "Marseille, Les Pennes-Mirabeau", box(5.36, 43.33, 5.38, 43.35)),
    ("QN05950M", "Tourcoing voisin", "59599", "Tourcoing", box(3.12, 50.70, 3.14, 50.72)),
]
for code, name, insee, lib, geom in extra:
    qfeatures.append(
        feat(
            {
                "fid": len(qfeatures) + 1,
                "code_qp": code,
                "lib_qp": name,
                "insee_reg": "32",
                "lib_reg": "",
                "insee_dep": insee[:2],
                "lib_dep": "",
                "insee_com": insee,
                "lib_com": lib,
                "siren_epci": "",
            },
            geom,
        )
    )
national = fc(qfeatures)
national["name"] = "QP2024_France_Hexagonale_Outre_Mer_WGS84"
national["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
(out / "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson").write_text(json.dumps(national, ensure_ascii=False))

pops = {f["properties"]["code_qp"]: 1000 + 137 * i for i, f in enumerate(qfeatures)}
lines = ["codeQPV;libQPV;codeReg;codeUU2020;partPop15_24;popMuniQPV;listeDepCom"] + [
    f'{c};quartier;32;59702;15,3;{n};"59350"' for c, n in pops.items() if c != "QN05998M"
]
(out / "pop_QPV24.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

# Overpass JSON
overpass = {
    "version": 0.6,
    "generator": "Overpass API 0.7.62",
    "osm3s": {
        "timestamp_osm_base": "2026-11-20T10:00:00Z",
        "copyright": "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL.",
    },
    "elements": [
        {
            "type": "node",
            "id": 101,
            "lat": 50.6300,
            "lon": 3.0600,
            "tags": {
                "amenity": "pharmacy",
                "name": "Pharmacie du Centre",
                "addr:housenumber": "3",
                "addr:street": "Rue Nationale",
                "addr:postcode": "59000",
                "addr:city": "Lille",
            },
        },
        {
            "type": "node",
            "id": 102,
            "lat": 50.6250,
            "lon": 3.0500,
            "tags": {
                "amenity": "doctors",
                "healthcare": "doctor",
                "healthcare:speciality": "general",
                "name": "Dr Martin",
            },
        },
        {
            "type": "node",
            "id": 103,
            "lat": 50.6200,
            "lon": 3.0700,
            "tags": {"amenity": "dentist", "name": "Cabinet dentaire Vauban"},
        },
        {
            "type": "way",
            "id": 201,
            "center": {"lat": 50.6100, "lon": 3.0350},
            "nodes": [1, 2, 3, 1],
            "tags": {"amenity": "hospital", "name": "Hôpital Saint-Vincent"},
        },
        {
            "type": "way",
            "id": 202,
            "center": {"lat": 50.6320, "lon": 3.0450},
            "tags": {"healthcare": "centre", "name": "Centre de santé Wazemmes"},
        },
        {
            "type": "relation",
            "id": 301,
            "center": {"lat": 50.6150, "lon": 3.0800},
            "members": [],
            "tags": {"healthcare": "laboratory", "name": "Laboratoire Fives Bio"},
        },
        {
            "type": "node",
            "id": 104,
            "lat": 50.6280,
            "lon": 3.0550,
            "tags": {"office": "government", "name": "CPAM de Lille-Douai"},
        },
        {
            "type": "node",
            "id": 105,
            "lat": 50.6180,
            "lon": 3.0650,
            "tags": {"healthcare": "counselling", "name": "Planning familial de Lille"},
        },
        {
            "type": "node",
            "id": 106,
            "lat": 50.6220,
            "lon": 3.0420,
            "tags": {"amenity": "clinic", "name": "CMP Lille-Sud"},
        },
        {
            "type": "node",
            "id": 107,
            "lat": 50.8000,
            "lon": 3.5000,
            "tags": {"amenity": "pharmacy", "name": "Pharmacie hors territoire"},
        },
        {
            "type": "node",
            "id": 108,
            "lat": 50.6300,
            "lon": 3.0900,
            "tags": {"amenity": "pharmacy", "name": "Pharmacie Lille Sud"},
        },
    ],
}
(out / "overpass_lille.json").write_text(json.dumps(overpass, ensure_ascii=False))

# FINESS geolocated extract: cp1252, ';', no header row, first line 'finess;etalab;...'
to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)


def l93(lon, lat):
    x, y = to_l93.transform(lon, lat)
    return f"{x:.1f}", f"{y:.1f}"


establishments = [
    # nofinesset, rs, rslongue, numvoie, typvoie, voie, commune(3), dep, ligneacheminement, categetab, libcategetab, lon, lat
    (
        "590000011",
        "PHARMACIE DU CENTRE",
        "PHARMACIE DU CENTRE",
        "3",
        "R",
        "NATIONALE",
        "350",
        "59",
        "59000 LILLE",
        "620",
        "Pharmacie d'Officine",
        3.06003,
        50.63002,
    ),
    (
        "590000029",
        "CH SAINT VINCENT",
        "HOPITAL SAINT-VINCENT DE PAUL",
        "",
        "BD",
        "DE BELFORT",
        "350",
        "59",
        "59000 LILLE",
        "355",
        "Centre Hospitalier (C.H.)",
        3.0352,
        50.6101,
    ),
    (
        "590000037",
        "CMP ENFANTS LILLE",
        "CENTRE MEDICO-PSYCHOLOGIQUE ENFANTS",
        "12",
        "R",
        "DES POSTES",
        "350",
        "59",
        "59000 LILLE",
        "156",
        "Centre Médico-Psychologique (C.M.P.)",
        3.0500,
        50.6200,
    ),
    (
        "590000045",
        "PMI WAZEMMES",
        "PROTECTION MATERNELLE ET INFANTILE WAZEMMES",
        "5",
        "PL",
        "NOUVELLE AVENTURE",
        "350",
        "59",
        "59000 LILLE",
        "223",
        "Protection Maternelle et Infantile (P.M.I.)",
        3.0480,
        50.6290,
    ),
    (
        "590000052",
        "EHPAD LES GLYCINES",
        "EHPAD LES GLYCINES",
        "1",
        "R",
        "DES FLEURS",
        "350",
        "59",
        "59000 LILLE",
        "500",
        "Etablissement d'hébergement pour personnes âgées dépendantes",
        3.0400,
        50.6250,
    ),
    (
        "590000060",
        "PHARMACIE DE ROUBAIX",
        "PHARMACIE DE ROUBAIX",
        "10",
        "GR",
        "RUE",
        "512",
        "59",
        "59100 ROUBAIX",
        "620",
        "Pharmacie d'Officine",
        3.1800,
        50.6900,
    ),
    (
        "130000011",
        "PHARMACIE DU VIEUX PORT",
        "PHARMACIE DU VIEUX PORT",
        "1",
        "QU",
        "DU PORT",
        "055",
        "13",
        "13002 MARSEILLE",
        "620",
        "Pharmacie d'Officine",
        5.3700,
        43.2960,
    ),
    (
        "2A0000011",
        "PHARMACIE AJACCIO",
        "PHARMACIE AJACCIO",
        "2",
        "CRS",
        "NAPOLEON",
        "004",
        "2A",
        "20000 AJACCIO",
        "620",
        "Pharmacie d'Officine",
        8.7380,
        41.9190,
    ),
]
rows = ["finess;etalab;95;2026-11-05"]
geo = []
for e in establishments:
    fields = [
        "structureet",
        e[0],
        "590780000",
        e[1],
        e[2],
        "",
        "",
        e[3],
        e[4],
        e[5],
        "",
        "",
        e[6],
        e[7],
        "NORD" if e[7] == "59" else "",
        e[8],
        "0320000000",
        "",
        e[9],
        e[10],
        "1101",
        "agrégat",
        "",
        "",
        "",
        "",
        "",
        "",
        "2000-01-01",
        "2000-01-01",
        "2026-01-01",
        "",
    ]
    assert len(fields) == 32
    rows.append(";".join(fields))
    x, y = l93(e[11], e[12])
    geo.append(f"geolocalisation;{e[0]};{x};{y};1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2026-01-01")
(out / "finess_extract.csv").write_bytes(("\n".join(rows + geo) + "\n").encode("cp1252"))
(out / "finess_dataset.json").write_text(
    json.dumps(
        {
            "id": "53699569a3a729239d2046eb",
            "slug": "finess-extraction-du-fichier-des-etablissements",
            "resources": [
                {
                    "title": "Extraction Finess des établissements",
                    "url": "{base}/static/etalab-cs1100502-stock-20261105-0336.csv",
                    "format": "csv",
                },
                {
                    "title": "Extraction Finess des établissements géolocalisés",
                    "url": "{base}/static/etalab-cs1100507-stock-20261105-0336.csv",
                    "format": "csv",
                },
            ],
        },
        ensure_ascii=False,
    )
)
