"""The sample generator: deterministic, real codes, and the structure it promises."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from devtools.sample import GROWING, generate
from ingestion.contracts import FEEDS
from ingestion.ingest import ingest_inbox
from tests.conftest import REPO

SEEDS = REPO / "dbt_project" / "seeds" / "reference"


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", "small", seed=1)
    generate(tmp_path / "b", "small", seed=1)
    generate(tmp_path / "c", "small", seed=2)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")


def test_every_row_passes_its_contract_and_codes_are_real(tmp_path: Path) -> None:
    generate(tmp_path / "inbox", "small")
    reports = ingest_inbox(tmp_path / "inbox", tmp_path / "raw", b"k")
    # the sample is microdata; the aggregate grains are tried in tests/e2e/test_aggregate_grain.py
    assert {r.feed for r in reports} == set(FEEDS) - {"graduate_destination_counts", "vacancy_counts"}
    assert all(r.status == "loaded" and r.rows_quarantined == 0 for r in reports)
    regions = set(pl.read_csv(SEEDS / "ref_region.csv", infer_schema=False)["region_code"])
    industries = set(pl.read_csv(SEEDS / "ref_industry.csv", infer_schema=False)["industry_code"])
    occupations = set(pl.read_csv(SEEDS / "ref_occupation.csv", infer_schema=False)["occupation_code"])
    g = pl.read_parquet(tmp_path / "raw" / "graduate_destinations" / "*" / "*.parquet")
    v = pl.read_parquet(tmp_path / "raw" / "vacancies" / "*" / "*.parquet")
    assert (
        set(g["school_region_code"])
        | set(g["origin_region_code"])
        | set(g["employer_region_code"].drop_nulls())
        <= regions
    )
    assert set(g["employer_industry_code"].drop_nulls()) | set(v["industry_code"]) <= industries
    assert set(g["occupation_code"].drop_nulls()) | set(v["occupation_code"].drop_nulls()) <= occupations


def test_structure_worth_finding(tmp_path: Path) -> None:
    generate(tmp_path / "inbox", "small")
    ingest_inbox(tmp_path / "inbox", tmp_path / "raw", b"k")
    v = pl.read_parquet(tmp_path / "raw" / "vacancies" / "*" / "*.parquet").with_columns(
        pl.col("posted_date").dt.year().alias("y")
    )
    growing = v.filter(pl.col("industry_code").is_in(list(GROWING)))

    def share(df: pl.DataFrame, y: int) -> float:
        return df.filter(pl.col("y") == y).height / v.filter(pl.col("y") == y).height

    assert share(growing, 2024) > share(growing, 2022)
    g = pl.read_parquet(tmp_path / "raw" / "graduate_destinations" / "*" / "*.parquet")
    employed = g.filter(pl.col("employer_region_code").is_not_null())
    outside = employed.filter(~pl.col("employer_region_code").str.starts_with("32")).height / employed.height
    assert 0.15 < outside < 0.5
    local = employed.filter(
        pl.col("employer_region_code").str.slice(0, 4) == pl.col("school_region_code").str.slice(0, 4)
    )
    assert (
        local["employer_is_partner"].mean()
        > employed.filter(
            pl.col("employer_region_code").str.slice(0, 4) != pl.col("school_region_code").str.slice(0, 4)
        )["employer_is_partner"].mean()
    )


def test_dirty_rows_are_quarantined_one_for_one(tmp_path: Path) -> None:
    from dataclasses import replace

    from devtools.sample import SCALES

    generate(tmp_path / "inbox", replace(SCALES["small"], dirty_share=0.02))
    reports = [r for r in ingest_inbox(tmp_path / "inbox", tmp_path / "raw", b"k") if r.feed == "vacancies"]
    quarantined = pl.read_parquet(tmp_path / "raw" / "_quarantine" / "vacancies" / "*.parquet")
    assert 20 < quarantined.height < 120  # about 2% of 3,000
    assert sum(r.rows_quarantined for r in reports) == quarantined.height
    assert all(r.reconciles for r in reports)
    first = quarantined["reason"].str.extract(r"^column (\w+)").unique().sort().to_list()
    assert first == ["headcount", "posted_date", "region_code", "source"]
