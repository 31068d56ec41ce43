"""Files generated from code must be committed up to date (contracts → dbt YAML and docs; reference →
seeds)."""

from __future__ import annotations

import polars as pl
import pytest

from devtools.analyst_docs import rendered as analyst_docs
from devtools.contract_docs import rendered
from devtools.reference_seeds import build_seeds
from tests.conftest import REFERENCE_DIR, REPO


@pytest.mark.parametrize("path", list(rendered()), ids=lambda p: p.name)
def test_contract_derived_file_is_current(path) -> None:
    assert path.read_text(encoding="utf-8") == rendered()[path], f"{path} is stale: run `tw contracts`"


@pytest.mark.parametrize("path", list(analyst_docs()), ids=lambda p: p.name)
def test_analyst_docs_are_current(path) -> None:
    assert path.read_text(encoding="utf-8") == analyst_docs()[path], f"{path} is stale: run `tw docs`"


def test_reference_seeds_are_current_and_complete() -> None:
    seeds = build_seeds(REFERENCE_DIR)
    for name, df in seeds.items():
        committed = pl.read_csv(
            REPO / "dbt_project" / "seeds" / "reference" / f"{name}.csv", infer_schema=False
        )
        assert committed.equals(df.cast(pl.Utf8)), f"{name} is stale: run `tw reference`"
    regions = seeds["ref_region"]["region_level"].value_counts().sort("region_level")
    assert dict(regions.iter_rows()) == {"county": 2846, "prefecture": 333, "province": 34}
    industries = dict(seeds["ref_industry"]["industry_level"].value_counts().iter_rows())
    assert industries == {"section": 20, "division": 97, "group": 473, "class": 1381}
    assert seeds["ref_industry"].filter(pl.col("industry_code") == "0712")["industry_name"].to_list() == [
        "海洋石油开采"
    ]
    occupations = dict(seeds["ref_occupation"]["occupation_level"].value_counts().iter_rows())
    assert occupations == {"major_group": 8, "sub_major_group": 79, "minor_group": 450, "unit": 1639}
    history = seeds["ref_region_history"]
    assert (
        history.filter(pl.col("resolution") != "unresolved")["current_region_code"]
        .is_in(seeds["ref_region"]["region_code"].implode())
        .all()
    )
