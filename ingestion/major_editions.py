"""Which edition of the vocational major catalogue a major code is of, and its link to the 2021 catalogue.

Editions (docs/reference.md, "Old major codes"):

- ``2021``: 职业教育专业目录（2021年）: 大类 61–79 中职, 41–59 高职专科, 21–39 职业本科.
- ``higher_2015``: 普通高等学校高等职业教育（专科）专业目录（2015年）: 大类 51–69, the same 19 大类
  in the same order as 2021's 41–59.
- ``secondary_2010``: 中等职业学校专业目录（2010年）: 大类 01–19.

A code's 大类 alone is ambiguous twice, so the record's level and year decide:

- 61–69 is a 2021 中职 大类 and a 2015 高职 one: the level decides (secondary → 2021, higher → 2015).
- 51–59 at level higher is a 2021 大类 and a 2015 one: a 专业类 that exists in only one edition decides
  (5607 汽车制造类 is 2015's; 2021 has no 5607); one in both (5102 计算机类) is 2015's in a year before the
  2021 catalogue could have been used (enrolment: school year before 2021, the first intake under it;
  graduates: grad_year before 2022, since the catalogue was issued in March 2021) and 2021's from then on.
  So a 2015 code 51xxxx–59xxxx whose 专业类 position also exists in 2021, on a 2022–2023 graduate (enrolled
  under the 2015 catalogue), is read as the 2021 code: no rule on code, level and year can tell them apart
  (docs/reference.md, "not covered").

A code valid in no edition for its level (e.g. level higher, 大类 71) is quarantined. The link to the 2021
catalogue is the versioned seed ``major_code_correspondence.csv`` (basis and confidence per link); a record
keeps its own code and gets a mapping path:

- ``current``: a 2021 code;
- ``mapped_2015_category``: a 2015 code whose 专业类 links to a 2021 专业类;
- ``mapped_2015_division`` / ``mapped_2010_division``: linked at 大类 level only (no 2021 专业类);
- ``unmapped``: an old code with no link at all (loaded with a warning, counted as unmapped).

The dbt macros ``major_edition`` and the model ``dim_major_code_map`` apply the same rules in SQL.
"""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

# first year a feed's records use the 2021 catalogue where a 2015 专业类 has the same code
FIRST_2021_YEAR = {"enrolment": 2021, "graduates": 2022}
# the 大类 ranges of each edition at each level
RANGES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "secondary": (("2021", 61, 79), ("secondary_2010", 1, 19)),
    "higher": (("2021", 41, 59), ("higher_2015", 51, 69)),
    "bachelor": (("2021", 21, 39),),
}
PATHS = ("current", "mapped_2015_category", "mapped_2015_division", "mapped_2010_division", "unmapped")


@dataclass(frozen=True)
class Correspondence:
    """The 专业类 of each edition, and the links of old 专业类 and 大类 to 2021 高职专科 codes."""

    categories_2021: frozenset[str]  # 高职专科 专业类 (4 digits, 41xx–59xx)
    categories_2015: frozenset[str]
    category_links: dict[str, str]  # 2015 专业类 → 2021 高职 专业类 (only those with a link)
    division_links: dict[tuple[str, str], str]  # (edition, old 大类) → 2021 大类 at the record's level


@functools.lru_cache(maxsize=4)
def correspondence(seeds_dir: Path) -> Correspondence:
    """:func:`load_correspondence`, read once per process."""
    return load_correspondence(seeds_dir)


def load_correspondence(seeds_dir: Path) -> Correspondence:
    with open(seeds_dir / "major_category_higher.csv", encoding="utf-8") as f:
        categories_2021 = frozenset(r["major_category_code"] for r in csv.DictReader(f))
    with open(seeds_dir / "major_code_correspondence.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Correspondence(
        categories_2021=categories_2021,
        categories_2015=frozenset(
            r["old_code"] for r in rows if r["old_edition"] == "higher_2015" and r["link_level"] == "category"
        ),
        category_links={
            r["old_code"]: r["new_code"]
            for r in rows
            if r["old_edition"] == "higher_2015" and r["link_level"] == "category" and r["new_code"]
        },
        division_links={
            (r["old_edition"], r["old_code"]): r["new_code"] for r in rows if r["link_level"] == "division"
        },
    )


def major_edition(
    code: str | None, level: str | None, year: int | None, feed: str, corr: Correspondence
) -> str | None:
    """The edition of ``code`` for a record of ``level`` in ``year``; None when it is valid in no edition."""
    if not code or len(code) != 6 or not code.isdigit() or level not in RANGES:
        return None
    division = int(code[:2])
    editions = [e for e, low, high in RANGES[level] if low <= division <= high]
    if len(editions) <= 1:
        return editions[0] if editions else None
    # level higher, 大类 51–59: the 专业类 decides, else the year
    category = code[:4]
    in_2021 = category in corr.categories_2021
    in_2015 = category in corr.categories_2015
    if in_2021 != in_2015:
        return "2021" if in_2021 else "higher_2015"
    if year is not None and year < FIRST_2021_YEAR[feed]:
        return "higher_2015"
    return "2021"


