"""Guess which column of a user's file feeds which field of a layer (the column-mapping step).

Targets are the layer's field names plus coordinate and address helpers: ``lat``, ``lon`` (WGS84),
``x``, ``y`` (projected, e.g. Lambert-93), ``postcode`` and ``city`` (joined to the address before
geocoding). A target may take several columns joined by spaces (prénom + nom → nom affiché, numéro +
voie → adresse): :func:`combine` turns them into one column before anything else reads the table.
The user confirms or corrects the guess in the import dialog.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

#: Field names of the importable layer kinds, filled by ``ambmap.layers.registry.register`` from each
#: kind's schema (io sits below layers and cannot import them; the registry writes them here).
FIELDS: dict[str, tuple[str, ...]] = {}
COORDINATE_TARGETS = ("lat", "lon", "x", "y", "postcode", "city")

#: Normalised column names for each target, most specific first.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "lat": ("lat", "latitude", "lat_wgs84", "latitude_wgs84", "y_wgs84", "gps_lat", "coord_lat"),
    "lon": (
        "lon",
        "lng",
        "long",
        "longitude",
        "lon_wgs84",
        "longitude_wgs84",
        "x_wgs84",
        "gps_lon",
        "gps_lng",
        "coord_lon",
    ),
    "x": (
        "x",
        "coordx",
        "coord_x",
        "x_l93",
        "x_lambert93",
        "x_lambert_93",
        "lambert_x",
        "coordxet",
        "easting",
        "xl93",
        "x_2154",
    ),
    "y": (
        "y",
        "coordy",
        "coord_y",
        "y_l93",
        "y_lambert93",
        "y_lambert_93",
        "lambert_y",
        "coordyet",
        "northing",
        "yl93",
        "y_2154",
    ),
    "postcode": ("code_postal", "cp", "codepostal", "postcode", "code_post"),
    "city": ("ville", "commune", "city", "localite", "nom_commune"),
    "address": (
        "adresse",
        "address",
        "adresse_postale",
        "adresse_complete",
        "adresse_domicile",
        "adr",
        "rue",
        "voie",
        "adresse_1",
        "lieu",
        "nom_de_voie",
        "nom_voie",
        "libelle_voie",
    ),
    "name": (
        "nom",
        "name",
        "libelle",
        "nom_structure",
        "raison_sociale",
        "denomination",
        "structure",
        "etablissement",
        "nom_du_pole",
        "nom_pole",
    ),
    "display_name": ("nom_affiche", "display_name", "nom", "prenom_nom", "nom_prenom", "prenom", "name"),
    "resource_id": (
        "resource_id",
        "id",
        "identifiant",
        "id_ressource",
        "code",
        "ref",
        "reference",
        "finess",
        "numero_finess",
        "n_finess",
    ),
    "pole_id": (
        "pole_id",
        "id",
        "identifiant",
        "id_pole",
        "code_pole",
        "code",
        "pole",
        "pole_de_rattachement",
        "rattachement",
    ),
    "amb_id": (
        "amb_id",
        "id",
        "identifiant",
        "pseudonyme",
        "pseudo",
        "id_ambassadeur",
        "code",
        "identifiant_pseudonyme",
    ),
    "category": ("category", "categorie", "type", "type_ressource", "type_de_ressource", "nature"),
    "status": ("status", "statut", "etat", "situation"),
    "themes": ("themes", "theme", "thematiques", "thematique", "sujets"),
    "languages": ("languages", "langues", "langues_parlees", "langue"),
    "start_date": ("start_date", "date_entree", "date_d_entree", "date_debut", "debut", "date_arrivee", "date"),
    "end_date": (
        "end_date",
        "date_de_depart",
        "date_depart",
        "depart",
        "date_de_sortie",
        "date_sortie",
        "sortie",
        "date_de_fin",
        "date_fin",
        "fin",
        "date_fin_de_mission",
        "fin_de_mission",
        "date_d_arret",
    ),
    "status_history": (
        "status_history",
        "changements_de_statut",
        "historique_des_statuts",
        "historique_statut",
        "historique",
    ),
    "radius_m": ("radius_m", "rayon", "rayon_m", "rayon_de_couverture", "rayon_de_couverture_m", "rayon_metres"),
    "a_verifier": ("a_verifier",),
    "phone": ("phone", "telephone", "tel", "tel_fixe", "numero_de_telephone"),
    "source": ("source", "origine"),
    "geocode_score": ("geocode_score", "score", "score_de_geocodage"),
}
#: Where one kind needs narrower synonyms (an ambassador's « id » is not the pôle's).
_KIND_SYNONYMS = {
    ("ambassadors", "pole_id"): ("pole_id", "pole", "pole_de_rattachement", "rattachement", "id_pole", "code_pole")
}


def normalise(name: str) -> str:
    """Lower-case ASCII with underscores: « Téléphone fixe » -> « telephone_fixe »."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def targets(kind: str) -> list[str]:
    """Every mapping target of a layer kind, in the order an import dialog lists them."""
    names = list(FIELDS[kind])
    return names + [t for t in ("address", *COORDINATE_TARGETS) if t not in names]


