"""The reference classifications at run time: valid codes and the years region codes were in force, read
from the project's reference seeds (``dbt_project/seeds/reference``; built by
:mod:`devtools.reference_seeds`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.vocabulary import industry_sectors

REFERENCE_NAMES = {
    "region": "GB/T 2260 行政区划代码 (any code issued since 1980)",
    "industry": "GB/T 4754-2017 国民经济行业分类 (or 三次产业)",
    "occupation": "职业分类大典 2022",
}


def code_lists(seeds_dir: Path) -> dict[str, frozenset[str]]:
    """Every valid code per classification, from the project's reference seeds."""

    def codes(name: str, column: str) -> set[str]:
        return set(
            pl.read_csv(seeds_dir / f"{name}.csv", infer_schema=False, columns=[column])[column].to_list()
        )

    return {
        "region": frozenset(codes("ref_region", "region_code") | codes("ref_region_history", "region_code")),
        # and 三次产业 (a yearbook's 第一/第二/第三产业): only a pattern that admits them lets them through
        "industry": frozenset(codes("ref_industry", "industry_code") | {s.code for s in industry_sectors()}),
        "occupation": frozenset(codes("ref_occupation", "occupation_code")),
    }


def region_years(seeds_dir: Path) -> pl.DataFrame:
    """The years each GB/T 2260 code was in force: ``region_code``, ``valid_from_year``, ``valid_to_year``
    (null: still in force). A code that was reissued has one row per period."""
    return pl.read_csv(
        seeds_dir / "ref_region_history.csv",
        infer_schema=False,
        columns=["region_code", "valid_from_year", "valid_to_year"],
    ).with_columns(pl.col("valid_from_year").cast(pl.Int32), pl.col("valid_to_year").cast(pl.Int32))
