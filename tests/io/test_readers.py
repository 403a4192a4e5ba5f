"""Table readers, column mapping and coordinate detection, without any network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ambmap.errors import ImportFileError
from ambmap.io import coords
from ambmap.io.mapping import FIELDS, guess_mapping, normalise
from ambmap.io.tables import decode, detect_separator, header_index, read_table
from ambmap.layers import SCHEMAS


def test_mapping_fields_match_layer_schemas():
    for kind, names in FIELDS.items():
        assert list(names) == SCHEMAS[kind].names, kind


def test_encoding_detection():
    assert decode("Pôle Béthune".encode()) == ("Pôle Béthune", "UTF-8", [])
    assert decode("\ufeffPôle".encode("utf-8")) == ("Pôle", "UTF-8", [])
    assert decode("Pôle Béthune".encode("cp1252")) == ("Pôle Béthune", "Windows-1252", [])
    mixed = "\ufeffid;nom\nA;Pôle\n".encode("utf-8") + "B;Béthune\n".encode("cp1252")
    assert decode(mixed) == ("id;nom\nA;Pôle\nB;Béthune\n", "UTF-8 et Windows-1252 mélangés", [3])


@pytest.mark.parametrize(
    "text, separator",
    [("a;b;c\n1;2,5;3\n", ";"), ('a,b,c\n1,"2;5",3\n', ","), ("a\tb\n1\t2\n", "\t"), ("adresse\n1 rue X\n", ";")],
)
def test_separator_detection(text, separator):
    assert detect_separator(text) == separator


def test_read_table_numbers_lines_as_a_spreadsheet(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id;nom\n\nA;x\n;\nB;y\n", encoding="utf-8")
    table = read_table(path)
    assert list(table.index) == [3, 5] and list(table["nom"]) == ["x", "y"]
    assert table.attrs["separator"] == ";" and table.attrs["encoding"] == "UTF-8"


def test_quoted_multiline_cell_keeps_row_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id;adresse\nA;"1 rue X\nbâtiment B"\nB;2 rue Y\n', encoding="utf-8")
    assert list(read_table(path).index) == [2, 3]


def test_duplicate_and_empty_headers_are_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("nom;nom;\nA;B;C\n", encoding="utf-8")
    assert list(read_table(path).columns) == ["nom", "nom (2)", "colonne 3"]


def test_xls_is_explained(tmp_path):
    path = tmp_path / "vieux.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ImportFileError, match="Classeur Excel"):
        read_table(path)


def test_guess_mapping_french_headers():
    mapping = guess_mapping(
        ["Identifiant", "Nom", "Adresse", "Code postal", "Ville", "Latitude", "Longitude", "Catégorie"], "resources"
    )
    assert mapping == {
        "resource_id": "Identifiant",
        "name": "Nom",
        "address": "Adresse",
        "postcode": "Code postal",
        "city": "Ville",
        "lat": "Latitude",
        "lon": "Longitude",
        "category": "Catégorie",
    }
    amb = guess_mapping(
        ["id", "Prénom Nom", "Adresse du domicile", "Statut", "Pôle", "Langues parlées", "lng", "lat"], "ambassadors"
    )
    assert amb["amb_id"] == "id" and amb["pole_id"] == "Pôle" and amb["display_name"] == "Prénom Nom"
    assert amb["address"] == "Adresse du domicile" and amb["lon"] == "lng" and amb["languages"] == "Langues parlées"
    assert guess_mapping(["X", "Y", "nom"], "poles") == {"x": "X", "y": "Y", "name": "nom"}
    assert normalise("Téléphone fixe") == "telephone_fixe"


def test_classify_coordinates():
    first = np.array([3.06, 50.63, 704265.3, 7059295.4, 55.45, 0.0, 500.0, np.nan])
    second = np.array([50.63, 3.06, 7059295.4, 704265.3, -20.88, 0.0, 500.0, 50.0])
    verdict = coords.classify(first, second)
    assert list(verdict) == [
        coords.WGS84_OK,
        coords.SWAPPED,
        coords.LAMBERT93,
        coords.LAMBERT93_SWAPPED,
        coords.OUTSIDE,
        coords.INVALID,
        coords.INVALID,
        coords.MISSING,
    ]
    lon, lat = coords.to_lon_lat(first, second, verdict)
    assert lon[1] == 3.06 and lat[1] == 50.63
    assert abs(lon[2] - 3.0602) < 1e-3 and abs(lat[2] - 50.6306) < 1e-3
    assert abs(lon[3] - lon[2]) < 1e-9 and np.isnan(lon[5])


def test_decimal_commas_and_spaces():
    values = coords.to_number(pd.Series(["50,63", " 3.06 ", "704\u202f265,3", "abc", ""]))
    assert values[:3].tolist() == [50.63, 3.06, 704265.3] and np.isnan(values[3]) and np.isnan(values[4])


def test_header_found_below_title_lines():
    assert header_index([["id", "nom"], ["1", "a"]]) == 0
    assert header_index([["Liste 2024", "", ""], ["", "", ""], ["id", "nom", "lat"], ["1", "a", ""]]) == 2
    assert header_index([["seule colonne"], ["x"]]) == 0
