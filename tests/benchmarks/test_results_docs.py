"""Docs cite measured runs from results files: generated sections current, no history growing in a doc."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import results


@pytest.mark.parametrize("doc", list(results.DOCS), ids=lambda p: p.name)
def test_generated_figures_are_current(doc: Path) -> None:
    assert doc.read_text(encoding="utf-8") == results.render(doc, results.DOCS[doc]), (
        f"{doc} is stale: run `python -m benchmarks.results`"
    )


@pytest.mark.parametrize("doc", list(results.DOCS), ids=lambda p: p.name)
def test_docs_hold_no_dated_run_tables(doc: Path) -> None:
    """The harness once appended a dated table per run ('### 2026-11-25 08:55 UTC, …'); none may remain."""
    assert not [line for line in doc.read_text(encoding="utf-8").splitlines() if line.startswith("### 20")]


def test_a_new_run_replaces_the_figures_it_supersedes(tmp_path: Path) -> None:
    """Two runs into a results folder: the section shows the newer run of each scale, once, with its link."""
    doc = tmp_path / "docs" / "perf.md"
    doc.parent.mkdir()
    doc.write_text(f"# Perf\n\n{results.BEGIN}\nold\n{results.END}\n\nanalysis\n", encoding="utf-8")
    folder = tmp_path / "results"
    table = "| scale | what | wall s |\n|---|---|---|\n| {s} | **full refresh** | {t} |"
    machine = results.machine()
    both = table.format(s="S", t="9.0") + "\n| M | **full refresh** | 9.0 |"
    first = results.write(
        "refresh", ["S", "M"], both, {}, datetime(2026, 1, 1, 8, 0, tzinfo=UTC), machine, folder
    )
    second = results.write(
        "refresh",
        ["M"],
        table.format(s="M", t="5.0"),
        {},
        datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
        machine,
        folder,
    )
    assert second.name == "2026-01-02T0930Z-M.md" and second.with_suffix(".json").exists()
    assert json.loads(second.with_suffix(".json").read_text())["rows"] == [
        {"scale": "M", "what": "**full refresh**", "wall s": "5.0"}
    ]
    text = results.render(doc, "refresh", folder)
    assert "old" not in text and text.endswith(f"{results.END}\n\nanalysis\n")
    assert f"[`{first.name}`](../results/{first.name})" in text  # S: still the first run
    assert f"[`{second.name}`](../results/{second.name})" in text  # M: the second run replaced the first
    assert text.count("| M | **full refresh** |") == 1 and "| M | **full refresh** | 5.0 |" in text


def test_a_results_files_rows_are_its_first_table_only() -> None:
    """The harness writes the targets as a second table under its figures: the JSON ``rows`` (and the
    docs' figures, generated from them) hold the first table's rows alone."""
    from benchmarks.results import parse_table

    markdown = (
        "| scale | what | wall s |\n|---|---|---|\n| M | **full refresh** | 196.7 |\n\nTargets:\n\n"
        "| scale | target | limit |\n|---|---|---|\n| M | full refresh | ≤ 30.0 s |\n"
    )
    assert parse_table(markdown) == [{"scale": "M", "what": "**full refresh**", "wall s": "196.7"}]
