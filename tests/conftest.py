"""Shared fixtures: small frames and files in each supported format."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

# the fault figures table (tests/faults/figures.py): hooks here, so the pytest-xdist controller has them too
from tests.faults.figures import pytest_sessionfinish, pytest_sessionstart, pytest_terminal_summary  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
REFERENCE_DIR = REPO / "reference" / "raw"  # vendored raw copies (reference/README.md)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The Superset tier runs only when asked for by marker (``make test-superset``: ``-m superset``); every
    other run, ``-m "not e2e"`` included, leaves it out: it needs a virtualenv of its own and minutes."""
    if "superset" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("superset") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.get_closest_marker("superset")])
        items[:] = kept


def vacancy_rows(n: int = 3) -> list[dict]:
    return [
        {
            "posting_id": f"P{i}",
            "enterprise_id": "E1",
            "enterprise_name": "样例企业",
            "region_code": "320505",
            "industry_code": "36",
            "occupation_code": "6-22-02-01",
            "required_major_codes": "460702;460701",
            "required_level": "higher",
            "headcount": "3",
            "salary_min_cny": "5000",
            "salary_max_cny": "8000",
            "posted_date": "2024-03-0" + str(1 + i % 9),
            "closed_date": "",
            "source": "job_board",
        }
        for i in range(n)
    ]


def graduate_row(graduate_id: str = "g1", **values: str | None) -> dict[str, str | None]:
    """One further-study graduate of 2024 as the destinations feed delivers it; ``values`` change columns."""
    return {
        "graduate_id": graduate_id,
        "grad_year": "2024",
        "school_code": "4132000001",
        "school_region_code": "320505",
        "major_code": "460702",
        "level": "higher",
        "origin_region_code": "320505",
        "destination_type": "further_study",
        "survey_date": "2024-08-31",
        **values,
    }


@pytest.fixture
def key() -> bytes:
    return b"test-key"


@pytest.fixture
def vacancies_csv(tmp_path: Path) -> Path:
    path = tmp_path / "vacancies.csv"
    pl.DataFrame(vacancy_rows()).write_csv(path)
    return path
