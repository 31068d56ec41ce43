"""`tw status`, `tw quarantine`, `tw retract` and `tw inspect` as a data engineer uses them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from core.settings import load_settings
from ingestion.ingest import ingest_feed
from orchestration.cli import main
from tests.conftest import REPO, vacancy_rows


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TW_INBOX_DIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("TW_DEMO", "1")
    folder = tmp_path / "inbox" / "vacancies"
    folder.mkdir(parents=True)
    rows = vacancy_rows(3)
    rows[0]["headcount"] = "-2"
    pl.DataFrame(rows).write_csv(folder / "2024-03.csv")
    (folder / "notes.docx").write_text("minutes of the meeting", encoding="utf-8")
    settings = load_settings()
    ingest_feed(settings.inbox_dir, "vacancies", settings.raw_dir, settings.require_key())
    return tmp_path


def test_status_names_every_file_its_counts_and_reasons(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "vacancies/2024-03.csv  loaded  read 3  loaded 2  quarantined 1" in out
    assert "1 × column headcount: value … is below the minimum 1" in out
    assert "why: tw quarantine vacancies/2024-03.csv" in out
    assert "vacancies/notes.docx  rejected" in out and "unsupported file type '.docx'" in out
    assert main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["files_rejected"] == ["vacancies/notes.docx"] and len(data["by_file"]) == 2


def test_quarantine_and_retract(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quarantine", "2024-03.csv"]) == 0
    assert "column headcount: value '-2' is below the minimum 1" in capsys.readouterr().out
    assert main(["retract", "vacancies/notes.docx"]) == 0
    assert "retracted vacancies/notes.docx" in capsys.readouterr().out
    assert main(["retract", "vacancies/notes.docx"]) == 1  # nothing left to take back
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files_rejected"] == []


def test_inspect_prints_a_proposal(capsys: pytest.CaptureFixture[str]) -> None:
    path = REPO / "tests" / "fixtures" / "delivered" / "zj2021.xlsx"
    assert main(["inspect", str(path), "--feed", "industry_output"]) == 0
    out = capsys.readouterr().out
    assert "header: rows 2-3" in out and "'城市' → region_code" in out and "proposed profile" in out


def test_a_refresh_that_publishes_nothing_says_which_file_and_condition(home: Path) -> None:
    from orchestration.cli import _why_not_published

    gate = home / "home" / "quality" / "feeds" / "gate.json"
    gate.parent.mkdir(parents=True)
    failed = {
        "expectation": "unexpected_rows_expectation",
        "column": None,
        "blocking": True,
        "success": False,
        "description": "no vacancies file was rejected",
        "unexpected_count": 2,
        "error": None,
    }
    gate.write_text(json.dumps({"suites": [{"suite": "feed_vacancies", "expectations": [failed]}]}), "utf-8")
    why = _why_not_published(load_settings())
    assert "check failed: feed_vacancies: unexpected_rows_expectation no vacancies file was rejected" in why
    assert "vacancies/notes.docx: rejected: notes.docx: unsupported file type" in why
    assert (
        "vacancies/2024-03.csv: 1 of 3 rows quarantined (over 5%); `tw quarantine vacancies/2024-03.csv`"
        in why
    )
