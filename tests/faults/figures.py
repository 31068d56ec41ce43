"""The fault figures: every fault test records what happened to its files and rows; the table is printed
at the end of the run and written to ``build/test-figures/faults.md`` (CI prints it; docs/reliability.md
quotes it). The hooks are registered by ``tests/faults/conftest.py``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FIGURES: list[dict] = []
_CASE: dict[str, str] = {}
OUTPUT = REPO / "build" / "test-figures" / "faults.md"
PARTS = OUTPUT.parent / "parts"  # one JSON per pytest-xdist worker, merged by the controller


@pytest.fixture(autouse=True)
def fault_case(request: pytest.FixtureRequest) -> Iterator[None]:
    paragraph = (request.function.__doc__ or "").strip().split("\n\n")[0]
    _CASE["test"] = request.node.name
    _CASE["behaviour"] = " ".join(paragraph.split())
    yield
    _CASE.clear()


def record_figures(
    files: int, rows_read: int, rows_loaded: int, rows_quarantined: int, **extra: object
) -> None:
    """Add one line to the figures table for the running test."""
    FIGURES.append(
        {
            "test": _CASE.get("test", "?"),
            "behaviour": _CASE.get("behaviour", ""),
            "files": files,
            "rows_read": rows_read,
            "rows_loaded": rows_loaded,
            "rows_quarantined": rows_quarantined,
            "rows_lost": rows_read - rows_loaded - rows_quarantined,
            **extra,
        }
    )


def figures_table(figures: list[dict]) -> str:
    by_test: dict[str, dict] = {}
    for f in sorted(figures, key=lambda f: f["test"]):
        row = by_test.setdefault(
            f["test"],
            {**f, "files": 0, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "rows_lost": 0},
        )
        for k in ("files", "rows_read", "rows_loaded", "rows_quarantined", "rows_lost"):
            row[k] += f[k]
    lines = [
        "| test | behaviour | files | rows read | loaded | quarantined | rows lost |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['test']}` | {r['behaviour']} | {r['files']} | {r['rows_read']} | {r['rows_loaded']} | "
        f"{r['rows_quarantined']} | {r['rows_lost']} |"
        for r in by_test.values()
    ]
    total = {
        k: sum(r[k] for r in by_test.values())
        for k in ("files", "rows_read", "rows_loaded", "rows_quarantined", "rows_lost")
    }
    lines.append(
        f"| **all** | | {total['files']} | {total['rows_read']} | {total['rows_loaded']} | "
        f"{total['rows_quarantined']} | {total['rows_lost']} |"
    )
    return "\n".join(lines)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the controller (or a run without xdist) starts afresh
        for old in PARTS.glob("*.json") if PARTS.exists() else []:
            old.unlink()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if FIGURES:
        PARTS.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (PARTS / f"{worker}.json").write_text(json.dumps(FIGURES, ensure_ascii=False), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = [
        f
        for part in sorted(PARTS.glob("*.json"))
        if PARTS.exists()
        for f in json.loads(part.read_text(encoding="utf-8"))
    ]
    if not figures:
        return
    table = figures_table(figures)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(table + "\n", encoding="utf-8")
    terminalreporter.write_sep("-", f"fault figures (also in {OUTPUT.relative_to(REPO)})")
    terminalreporter.write_line(table)
