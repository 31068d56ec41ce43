"""Count tables as offices deliver them, end to end: loaded through a source profile, their figures
unchanged in the published marts (issue #17, "Tests and fixtures").

Two templates, each written by the test (no binary fixture) as .xlsx (merged two-row header) and as a GBK
CSV (the same two header rows, blanks where the workbook merges), both under a title row:

- a graduate-employment statistics table (毕业生就业统计: school × major × destination category, the
  employer's city by name, 毕业生人数), feed graduate_destination_counts;
- the public employment service's 人力资源市场供求状况 table (需求人数 and 求职人数 by city × occupation
  中类, one quarter per file), feed vacancy_counts.

Only the profiles are written by hand (the constants the files leave to their title: year, reference date,
quarter, source; the city column). Every file states LOADED / QUARANTINED / REJECTED with its message, and
read = loaded + quarantined holds for every one. The figures are compared in the staged release (small-cell
suppression on; every published figure here is at least k).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import yaml

from devtools.dbt_cli import run_dbt
from ingestion.ingest import ingest_inbox
from ingestion.raw_zone import FileReport
from tests.e2e.conftest import released_rows

pytestmark = pytest.mark.e2e

Rows = Sequence[Sequence[object]]
GRADUATES = "graduate_destination_counts"
VACANCIES = "vacancy_counts"

GRADUATE_TITLE = "2024届高等职业教育毕业生就业统计表（统计截止日期：2024年8月31日）"
GRADUATE_HEADER = [
    ["学校", None, "学校所在地", "专业", None, "层次", "毕业去向", "就业单位所在地", "毕业生人数"],
    ["代码", "名称", None, "代码", "名称", None, None, None, "（人）"],
]
GRADUATE_MERGES = ["A1:I1", "A2:B2", "C2:C3", "D2:E2", "F2:F3", "G2:G3", "H2:H3"]
SUZHOU = ["4132010001", "苏州职业技术学院", "苏州市"]
WUXI = ["4132020001", "无锡职业技术学院", "无  锡  市"]
CAR, COMPUTING = ["460701", "汽车制造与试验技术"], ["510201", "计算机应用技术"]
GRADUATE_XLSX: list[list[object]] = [
    [*SUZHOU, *CAR, "高职专科", "协议和合同就业", "苏州市", 40],
    [*SUZHOU, *CAR, "高职专科", "协议和合同就业", "无锡市", 10],
    [*SUZHOU, *CAR, "高职专科", "升学", None, 8],
    [*SUZHOU, *COMPUTING, "高职专科", "灵活就业", "苏州", 25],
    [*SUZHOU, *COMPUTING, "高职专科", "待就业", None, 6],
    [*SUZHOU, *CAR, "高职专科", "协议和合同就业", "苏洲市", 5],  # a misspelt city: quarantined
    ["合计", None, None, None, None, None, None, None, 94],
]
GRADUATE_CSV: list[list[object]] = [
    [*WUXI, *CAR, "高职专科", "协议和合同就业", "无锡市", 30],
    [*WUXI, *CAR, "高职专科", "升学", None, 12],
    ["合计", None, None, None, None, None, None, None, 42],
]

VACANCY_HEADER = [
    ["城市", "职业", None, "需求人数", "求职人数", "求人倍率"],
    [None, "代码", "名称", "（人）", "（人）", None],
]
VACANCY_MERGES = ["A1:F1", "A2:A3", "B2:C2", "F2:F3"]
VACANCY_XLSX: list[list[object]] = [  # 2024年第三季度
    ["苏州市", "6-22", "汽车制造人员", 120, 60, 2.0],
    ["无锡市", "6-22", "汽车制造人员", 80, 100, 0.8],
    ["苏州市", "4-04", "信息传输、软件和信息技术服务人员", 50, 25, 2.0],
    ["合计", None, None, 250, 185, 1.35],
]
VACANCY_CSV: list[list[object]] = [  # 2024年第四季度
    ["苏州市", "6-22", "汽车制造人员", 130, 70, 1.86],
    ["无锡市", "6-22", "汽车制造人员", 90, 90, 1.0],
    [
        "苏州市",
        "6",
        "生产制造及有关人员",
        300,
        200,
        1.5,
    ],  # a 大类 only: quarantined (the marts' grain is 中类)
]


@dataclass(frozen=True)
class Case:
    path: str
    status: str  # LOADED (every row) | QUARANTINED (some rows) | REJECTED (the file)
    message: str  # in its quarantined rows' reasons, its error when rejected, else its warnings
    read: int
    loaded: int
    quarantined: int


CASES = [
    Case(
        f"{GRADUATES}/2024届毕业生就业统计_苏州职院.xlsx",
        "QUARANTINED",
        "value '苏洲市' is no region name",
        6,
        5,
        1,
    ),
    Case(
        f"{GRADUATES}/2024届毕业生就业统计_无锡职院.csv",
        "LOADED",
        "total rows (合计/总计) were not read",
        2,
        2,
        0,
    ),
    Case(
        f"{VACANCIES}/2024年第三季度人力资源市场供求状况.xlsx", "LOADED", "header found at rows 2-3", 3, 3, 0
    ),
    Case(
        f"{VACANCIES}/2024年第四季度人力资源市场供求状况.csv",
        "QUARANTINED",
        "value '6' does not match",
        3,
        2,
        1,
    ),
    Case(
        f"{VACANCIES}/2024年第二季度人力资源市场供求状况.csv",
        "REJECTED",
        "missing required column(s)",
        0,
        0,
        0,
    ),
]


def _xlsx(path: Path, title: str, header: Rows, body: Rows, merges: list[str]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [[title], *header, *body]:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)


def _gbk_csv(path: Path, title: str, header: Rows, body: Rows) -> None:
    lines = [[title, *[None] * (len(header[0]) - 1)], *header, *body]
    text = "\r\n".join(",".join("" if v is None else str(v) for v in row) for row in lines)
    path.write_bytes(text.encode("gbk"))


def _profile(folder: Path, name: str, profile: dict[str, object]) -> None:
    (folder / f"{name}.profile.yml").write_text(yaml.safe_dump(profile, allow_unicode=True), "utf-8")


def _write(inbox: Path) -> None:
    graduates, vacancies = inbox / GRADUATES, inbox / VACANCIES
    graduates.mkdir(parents=True)
    vacancies.mkdir(parents=True)
    _xlsx(
        graduates / "2024届毕业生就业统计_苏州职院.xlsx",
        GRADUATE_TITLE,
        GRADUATE_HEADER,
        GRADUATE_XLSX,
        GRADUATE_MERGES,
    )
    _gbk_csv(graduates / "2024届毕业生就业统计_无锡职院.csv", GRADUATE_TITLE, GRADUATE_HEADER, GRADUATE_CSV)
    _profile(
        graduates,
        "2024届毕业生就业统计",
        {
            "files": "2024届毕业生就业统计_*",
            "columns": {"学校所在地": "school_region_code", "就业单位所在地": "employer_region_code"},
            "constants": {"grad_year": "2024", "survey_date": "2024-08-31"},
            "region_province": "320000",
        },
    )
    title = "{}部分城市公共就业服务机构市场供求状况"
    _xlsx(
        vacancies / "2024年第三季度人力资源市场供求状况.xlsx",
        title.format("2024年第三季度"),
        VACANCY_HEADER,
        VACANCY_XLSX,
        VACANCY_MERGES,
    )
    _gbk_csv(
        vacancies / "2024年第四季度人力资源市场供求状况.csv",
        title.format("2024年第四季度"),
        VACANCY_HEADER,
        VACANCY_CSV,
    )
    # the same template for another quarter, delivered before its profile was written: rejected, not skipped
    _gbk_csv(
        vacancies / "2024年第二季度人力资源市场供求状况.csv",
        title.format("2024年第二季度"),
        VACANCY_HEADER,
        VACANCY_CSV[:1],
    )
    for quarter, period in (("第三季度", "2024Q3"), ("第四季度", "2024Q4")):
        _profile(
            vacancies,
            f"2024年{quarter}",
            {
                "files": f"2024年{quarter}人力资源市场供求状况.*",
                "columns": {"城市": "region_code"},
                "constants": {"period": period, "source": "public_employment_service"},
                "region_province": "320000",
            },
        )


def _status(report: FileReport) -> str:
    if report.status == "rejected":
        return "REJECTED"
    return "QUARANTINED" if report.rows_quarantined else "LOADED"


def test_count_tables_as_delivered_appear_unchanged_in_the_published_marts(tmp_path: Path) -> None:
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    _write(inbox)
    reports = {r.source_file: r for r in ingest_inbox(inbox, raw, b"k")}
    quarantine = pl.read_parquet(raw / "_quarantine" / "*" / "*.parquet")
    for case in CASES:
        report = reports[case.path]
        reasons = quarantine.filter(pl.col("source_file") == case.path)["reason"].to_list()
        said = {"REJECTED": report.error, "QUARANTINED": " | ".join(reasons)}.get(case.status)
        said = " | ".join(report.warnings) if said is None else said
        assert len(reasons) == case.quarantined, (case.path, reasons)
        assert _status(report) == case.status, (case.path, report)
        assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (
            case.read,
            case.loaded,
            case.quarantined,
        ), case.path
        assert report.reconciles, case.path  # read = loaded + quarantined
        assert case.message in (said or ""), (case.path, said)
    # the 合计 rows are set aside and add up; the employer's city is read by name, spaces and suffix aside
    suzhou = reports[CASES[0].path]
    assert not [w for w in suzhou.warnings if "add up to" in w], suzhou.warnings
    assert any("苏州 → 320500" in w for w in suzhou.warnings), suzhou.warnings
    assert any("无  锡  市 → 320200" in w for w in reports[CASES[1].path].warnings)
    assert "period, region_code, source" in (reports[CASES[4].path].error or "")

    build = tmp_path / "build.duckdb"
    run_dbt(
        [
            "build",
            "--select",
            "+mart_talent_outflow",
            "+mart_talent_match_occupation",
            "--indirect-selection",
            "cautious",
        ],
        raw_dir=raw,
        build_db=build,
        target_dir=tmp_path / "target",
    )
    outflow, match = released_rows(
        build,
        tmp_path / "releases",
        "20260101T000000Z-counts",
        (("marts", "mart_talent_outflow"), ("marts", "mart_talent_match_occupation")),
        (
            (
                "select region_level, region_code, major_code, graduates, graduates_initial_survey, "
                "placed_initial, employed, employed_in_school_city, employed_in_school_province, "
                "suppressed_columns from mart_talent_outflow where grad_year = 2024 order by all"
            ),
            (
                "select region_level, region_code, occupation_code, vacancy_headcount, job_seekers, "
                "vacancies_with_job_seekers, job_vacancy_ratio from mart_talent_match_occupation "
                "where year = 2024 and occupation_level = 'sub_major_group' and vacancy_headcount > 0 "
                "order by all"
            ),
        ),
        suppression_k=5,
    )
    # each cell of the graduate tables, summed as the mart sums it: graduates; surveyed and placed in the
    # initial round (reference date 31 Aug); employed; of them in the school's city and province
    assert outflow == [
        ("prefecture", "320200", "460701", 42, 42, 42, 30, 30, 30, ""),
        ("prefecture", "320500", "460701", 58, 58, 58, 50, 40, 50, ""),
        ("prefecture", "320500", "510201", 31, 31, 25, 25, 25, 25, ""),
        ("province", "320000", "460701", 100, 100, 100, 80, 80, 80, ""),  # city: any of the province
        ("province", "320000", "510201", 31, 31, 25, 25, 25, 25, ""),
    ]
    # the market tables: people wanted and job seekers of the two quarters summed per city and occupation
    expected = [
        ("prefecture", "320200", "6-22", 170, 190, 170),
        ("prefecture", "320500", "4-04", 50, 25, 50),
        ("prefecture", "320500", "6-22", 250, 130, 250),
        ("province", "320000", "4-04", 50, 25, 50),
        ("province", "320000", "6-22", 420, 320, 420),
    ]
    assert [row[:6] for row in match] == expected
    for row, (*_, wanted, seekers, _) in zip(match, expected, strict=True):
        assert row[6] == pytest.approx(wanted / seekers), row
