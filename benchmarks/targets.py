"""The speed and memory targets of issue #20, declared once, and how a run's figures meet them.

The harness (benchmarks/run.py) reduces each scale's run to :class:`Figures` and writes :func:`assess`'s rows
beside its table, in the results file (``.md`` and the ``.json`` ``details``); docs/performance.md shows them
per scale (benchmarks/results.py). A target applies at the scales it names; at other scales it is not
assessed, and a scale that was not run has no row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    """One scale's measured run, as the targets read it."""

    scale: str
    rows_in: int
    full_refresh_s: float
    ingest_s: float
    dbt_build_s: float
    checks_s: float  # the GX stages
    publish_s: float
    startup_s: float  # start-up and the rest
    incremental_s: float
    nothing_new_s: float
    minimal_floor_s: float
    minimal_floor_marts: str  # "10 of 17": what the minimal floor computes (its time covers those)
    pandas_s: float
    pandas_marts: str
    peak_rss_gib: float
    endpoint_p95_ms: float


@dataclass(frozen=True)
class Target:
    what: str
    limit: float
    unit: str
    at_least: bool  # the figure must be at least the limit (a rate) rather than at most (a time)
    scales: tuple[str, ...]
    figure: Callable[[Figures], float]
    note: Callable[[Figures], str] = lambda f: ""


TARGETS: tuple[Target, ...] = (
    Target("full refresh", 30, "s", False, ("M",), lambda f: f.full_refresh_s),
    Target("full refresh", 100, "s", False, ("L",), lambda f: f.full_refresh_s),
    Target(
        "one new month of vacancies, ÷ the full refresh",
        10,
        "%",
        False,
        ("M", "L"),
        lambda f: 100 * f.incremental_s / f.full_refresh_s,
    ),
    Target("refresh with nothing new", 1, "s", False, ("S", "M", "L"), lambda f: f.nothing_new_s),
    Target(
        "start-up, checks and publication together",
        10,
        "s",
        False,
        ("S", "M", "L"),
        lambda f: f.startup_s + f.checks_s + f.publish_s,
        lambda f: f"start-up {f.startup_s:.1f} s, checks {f.checks_s:.1f} s, publication {f.publish_s:.1f} s",
    ),
    Target(
        "dbt build (models and tests), × the minimal floor",
        2,
        "×",
        False,
        ("M", "L"),
        lambda f: f.dbt_build_s / f.minimal_floor_s,
        lambda f: f"the minimal floor computes {f.minimal_floor_marts} marts",
    ),
    Target(
        "transformation (dbt build) faster than pandas, ×",
        2,
        "×",
        True,
        ("M", "L"),
        lambda f: f.pandas_s / f.dbt_build_s,
        lambda f: f"pandas computes {f.pandas_marts} marts",
    ),
    Target("ingest, rows a second", 1_000_000, "rows/s", True, ("L",), lambda f: f.rows_in / f.ingest_s),
    Target("peak memory of the full refresh", 6, "GiB", False, ("L",), lambda f: f.peak_rss_gib),
    Target("SQL endpoint p95", 100, "ms", False, ("M", "L"), lambda f: f.endpoint_p95_ms),
)


UNITS = {"s": "{:.1f} s", "%": "{:.0f}%", "×": "{:.2f}×", "GiB": "{:.2f} GiB", "ms": "{:.0f} ms"}
UNITS["rows/s"] = "{:,.0f} rows/s"


def _shown(value: float, unit: str) -> str:
    return UNITS[unit].format(value)


def assess(figures: Figures) -> list[dict[str, str]]:
    """The targets that apply at the run's scale: what, limit, measured, met or missed, and a note."""
    rows = []
    for t in TARGETS:
        if figures.scale not in t.scales:
            continue
        value = t.figure(figures)
        met = value >= t.limit if t.at_least else value <= t.limit
        rows.append(
            {
                "scale": figures.scale,
                "target": t.what,
                "limit": ("≥ " if t.at_least else "≤ ") + _shown(t.limit, t.unit),
                "measured": _shown(value, t.unit),
                "status": "met" if met else "**missed**",
                "note": t.note(figures),
            }
        )
    return rows


def table(rows: list[dict[str, str]]) -> str:
    """The assessed targets as a Markdown table."""
    lines = ["| scale | target | limit | measured | status | note |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {r['scale']} | {r['target']} | {r['limit']} | {r['measured']} | {r['status']} | {r['note']} |"
        for r in rows
    ]
    return "\n".join(lines)
