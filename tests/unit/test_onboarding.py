"""Onboarding a template: `tw inspect` proposes a profile; the profile, saved beside the file, loads it.

Each case goes through the same code as every delivery (ingest_feed: profile, reader, names, validation)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import yaml

from ingestion.ingest import ingest_feed
from ingestion.names import name_lookups
from ingestion.onboarding import propose, render
from ingestion.raw_zone import all_manifests
from tests.conftest import REPO, vacancy_rows

SEEDS = REPO / "dbt_project" / "seeds" / "reference"
NAMES = name_lookups(SEEDS)
# A clerk's own headers: two the contract knows under other names, one constant column missing.
CLERK = {"posting_id": "岗位号", "enterprise_id": "单位编码", "headcount": "需求人数"}


def _workbook(path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _clerk_file(inbox: Path) -> Path:
    rows = vacancy_rows(3)
    header = [CLERK.get(k, k) for k in rows[0] if k != "source"]
    body = [[v for k, v in r.items() if k != "source"] for r in rows]
    return _workbook(
        inbox / "vacancies" / "岗位需求_2024年3月.xlsx", [header, *body], title="2024年3月岗位需求"
    )


def test_inspect_proposes_a_profile_and_the_edited_profile_loads_the_file(tmp_path: Path) -> None:
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    path = _clerk_file(inbox)
    # without a profile: rejected, and the error names what is missing
    (report,) = ingest_feed(inbox, "vacancies", raw, b"k")
    assert report.status == "rejected" and "posting_id" in (report.error or "")

    proposal = propose(path, names=NAMES)
    assert proposal.feed == "vacancies" and (proposal.header.start, proposal.header.depth) == (1, 1)
    assert proposal.missing == ["posting_id", "enterprise_id", "source"]  # 需求人数 is a known alias
    assert "单位编码" in render(proposal)
    profile = yaml.safe_load(proposal.profile_yaml)
    assert profile["files"] == path.name and profile["header_rows"] == [2]
    assert profile["constants"] == {"posting_id": "?", "enterprise_id": "?", "source": "?"}

    # the person edits it: maps the three headers, states the constant, saves it beside the file
    profile["columns"] = {"岗位号": "posting_id", "单位编码": "enterprise_id"}
    profile["constants"] = {"source": "public_employment_service"}
    (path.parent / f"{path.name}.profile.yml").write_text(
        yaml.safe_dump(profile, allow_unicode=True), "utf-8"
    )
    (report,) = ingest_feed(inbox, "vacancies", raw, b"k")
    assert (report.status, report.rows_read, report.rows_loaded) == ("loaded", 3, 3)
    assert f"read with profile {path.name}.profile.yml" in report.warnings
    loaded = pl.read_parquet(raw / "vacancies" / "*" / "*.parquet")
    assert set(loaded["source"]) == {"public_employment_service"} and loaded["headcount"].to_list() == [
        3,
        3,
        3,
    ]

    # an edited profile reads the same file again, as a new version that replaces the earlier one
    profile["constants"] = {"source": "job_board"}
    (path.parent / f"{path.name}.profile.yml").write_text(
        yaml.safe_dump(profile, allow_unicode=True), "utf-8"
    )
    (report,) = ingest_feed(inbox, "vacancies", raw, b"k")
    assert report.status == "loaded" and len(all_manifests(raw)) == 3


def test_a_wide_table_is_unpivoted_with_names_read_as_codes(tmp_path: Path) -> None:
    """A yearbook-style table: cities by name as rows, industries as columns under a merged 增加值 heading."""
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    path = _workbook(
        inbox / "industry_output" / "分市分行业增加值.xlsx",
        [
            ["地区", "增加值（万元）", None],
            [None, "制造业", "建筑业"],
            ["温  州  市", "12000", "3000"],
            ["台州", "8000", "500"],
        ],
        title="表 5 分市分行业增加值（2024年）",
    )
    proposal = propose(path, names=NAMES)
    assert proposal.missing == ["period", "industry_code"]
    texts = [m.text for m in proposal.columns]
    assert texts == ["地区", "增加值(万元) / 制造业", "增加值(万元) / 建筑业"]
    # the proposal has it all: industries by name as the unpivot's key, 增加值 in the heading as its value,
    # the year from the title; nothing is left '?' and the rows are shown as they would be loaded
    assert proposal.unknown == []
    assert yaml.safe_load(proposal.profile_yaml) == {
        "files": path.name,
        "header_rows": [2, 3],
        "unpivot": {
            "key": "industry_code",
            "value": "value_added_100m_cny",
            "columns": {"增加值(万元) / 制造业": "C", "增加值(万元) / 建筑业": "E"},
        },
        "constants": {"period": "2024"},
    }
    assert proposal.sample is not None and proposal.sample.height == 4
    assert set(proposal.sample["reason"]) == {""}
    (path.parent / "增加值.profile.yml").write_text(proposal.profile_yaml, "utf-8")
    (report,) = ingest_feed(inbox, "industry_output", raw, b"k", names=NAMES)
    assert (report.status, report.rows_read, report.rows_loaded, report.rows_quarantined) == (
        "loaded",
        4,
        4,
        0,
    )
    got = pl.read_parquet(raw / "industry_output" / "*" / "*.parquet").sort("region_code", "industry_code")
    assert got.select("region_code", "industry_code", "value_added_100m_cny").rows() == [
        ("330300", "C", 1.2),
        ("330300", "E", 0.3),
        ("331000", "C", 0.8),
        ("331000", "E", 0.05),
    ]


def test_a_broken_profile_rejects_the_files_with_its_error(tmp_path: Path) -> None:
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    path = _clerk_file(inbox)
    (path.parent / "bad.profile.yml").write_text("files: '*.xlsx'\nheader_row: 2\n", "utf-8")
    (report,) = ingest_feed(inbox, "vacancies", raw, b"k")
    assert report.status == "rejected"
    assert "bad.profile.yml: unknown key(s) header_row; expected files, sheet, header_rows" in (
        report.error or ""
    )


def test_inspect_a_real_yearbook_table() -> None:
    """zj2021.xlsx (tests/fixtures/delivered): the two-row merged header under a title, cities by name."""
    proposal = propose(REPO / "tests" / "fixtures" / "delivered" / "zj2021.xlsx", "industry_output", NAMES)
    assert (proposal.header.start + 1, proposal.header.depth) == (2, 2)
    assert proposal.columns[0].text == "城市" and proposal.columns[0].column == "region_code"
    assert "生产总值(亿元) / 第一产业" in [m.text for m in proposal.columns]
    assert proposal.missing == ["period", "industry_code"]
    profile = yaml.safe_load(proposal.profile_yaml)
    # 三次产业 columns become rows; 工业 is no 门类 and 生产总值 their total: neither is loaded
    assert profile["unpivot"] == {
        "key": "industry_code",
        "value": "?",  # 总产值 or 增加值, both in 亿元: the person says which
        "columns": {
            "生产总值(亿元) / 第一产业": "primary",
            "生产总值(亿元) / 第二产业": "secondary",
            "生产总值(亿元) / 第三产业": "tertiary",
        },
    }
    assert profile["constants"] == {"period": "2021"} and "columns" not in profile
    assert proposal.unknown == ["unpivot.value"] and proposal.sample is None


def test_inspect_reads_the_rows_with_the_profile_saved_beside_the_file(tmp_path: Path) -> None:
    path = _clerk_file(tmp_path / "inbox")
    saved = path.parent / "岗位.profile.yml"
    saved.write_text("files: '*.xlsx'\nheader_row: 2\n", "utf-8")
    text = render(propose(path, names=NAMES))
    assert (
        "rows not shown: the saved profile cannot be used: 岗位.profile.yml: unknown key(s) header_row"
        in text
    )
    profile = {
        "files": "*.xlsx",
        "columns": {"岗位号": "posting_id", "单位编码": "enterprise_id"},
        "constants": {"source": "job_board"},
    }
    saved.write_text(yaml.safe_dump(profile, allow_unicode=True), "utf-8")
    proposal = propose(path, names=NAMES)
    assert proposal.saved_profile == saved and proposal.sample is not None
    assert proposal.sample.height == 3 and set(proposal.sample["source"]) == {"job_board"}
    assert "loaded with the saved profile 岗位.profile.yml" in render(proposal)
