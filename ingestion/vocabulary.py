"""Business vocabulary, declared once: the dbt seeds under ``dbt_project/seeds/vocabulary/``.

The dbt models read the same files with ``ref()`` (``int_graduates`` joins ``destination_types``; the
``join_major_level`` macro joins ``major_levels``); Python reads them here: the feed contracts, the sample
generator, the catalogue loader, the pandas baseline and the tests.

- ``destination_types.csv``: the graduates' destination types in the order the feed contract lists them,
  and which count as employed (就业) and as placed (毕业去向落实).
- ``major_levels.csv``: the level of a major by its 专业大类 (first two digits): 中职 61–79, 高职专科 41–59,
  职业本科 21–39, and the offset to the 高职专科 大类 of the same categories.
- ``service_types.csv``, ``project_statuses.csv``, ``training_types.csv``: value lists of the
  technical-service and training feeds, each value with its Chinese label and the other Chinese names
  offices write for it.
- ``industry_sectors.csv``: 三次产业 (第一/第二/第三产业, NBS 三次产业划分规定) and the GB/T 4754
  门类 and 大类 each is made of; ``sector_code`` is a value the industry-output feed accepts as an
  industry code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.settings import DBT_PROJECT_DIR

VOCABULARY_DIR = DBT_PROJECT_DIR / "seeds" / "vocabulary"


@dataclass(frozen=True)
class DestinationType:
    name: str
    label_zh: str
    is_employed: bool
    is_placed: bool


@dataclass(frozen=True)
class MajorLevel:
    level: str
    label_zh: str
    division_from: int
    division_to: int
    higher_offset: int

    def holds(self, division: int) -> bool:
        return self.division_from <= division <= self.division_to


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(enumerate(csv.DictReader(f), start=2))  # row 1 is the header


def _bool(path: Path, row: int, column: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"{path}, row {row}, column {column}: value {value!r}; expected true or false")
    return value == "true"


def _int(path: Path, row: int, column: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"{path}, row {row}, column {column}: value {value!r}; expected an integer"
        ) from None


@cache
def destination_types(folder: Path = VOCABULARY_DIR) -> tuple[DestinationType, ...]:
    path = folder / "destination_types.csv"
    return tuple(
        DestinationType(
            r["destination_type"],
            r["label_zh"],
            _bool(path, i, "is_employed", r["is_employed"]),
            _bool(path, i, "is_placed", r["is_placed"]),
        )
        for i, r in _rows(path)
    )


@cache
def major_levels(folder: Path = VOCABULARY_DIR) -> tuple[MajorLevel, ...]:
    path = folder / "major_levels.csv"
    return tuple(
        MajorLevel(
            r["level"],
            r["label_zh"],
            *(_int(path, i, c, r[c]) for c in ("division_from", "division_to", "higher_offset")),
        )
        for i, r in _rows(path)
    )


@dataclass(frozen=True)
class LabelledValue:
    value: str
    label_zh: str
    other_names_zh: tuple[str, ...]


LABELLED_LISTS = ("service_types", "project_statuses", "training_types")


@cache
def labelled_values(name: str, folder: Path = VOCABULARY_DIR) -> tuple[LabelledValue, ...]:
    """A value list of ``LABELLED_LISTS``: its first column, ``label_zh`` and ``other_names_zh`` (';')."""
    path = folder / f"{name}.csv"
    rows = _rows(path)
    if not rows:
        raise ValueError(f"{path}: no values")
    value_column = next(iter(rows[0][1]))
    return tuple(
        LabelledValue(
            r[value_column],
            r["label_zh"],
            tuple(n.strip() for n in r["other_names_zh"].split(";") if n.strip()),
        )
        for _, r in rows
    )


def chinese_names(values: tuple[LabelledValue, ...] | tuple[DestinationType, ...]) -> dict[str, str]:
    """Chinese name → value, for reading values written in Chinese (ingestion/names.py)."""
    names: dict[str, str] = {}
    for v in values:
        if isinstance(v, DestinationType):
            names[v.label_zh] = v.name
        else:
            names |= dict.fromkeys((v.label_zh, *v.other_names_zh), v.value)
    return names


@dataclass(frozen=True)
class IndustrySector:
    code: str  # primary, secondary, tertiary
    label_zh: str
    label_en: str
    other_names_zh: tuple[str, ...]


@cache
def industry_sectors(folder: Path = VOCABULARY_DIR) -> tuple[IndustrySector, ...]:
    """三次产业, each once (the seed has one row per 门类 or 大类 it is made of), in the seed's order."""
    sectors: dict[str, IndustrySector] = {}
    for _, r in _rows(folder / "industry_sectors.csv"):
        names = tuple(n.strip() for n in r["other_names_zh"].split(";") if n.strip())
        sectors.setdefault(
            r["sector_code"], IndustrySector(r["sector_code"], r["label_zh"], r["label_en"], names)
        )
    return tuple(sectors.values())


@cache
def section_sectors(folder: Path = VOCABULARY_DIR) -> dict[str, str]:
    """The 三次产业 of each GB/T 4754 门类 (``sector_code`` by ``industry_code`` of the seed's section rows;
    the 大类 a sector takes out of a 门类 are rows of their own)."""
    return {
        r["industry_code"]: r["sector_code"]
        for _, r in _rows(folder / "industry_sectors.csv")
        if r["industry_level"] == "section"
    }


DESTINATION_TYPES: tuple[str, ...] = tuple(d.name for d in destination_types())
EMPLOYED_DESTINATIONS: tuple[str, ...] = tuple(d.name for d in destination_types() if d.is_employed)
PLACED_DESTINATIONS: tuple[str, ...] = tuple(d.name for d in destination_types() if d.is_placed)
LEVELS: tuple[str, ...] = tuple(m.level for m in major_levels())


def level_of_division(division: int) -> MajorLevel | None:
    """The level whose 专业大类 range holds ``division``; None outside every range."""
    return next((m for m in major_levels() if m.holds(division)), None)


def division_ranges() -> str:
    """The ranges as a reader sees them, lowest first: ``21–39, 41–59 and 61–79``."""
    spans = [
        f"{m.division_from}–{m.division_to}" for m in sorted(major_levels(), key=lambda m: m.division_from)
    ]
    return ", ".join(spans[:-1]) + " and " + spans[-1] if len(spans) > 1 else spans[0]
