"""Shared fixtures: small frames and files in each supported format."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

# the fault figures table (tests/faults/figures.py): hooks here, so the pytest-xdist controller has them too
from tests.faults.figures import pytest_sessionfinish, pytest_sessionstart, pytest_terminal_summary  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
REFERENCE_DIR = REPO / "reference" / "raw"  # vendored raw copies (reference/README.md)


# The longest files, longest first (measured: `make test` here, 2026-12-03): `--dist loadfile` hands files
# to the two workers in collection order, so these start first and the short files fill in beside them;
# last in line, the crash test alone kept one worker busy for minutes after the other had finished.
LONGEST_FIRST = (
    "tests/faults/test_crashes.py",
    "tests/e2e/test_pipeline.py",
    "tests/e2e/test_aggregate_grain.py",
    "tests/e2e/test_incremental.py",
    "tests/faults/test_redelivery.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first (``LONGEST_FIRST``; a stable sort, each file's tests in their order).

    The Superset tier runs only when asked for by marker (``make test-superset``: ``-m superset``); every
    other run, ``-m "not e2e"`` included, leaves it out: it needs a virtualenv of its own and minutes."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
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
