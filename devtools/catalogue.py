"""Complete the major table from the official catalogue (职业教育专业目录) when it is supplied as a file.

``tw catalogue FILE`` reads a CSV/xlsx/Parquet with at least 专业代码 and 专业名称 (English headers
major_code, major_name also work), checks every row, and writes the valid ones to the seed
``major_catalogue_official.csv``; ``dim_major`` then prefers these names. Rows that fail are reported with
their row number and reason and are not written.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.contracts import MAJOR_CATALOGUE
from ingestion.readers import read_feed_file
from ingestion.validate import apply_contract
from ingestion.vocabulary import division_ranges, major_levels

SEED = (
    Path(__file__).resolve().parent.parent
    / "dbt_project"
    / "seeds"
    / "reference"
    / "major_catalogue_official.csv"
)


def _level_of_division() -> pl.Expr:
    """The level of a major by its 专业大类 (ingestion/vocabulary.py); null outside every range."""
    division = pl.col("major_code").str.slice(0, 2).cast(pl.Int64)
    return pl.coalesce(
        pl.lit(None, pl.String),
        *(
            pl.when(division.is_between(m.division_from, m.division_to)).then(pl.lit(m.level))
            for m in major_levels()
        ),
    )


def load_catalogue(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Valid catalogue rows (major_code, major_name, level, major_category_code), and refused rows with
    reasons."""
    raw = read_feed_file(path, MAJOR_CATALOGUE)
    result = apply_contract(raw.frame, MAJOR_CATALOGUE)
    rows = result.loaded.with_columns(
        pl.coalesce("level", _level_of_division()).alias("level"),
        pl.coalesce("major_category_code", pl.col("major_code").str.slice(0, 4)).alias("major_category_code"),
    )
    bad_division = rows.filter(pl.col("level").is_null())
    refused = pl.concat(
        [
            result.quarantined.select("source_row", "reason"),
            bad_division.select(
                "source_row",
                pl.format(
                    f"column major_code: value '{{}}' has a 大类 outside {division_ranges()}",
                    pl.col("major_code"),
                ).alias("reason"),
            ),
        ]
    )
    valid = (
        rows.filter(pl.col("level").is_not_null())
        .select("major_code", "major_name", "level", "major_category_code")
        .sort("major_code")
    )
    return valid, refused.sort("source_row")


def write_catalogue_seed(path: Path, seed: Path = SEED) -> tuple[int, pl.DataFrame]:
    valid, refused = load_catalogue(path)
    valid.write_csv(seed)
    return valid.height, refused
