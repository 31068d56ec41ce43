"""The business vocabulary is read from the dbt seeds (seeds/vocabulary/) that the SQL reads too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingestion import vocabulary
from ingestion.contracts import GRADUATE_DESTINATIONS, MAJOR_CATALOGUE


def test_contracts_take_levels_and_destinations_from_the_seeds() -> None:
    allowed = {c.name: c.allowed for c in GRADUATE_DESTINATIONS.columns}
    assert allowed["destination_type"] == vocabulary.DESTINATION_TYPES
    assert {c.name: c.allowed for c in MAJOR_CATALOGUE.columns}["level"] == vocabulary.LEVELS
    rule = next(r for r in GRADUATE_DESTINATIONS.row_rules if r.name == "employed_has_employer_region")
    assert all(f"'{d}'" in rule.sql for d in vocabulary.EMPLOYED_DESTINATIONS)
    assert set(vocabulary.EMPLOYED_DESTINATIONS) < set(vocabulary.PLACED_DESTINATIONS)


def test_major_level_of_a_division() -> None:
    assert vocabulary.level_of_division(46).level == "higher"
    assert vocabulary.level_of_division(66).higher_offset == -20
    assert vocabulary.level_of_division(21).level == "bachelor"
    assert vocabulary.level_of_division(86) is None
    assert vocabulary.division_ranges() == "21–39, 41–59 and 61–79"


def test_every_section_has_one_sector() -> None:
    """三次产业划分规定: A primary, B–E secondary, F–T tertiary (the 大类 moved between sectors are rows
    of their own)."""
    assert vocabulary.section_sectors() == (
        {"A": "primary"} | dict.fromkeys("BCDE", "secondary") | dict.fromkeys("FGHIJKLMNOPQRST", "tertiary")
    )


def test_a_bad_seed_value_names_file_row_column_and_value(tmp_path: Path) -> None:
    shutil.copytree(vocabulary.VOCABULARY_DIR, tmp_path, dirs_exist_ok=True)
    seed = tmp_path / "destination_types.csv"
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("enlisted,应征入伍,false,true", "enlisted,应征入伍,no,true")
    )
    with pytest.raises(ValueError, match=r"destination_types.csv, row 6, column is_employed: value 'no'"):
        vocabulary.destination_types(tmp_path)
