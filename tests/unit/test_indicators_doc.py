"""docs/indicators.md's table of official definitions and ours names every published indicator (issue #16: for
every indicator, its official or industry source, faithful or variant, and how it differs)."""

from __future__ import annotations

import re
from pathlib import Path

from transformation.marts import published

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"
# a published column is an indicator when its name says it is a rate, ratio, index, share or score
INDICATOR = re.compile(r"(_rate|_ratio|_index|_share|_per_graduate|_per_vacancy|_score)$")


def _official_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Official definitions and ours")
    return text[start : text.index("\n## ", start + 1)]


def test_every_published_indicator_is_in_the_official_vs_ours_table() -> None:
    rows = [line for line in _official_table().splitlines() if line.startswith("| ") and "---" not in line]
    named = {name for line in rows for name in re.findall(r"`([a-z_]+)`", line.split(" | ")[0])}
    indicators = {c.name for d in published() for c in d.columns if INDICATOR.search(c.name)}
    assert indicators - named == set(), "published indicators missing from docs/indicators.md's table"
    # every row states the source, what we compute, and whether it is faithful
    assert all(len(line.strip().strip("|").split(" | ")) == 4 for line in rows[1:]), rows
