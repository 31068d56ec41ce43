"""Records coded in an earlier edition of the vocational major catalogue (issue #17 item 6).

The small sample, plus graduates whose major codes are of the 2015 高职 catalogue (560702, 5607 汽车制造类:
2021 has no 5607), of the 2010 中职 catalogue at a 大类 with no 2021 link (110100, 休闲保健类), and of no
edition (710201 at level higher). The 2015 graduates keep their code, are counted under the 2021 专业类 4607
汽车制造类 and so in supply; the unlinked one is loaded with a warning and counted as unmapped; the one of no
edition is quarantined with its reason; and the release record counts records per mapping path. The unmapped
graduate never silently drops out of supply: both talent-match marts hold it in the row of the unmapped code
(dbt var unmapped_code) of its city and year, so supply over the codes of a level is every graduate.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from devtools.dbt_cli import run_dbt
from devtools.sample import generate
from ingestion.ingest import ingest_inbox
from orchestration.assets.publication import _inputs
from publication.disclosure import PublishedMarts, policies, relation_violations
from publication.release import major_code_mapping
from transformation.build_plan import WITHOUT_UNIT_TESTS

pytestmark = pytest.mark.e2e

FEED = "graduate_destinations"


def test_a_2015_coded_graduate_counts_in_supply_under_its_2021_category(tmp_path: Path, monkeypatch) -> None:
    generate(tmp_path / "sample", "small")
    inbox = tmp_path / "inbox"
    shutil.copytree(tmp_path / "sample", inbox)
    first = pl.read_parquet(sorted((inbox / FEED).glob("*.parquet"))[0])
    template = first.filter(pl.col("level") == "higher").head(1)
    old = pl.concat(
        [
            template.with_columns(
                pl.lit(f"old-{i}").alias("graduate_id"),
                pl.lit(code).alias("major_code"),
                pl.lit(level).alias("level"),
            )
            for i, (code, level) in enumerate(
                [("560702", "higher"), ("560702", "higher"), ("110100", "secondary"), ("710201", "higher")]
            )
        ]
    )
    old.write_parquet(inbox / FEED / "old_codes.parquet")

    raw = tmp_path / "raw"
    reports = ingest_inbox(inbox, raw, b"k")
    report = next(r for r in reports if r.source_file.endswith("old_codes.parquet"))
    assert (report.rows_loaded, report.rows_quarantined) == (3, 1)
    assert report.major_mapping_paths == {"mapped_2015_category": 2, "unmapped": 1}
    assert any("'560702'" in w and "mapped_2015_category" in w for w in report.warnings)
    assert any("'110100'" in w and "counted as unmapped" in w for w in report.warnings)
    quarantine = pl.read_parquet(raw / "_quarantine" / FEED / "*.parquet")
    assert quarantine.filter(pl.col("reason").str.contains("'710201' is a code of no edition")).height == 1

    # the release record counts records per path, per feed
    class Settings:
        raw_dir = raw

    paths = major_code_mapping(_inputs(Settings()))  # type: ignore[arg-type]
    assert paths[FEED]["mapped_2015_category"] == 2 and paths[FEED]["unmapped"] == 1
    assert paths[FEED]["current"] > 0

    build = tmp_path / "build.duckdb"
    run_dbt(
        ["build", "--full-refresh", *WITHOUT_UNIT_TESTS],
        raw_dir=raw,
        build_db=build,
        target_dir=tmp_path / "target",
    )
    con = duckdb.connect(str(build), read_only=True)
    try:
        old_rows = con.execute(
            "select major_code, higher_major_category_code, major_code_edition, major_mapping_path, "
            "sum(graduates) from intermediate.int_graduates where major_code in ('560702', '110100') "
            "group by all order by 1"
        ).fetchall()
        assert old_rows == [
            ("110100", None, "secondary_2010", "unmapped", 1),
            ("560702", "4607", "higher_2015", "mapped_2015_category", 2),
        ]
        # they count in supply: the supply of every graduate of a bridged 专业类, spread by the bridge
        # weights (industries of dim_industry), plus every graduate the bridge cannot place (no 2021 专业类,
        # or a 专业类 with no link) whole in the row of the unmapped code, at province × 门类 level, equals
        # the published supply; the two 2015-coded graduates add 2 × the weights of 4607
        expected = """
            select sum(g.graduates * b.weight) from intermediate.int_graduates as g
            inner join reference.bridge_major_industry as b
                on g.higher_major_category_code = b.higher_major_category_code
            inner join reference.dim_industry as i on b.industry_code = i.industry_code
            where g.school_prefecture_code is not null and g.graduates > 0 and ({})
        """
        with_old, without_old = (
            con.execute(expected.format(condition)).fetchone()[0]
            for condition in ("true", "g.major_code <> '560702'")
        )
        weight_4607 = con.execute(
            "select sum(b.weight) from reference.bridge_major_industry as b "
            "inner join reference.dim_industry as i on b.industry_code = i.industry_code "
            "where b.higher_major_category_code = '4607'"
        ).fetchone()[0]
        supplied = con.execute(
            "select sum(graduates_supplied) from intermediate.int_talent_match_counts where "
            "region_level = 'province' and classification = 'industry' and code_level = 'section'"
        ).fetchone()[0]
        # the 110100 graduate (path unmapped, no 2021 专业类) never silently drops out: it is in the row of
        # the unmapped code of its school's city and year, in both talent-match marts, at both code levels,
        # and the supply of a city and year over the codes of a level is every graduate of its schools
        city, year = con.execute(
            "select school_prefecture_code, grad_year from intermediate.int_graduates "
            "where major_code = '110100'"
        ).fetchone()
        not_bridged = """
            select coalesce(sum(graduates), 0) from intermediate.int_graduates
            where school_prefecture_code is not null and graduates > 0 and ({where})
                and (higher_major_category_code is null or higher_major_category_code not in
                    (select higher_major_category_code from reference.{bridge}))
        """
        in_city = f"school_prefecture_code = '{city}' and grad_year = {year}"
        total_not_bridged = con.execute(
            not_bridged.format(where="true", bridge="bridge_major_industry")
        ).fetchone()[0]
        not_bridged_industry, not_bridged_occupation = (
            con.execute(not_bridged.format(where=in_city, bridge=bridge)).fetchone()[0]
            for bridge in ("bridge_major_industry", "bridge_major_occupation")
        )
        marts = (
            ("mart_talent_match", "industry", ("division", "section")),
            ("mart_talent_match_occupation", "occupation", ("sub_major_group", "major_group")),
        )
        in_mart = "region_level = 'prefecture' and region_code = ? and year = ? and {}_level = ?"
        unmapped_rows = {
            (mart, level): con.execute(
                f"select graduates_supplied, vacancy_headcount, vacancies_per_graduate from marts.{mart} "
                f"where {in_mart.format(column)} and {column}_code = 'unmapped'",
                [city, year, level],
            ).fetchall()
            for mart, column, levels in marts
            for level in levels
        }
        graduates_of_city = con.execute(
            f"select sum(graduates) from intermediate.int_graduates where graduates > 0 and {in_city}"
        ).fetchone()[0]
        supply_of_city = {
            mart: con.execute(
                f"select sum(graduates_supplied) from marts.{mart} where {in_mart.format(column)}",
                [city, year, levels[0]],
            ).fetchone()[0]
            for mart, column, levels in marts
        }
        # the disclosure declarations hold on the exact figures: each mart's supply over a level of a region
        # and year (the unmapped row included) equals mart_talent_outflow's graduates (linked)
        talent_marts = tuple(
            p for p in policies() if p.table in {m for m, _, _ in marts} | {"mart_talent_outflow"}
        )
        frames = {
            p.table: con.execute(f"select rowid as row_id, * from marts.{p.table}").pl() for p in talent_marts
        }
        violations = relation_violations(PublishedMarts(frames, talent_marts))
        # an unmapped row is never ranked as a shortage nor proposed as a new major
        listed_unmapped = con.execute(
            "select (select count(*) from marts.mart_shortage_industries where industry_code = 'unmapped') "
            "+ (select count(*) from marts.mart_shortage_occupations where occupation_code = 'unmapped') "
            "+ (select count(*) from marts.mart_new_major_candidates where industry_code = 'unmapped')"
        ).fetchone()[0]
    finally:
        con.close()
    assert weight_4607 and float(weight_4607) > 0
    assert round(float(with_old) - float(without_old), 6) == round(2 * float(weight_4607), 6)
    assert total_not_bridged >= 1
    assert round(float(supplied), 6) == round(float(with_old) + float(total_not_bridged), 6)
    assert not_bridged_industry >= 1 and not_bridged_occupation >= 1
    for (mart, _level), rows in unmapped_rows.items():
        expected_count = not_bridged_industry if mart == "mart_talent_match" else not_bridged_occupation
        assert [(float(r[0]), *r[1:]) for r in rows] == [(float(expected_count), 0, None)], (mart, rows)
    for mart, supply in supply_of_city.items():
        assert float(supply) == pytest.approx(float(graduates_of_city), abs=1e-3), mart
    assert listed_unmapped == 0
    assert len(talent_marts) == 3 and any(p.linked for p in talent_marts)
    assert violations.is_empty(), violations
