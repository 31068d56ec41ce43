"""Complete the major table from the official catalogue (职业教育专业目录) when it is supplied as a file.

``tw catalogue FILE`` reads a CSV/xlsx/Parquet with at least 专业代码 and 专业名称 (English headers
major_code, major_name also work), checks every row, and writes the valid ones to the seed
``major_catalogue_official.csv``; ``dim_major`` then prefers these names. Rows that fail are reported with
their row number and reason and are not written.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.contracts import MAJOR_CODE, FeedContract, _c
from ingestion.readers import read_feed_file
from ingestion.validate import apply_contract

SEED = (
    Path(__file__).resolve().parent.parent
    / "dbt_project"
    / "seeds"
    / "reference"
    / "major_catalogue_official.csv"
)

MAJOR_CATALOGUE = FeedContract(
    name="major_catalogue",
    title="Vocational major catalogue",
    title_zh="职业教育专业目录",
    grain="one row per major",
    key=("major_code",),
    period_rule="none",
    columns=(
        _c("major_code", "string", "Major code (6 digits)", "专业代码", pattern=MAJOR_CODE),
        _c("major_name", "string", "Major name", "专业名称"),
        _c(
            "level",
            "string",
            "Level; derived from the code when absent",
            "层次",
            "办学层次",
            allowed=("secondary", "higher", "bachelor"),
            required=False,
        ),
        _c(
            "major_category_code",
            "string",
            "专业类 code (4 digits)",
            "专业类代码",
            pattern=r"^\d{4}$",
            required=False,
        ),
    ),
)

LEVEL_OF_DIVISION = (
    pl.when(pl.col("major_code").str.slice(0, 2).cast(pl.Int64).is_between(21, 39))
    .then(pl.lit("bachelor"))
    .when(pl.col("major_code").str.slice(0, 2).cast(pl.Int64).is_between(41, 59))
    .then(pl.lit("higher"))
    .when(pl.col("major_code").str.slice(0, 2).cast(pl.Int64).is_between(61, 79))
    .then(pl.lit("secondary"))
)


def load_catalogue(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Valid catalogue rows (major_code, major_name, level, major_category_code) and refused rows with reasons."""
    raw = read_feed_file(path, MAJOR_CATALOGUE)
    result = apply_contract(raw.frame, MAJOR_CATALOGUE)
    rows = result.loaded.with_columns(
        pl.coalesce("level", LEVEL_OF_DIVISION).alias("level"),
        pl.coalesce("major_category_code", pl.col("major_code").str.slice(0, 4)).alias("major_category_code"),
    )
    bad_division = rows.filter(pl.col("level").is_null())
    refused = pl.concat(
        [
            result.quarantined.select("source_row", "reason"),
            bad_division.select(
                "source_row",
                pl.format(
                    "column major_code: value '{}' has a 大类 outside 21–39, 41–59 and 61–79",
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