def guess_mapping(columns: list[str], kind: str) -> dict[str, str]:
    """``{target: column}`` for the columns whose name matches a target; each column used once.

    Exact names win over synonyms, and synonyms over prefixes.
    """
    wanted = targets(kind)
    return _match(columns, wanted, {t: _KIND_SYNONYMS.get((kind, t), _SYNONYMS.get(t, ())) for t in wanted})


#: Columns joined in front of another: a first name before the family name, a number before the street.
_FIRST_NAMES = ("prenom", "prenoms", "first_name")
_FAMILY_NAMES = ("nom", "nom_de_famille", "nom_famille", "last_name")
_NUMBERS = ("numero", "num", "no", "n", "numero_de_voie", "numero_voie")
_STREETS = ("voie", "rue", "nom_de_voie", "nom_voie", "libelle_voie", "libelle_de_voie")


def guess_combined(columns: list[str], kind: str) -> dict[str, str | list[str]]:
    """:func:`guess_mapping`, with « Prénom » + « Nom » as the display name when the file has no column
    holding both, and « Numéro » + « Voie » as the address when it has no address column."""
    mapping: dict[str, str | list[str]] = dict(guess_mapping(columns, kind))
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(normalise(column), column)

    def first(names: tuple[str, ...]) -> str | None:
        return next((by_norm[n] for n in names if n in by_norm), None)

    pairs = (("display_name", _FIRST_NAMES, _FAMILY_NAMES), ("address", _NUMBERS, _STREETS))
    for target, leading, main in pairs:
        lead, rest = first(leading), first(main)
        current = mapping.get(target)
        if target in mapping and current not in (lead, rest):
            continue  # a column of its own (« Nom affiché », « Adresse »)
        if target in FIELDS.get(kind, ()) and lead and rest:
            mapping[target] = [lead, rest]
    return mapping


def parse_assignment(text: str) -> tuple[str, list[str]]:
    """« display_name=Prénom+Nom » as (« display_name », [« Prénom », « Nom »]); ValueError with a French
    reason when it is not of that form."""
    target, sep, parts = text.partition("=")
    columns = [p.strip() for p in parts.split("+")]
    if not sep or not target.strip() or not all(columns):
        raise ValueError(f"« {text} » : écrivez CHAMP=COLONNE ou CHAMP=COLONNE+COLONNE (ex. display_name=Prénom+Nom)")
    return target.strip(), columns


def resolve(columns: list[str], wanted: list[str]) -> list[str | None]:
    """Each wanted name as a column of the file: the same name, else the one equal once :func:`normalise` d."""
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(normalise(column), column)
    return [name if name in columns else by_norm.get(normalise(name)) for name in wanted]


def combine(table: pd.DataFrame, mapping: dict[str, str | list[str]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """(table, mapping) where each target mapped to several columns reads one new column « A + B » of
    their non-empty cells joined by a space; a target mapped to one column (or a one-item list) keeps it."""
    out: dict[str, str] = {}
    added = {}
    for target, columns in mapping.items():
        parts = [columns] if isinstance(columns, str) else list(columns)
        if len(parts) == 1:
            out[target] = parts[0]
            continue
        name = " + ".join(parts)
        cells = [table[c].fillna("").astype(str).str.strip() for c in parts]
        joined = cells[0]
        for more in cells[1:]:
            joined = (joined + " " + more).str.strip()
        added[name] = joined.str.replace(r"\s+", " ", regex=True).to_numpy()
        out[target] = name
    if added:
        table = table.assign(**added)
    return table, out


def coordinate_columns(columns: list[str]) -> tuple[str, str] | None:
    """The (longitude, latitude) columns of a file of points, else its (x, y) ones, else None: the
    names an import recognises."""
    found = _match(columns, ["lon", "lat", "x", "y"], _SYNONYMS)
    return next(((found[a], found[b]) for a, b in (("lon", "lat"), ("x", "y")) if a in found and b in found), None)


def _match(columns: list[str], wanted: list[str], synonyms_of: dict[str, tuple[str, ...]]) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(normalise(column), column)
    mapping: dict[str, str] = {}
    used: set[str] = set()

    def take(target: str, column: str | None) -> None:
        if column is not None and column not in used and target not in mapping:
            mapping[target] = column
            used.add(column)

    for target in wanted:  # exact field name
        take(target, by_norm.get(target))
    for rank in range(max(len(synonyms_of.get(t, ())) for t in wanted)):
        for target in wanted:
            synonyms = synonyms_of.get(target, ())
            if rank < len(synonyms):
                take(target, by_norm.get(synonyms[rank]))
    for target in wanted:  # « adresse du domicile », « latitude (WGS84) »...
        free = [
            column
            for norm, column in by_norm.items()
            if column not in used and any(len(s) > 3 and norm.startswith(s + "_") for s in synonyms_of.get(target, ()))
        ]
        if free:
            take(target, free[0])
    return mapping