def mapping_path(code: str, edition: str, corr: Correspondence) -> tuple[str, str | None]:
    """(mapping path, the 2021 高职专科 专业类 the record counts under, or None)."""
    if edition == "2021":
        return "current", None  # resolved by the level offset (macro higher_major_category)
    if edition == "higher_2015":
        if code[:4] in corr.category_links:
            return "mapped_2015_category", corr.category_links[code[:4]]
        if ("higher_2015", code[:2]) in corr.division_links:
            return "mapped_2015_division", None
        return "unmapped", None
    if ("secondary_2010", code[:2]) in corr.division_links:
        return "mapped_2010_division", None
    return "unmapped", None


# the feeds whose records carry a major code with its level, and the column giving the record's year
MAJOR_FEEDS = {
    "enrolment": ("year", "enrolment"),
    "graduate_destinations": ("grad_year", "graduates"),
    "graduate_destination_counts": ("grad_year", "graduates"),
}


@dataclass
class MajorCheck:
    loaded: pl.DataFrame  # the rows kept
    quarantined: pl.DataFrame  # source_row, reason, raw_record (the rows valid in no edition)
    warnings: list[str]
    paths: dict[str, int]  # records loaded per mapping path


def check_major_codes(loaded: pl.DataFrame, feed: str, corr: Correspondence, examples: int = 3) -> MajorCheck:
    """Decide each loaded row's edition: rows valid in no edition are quarantined (reason names code, level
    and the editions' ranges); rows of an earlier edition stay loaded with one warning per path."""
    year_column, kind = MAJOR_FEEDS[feed]
    if loaded.is_empty() or "major_code" not in loaded.columns:
        return MajorCheck(loaded, _empty_quarantine(), [], {})
    keys = loaded.select("major_code", "level", year_column).unique()
    decided = [
        (code, level, year, *_decide(code, level, year, kind, corr)) for code, level, year in keys.iter_rows()
    ]
    table = pl.DataFrame(
        decided,
        schema={
            "major_code": pl.Utf8,
            "level": pl.Utf8,
            year_column: loaded.schema[year_column],
            "__edition": pl.Utf8,
            "__path": pl.Utf8,
        },
        orient="row",
    )
    rows = loaded.join(table, on=["major_code", "level", year_column], how="left", nulls_equal=True)
    bad = rows.filter(pl.col("__edition").is_null() & pl.col("major_code").is_not_null())
    kept = rows.filter(~(pl.col("__edition").is_null() & pl.col("major_code").is_not_null()))
    quarantined = bad.select(
        "source_row",
        pl.format(
            "column major_code: value '{}' is a code of no edition of the vocational major catalogue "
            "at level '{}' ({})",
            pl.col("major_code"),
            pl.col("level"),
            pl.col("level").replace_strict(
                {lv: _ranges_text(lv) for lv in RANGES}, default="no level known", return_dtype=pl.Utf8
            ),
        ).alias("reason"),
        pl.Series(
            "raw_record",
            [
                json.dumps({k: (None if v is None else str(v)) for k, v in r.items()}, ensure_ascii=False)
                for r in bad.drop("source_row", "__edition", "__path").iter_rows(named=True)
            ],
            dtype=pl.Utf8,
        ),
    )
    counts = kept.group_by("__path").len()
    paths = {str(p): int(n) for p, n in counts.iter_rows() if p is not None}
    warnings = []
    for path in PATHS[1:]:
        these = kept.filter(pl.col("__path") == path).sort("source_row")
        if these.is_empty():
            continue
        shown = "; ".join(
            f"row {r['source_row']}: '{r['major_code']}' ({r['level']}, {r[year_column]})"
            for r in these.head(examples).iter_rows(named=True)
        )
        more = f"; and {these.height - examples} more" if these.height > examples else ""
        what = (
            "have no link to the 2021 catalogue: loaded, counted as unmapped (no 2021 专业类 or 大类)"
            if path == "unmapped"
            else f"use an earlier catalogue edition: loaded, mapped to the 2021 catalogue ({path})"
        )
        warnings.append(f"column major_code: {these.height} row(s) {what} ({shown}{more})")
    return MajorCheck(kept.drop("__edition", "__path"), quarantined, warnings, paths)


def _decide(
    code: str | None, level: str | None, year: int | None, kind: str, corr: Correspondence
) -> tuple[str | None, str | None]:
    if code is None:
        return None, None
    edition = major_edition(code, level, year, kind, corr)
    if edition is None:
        return None, None
    return edition, mapping_path(code, edition, corr)[0]


def _ranges_text(level: str) -> str:
    return "; ".join(f"{e}: 大类 {low:02d}–{high:02d}" for e, low, high in RANGES[level])


def _empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema={"source_row": pl.Int64, "reason": pl.Utf8, "raw_record": pl.Utf8})
