"""Names as well as codes: what an office writes in place of a code is read as the code it names, or
quarantined with the candidates listed."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingestion.contracts import ENROLMENT, FEEDS, VACANCIES
from ingestion.ingest import ingest_file
from ingestion.names import name_lookups, resolve_names
from ingestion.reference import code_lists
from tests.conftest import REPO, vacancy_rows

SEEDS = REPO / "dbt_project" / "seeds" / "reference"
NAMES = name_lookups(SEEDS)


def _frame(rows: list[dict]) -> pl.DataFrame:
    return (
        pl.DataFrame(rows)
        .with_row_index("source_row", offset=2)
        .with_columns(pl.col("source_row").cast(pl.Int64))
    )


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("温州市", "330300"),
        ("温州", "330300"),
        ("郑  州  市", "410100"),
        ("ＳＵ州", None),  # not a name
        ("苏州市", "320500"),
        ("浦东新区", "310115"),
    ],
)
def test_region_names(written: str, code: str | None) -> None:
    rows = vacancy_rows(1)
    rows[0]["region_code"] = written
    result = resolve_names(_frame(rows), VACANCIES, NAMES)
    if code is None:
        assert result.reasons["reason"].to_list() == [
            f"column region_code: value '{written}' is no region name or code"
        ]
    else:
        assert result.frame["region_code"].to_list() == [code] and result.reasons.is_empty()


def test_a_shared_name_is_resolved_within_the_files_province_or_quarantined_with_candidates() -> None:
    rows = vacancy_rows(3)
    rows[0]["region_code"] = "鼓楼区"  # 南京 320106, 徐州 320302 (both 江苏), 福州 350102, 开封 410204
    rows[1]["region_code"] = "350104"  # the other rows of the file are in 福建
    rows[2]["region_code"] = "350105"
    fujian = resolve_names(_frame(rows), VACANCIES, NAMES)
    assert fujian.frame["region_code"].to_list()[0] == "350102"
    assert "within province 350000" in fujian.warnings[0]
    rows[1]["region_code"] = rows[2]["region_code"] = "320505"  # now 江苏: two 鼓楼区
    jiangsu = resolve_names(_frame(rows), VACANCIES, NAMES)
    candidates = "320106 鼓楼区 (南京市), 320302 鼓楼区 (徐州市)"
    assert jiangsu.reasons["reason"].to_list() == [
        f"column region_code: value '鼓楼区' names 2 region codes ({candidates}); write the code"
    ]


def test_industry_and_occupation_names() -> None:
    rows = vacancy_rows(2)
    rows[0]["industry_code"] = "汽车制造业"
    rows[1]["industry_code"] = "不存在的行业"
    result = resolve_names(_frame(rows), VACANCIES, NAMES)
    assert result.frame["industry_code"].to_list()[0] == "36"
    assert result.reasons["reason"].to_list() == [
        "column industry_code: value '不存在的行业' is no industry name or code"
    ]


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("中职", "secondary"),
        ("技工学校", "secondary"),
        ("高职专科", "higher"),
        ("大专", "higher"),
        ("职业本科", "bachelor"),
    ],
)
def test_education_levels_by_chinese_name(written: str, level: str) -> None:
    row = dict.fromkeys(ENROLMENT.column_names, "1") | {"level": written}
    assert resolve_names(_frame([row]), ENROLMENT, NAMES).frame["level"].to_list() == [level]


def test_through_ingestion_names_load_and_ambiguous_ones_are_quarantined(tmp_path: Path) -> None:
    rows = vacancy_rows(3)
    rows[0]["region_code"] = "苏州市"
    rows[1]["region_code"] = "鼓楼区"
    path = tmp_path / "v.csv"
    pl.DataFrame(rows).write_csv(path)
    report = ingest_file(path, VACANCIES, tmp_path / "raw", b"k", references=code_lists(SEEDS), names=NAMES)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    loaded = pl.read_parquet(tmp_path / "raw" / "vacancies" / "*" / "*.parquet")
    assert sorted(loaded["region_code"].to_list())[0] == "320500"
    q = pl.read_parquet(tmp_path / "raw" / "_quarantine" / "vacancies" / "*.parquet")
    assert q["reason"][0].startswith("column region_code: value '鼓楼区' names 2 region codes")
    assert any("1 names read as codes" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("feed", "column", "written", "value"),
    [
        ("training", "training_type", "转岗培训", "job_transfer"),
        ("training", "training_type", " 订单培训 ", "order_training"),
        ("technical_services", "service_type", "技术改造", "equipment_upgrade"),
        ("technical_services", "status", "已结题", "completed"),
        ("graduate_destinations", "destination_type", "灵活就业", "employed_flexible"),
        ("training", "training_type", "专题讲座", None),  # names no training type
    ],
)
def test_chinese_names_of_vocabulary_values(feed: str, column: str, written: str, value: str | None) -> None:
    contract = FEEDS[feed]
    result = resolve_names(_frame([{column: written}]), contract, NAMES)
    if value is None:
        allowed = "upskilling, job_transfer, order_training, other"
        assert result.reasons["reason"].to_list() == [
            f"column {column}: value '{written}' names none of {allowed}"
        ]
    else:
        assert result.frame[column].to_list() == [value] and result.reasons.is_empty()
