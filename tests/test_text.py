"""French formatting: one way to write numbers, shares, distances, durations and dates."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from ambmap import text

N = "\u202f"
S = "\u00a0"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234, 0, f"1{N}234"),
        (1234567.891, 1, f"1{N}234{N}567,9"),
        (3, 2, "3,00"),
        (-0.4, 0, "0"),
        (np.int64(19800), 0, f"19{N}800"),
        (None, 0, ""),
        (float("nan"), 0, ""),
        (math.inf, 0, ""),
        ("abc", 0, ""),
    ],
)
def test_number(value, decimals, expected):
    assert text.number(value, decimals) == expected


def test_percent_is_written_with_a_comma_and_a_narrow_space():
    assert text.percent(0.991, 1) == f"99,1{N}%"
    assert text.percent(0.991) == f"99{N}%"
    assert text.percent(None) == ""


def test_quantities_agree_in_number_the_french_way():
    assert text.quantity(1, "habitant") == f"1{S}habitant"
    assert text.quantity(0, "site") == f"0{S}site"
    assert text.quantity(1.5, "site", decimals=1) == f"1,5{S}site"
    assert text.quantity(2, "site") == f"2{S}sites"
    assert text.quantity(2, "QPV", "QPV") == f"2{S}QPV"
    assert text.people(1234) == f"1{N}234{S}habitants"
    assert text.people(float("nan")) == "population inconnue"


def test_distances_durations_dates():
    assert text.distance(500) == f"500{S}m"
    assert text.distance(1200) == f"1,2{S}km"
    assert text.distance(2000) == f"2{S}km"
    assert text.duration(3.04) == f"3,0{S}s"
    assert text.duration(45) == f"45{S}s"
    assert text.duration(180) == f"3{S}min"
    assert text.duration(3900) == f"1{S}h{S}05"
    assert text.date(dt.date(2026, 11, 28)) == "28/11/2026"
    assert text.date("2026-11-28T10:00:00") == "28/11/2026"
    assert text.date("pas une date") == ""


def test_parse_number_reads_french_and_english_writing():
    assert text.parse_number(f"1{N}234,5") == 1234.5
    assert text.parse_number("1 234.5") == 1234.5
    assert math.isnan(text.parse_number("n/a"))
