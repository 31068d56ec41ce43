"""The adversary of docs/disclosure.md: how much of what a release masks can be recovered from it?

Reads a published release (its DuckDB file) and the marts' declarations (dbt's manifest). Every masked
count of persons is an unknown: ≥ 0 (≥ 1 where the row's existence implies it, ``row_exists_when``;
≥ ``min_masked`` otherwise, 1 when the docs say zeros are never masked), integer where the column is.
Constraints: every relation the release exposes (:func:`publication.disclosure.relation_terms`: within
rows, city rows vs the province roll-up, 门类 vs 大类, the same graduates counted in several marts),
published rates × published or unknown denominators, and the published ranks of the shortage list
(:func:`publication.disclosure.rank_rows`). Then LP min and max per unknown
(:mod:`publication.disclosure_lp`).

``tw attack RELEASE`` (or ``make attack``) prints the summary; the e2e suite fails when a cell that
primary suppression protects comes out narrower than :data:`publication.disclosure.PROTECTION_WIDTH`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from publication import disclosure_lp
from publication.disclosure import PROTECTION_WIDTH, MartPolicy, PublishedMarts, exposed, policies, read_marts
from transformation.marts import SUPPRESSED_COLUMNS


@dataclass(frozen=True)
class Attack:
    intervals: pl.DataFrame  # per masked cell: table, row_id, column, lower, upper, exact flags, width
    seconds: float
    k: float

    def summary(self, width: float = PROTECTION_WIDTH) -> dict[str, int | float]:
        iv = self.intervals
        return {
            "masked_cells": iv.height,
            "exact": iv.filter(pl.col("width") < 0.5).height,
            "narrower_than_protection": iv.filter(pl.col("width") < width - disclosure_lp.TOLERANCE).height,
            "exposed": iv.filter(exposed(self.k, width)).height,
            "protection_width": width,
            "suppression_k": self.k,
            "seconds": round(self.seconds, 2),
        }


def read_release(path: Path, marts: tuple[MartPolicy, ...]) -> PublishedMarts:
    """Every published mart of the release, with ``row_id`` (:func:`publication.disclosure.read_marts`)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        return read_marts(con, tuple(p for p in marts if p.table in present))
    finally:
        con.close()


def masked_cells(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """``table``, ``row_id``, ``column`` of every cell a release lists in ``suppressed_columns``."""
    parts = [
        frame.select(
            pl.lit(table).alias("table"),
            pl.col("row_id").cast(pl.Int64),
            pl.col(SUPPRESSED_COLUMNS).str.split(",").alias("column"),
        )
        .explode("column")
        .filter(pl.col("column").is_not_null() & (pl.col("column") != ""))
        for table, frame in frames.items()
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema={"table": pl.String, "row_id": pl.Int64})


def attack(
    marts: PublishedMarts,
    masked: pl.DataFrame,
    *,
    k: float = 5.0,
    min_masked: float = 0.0,
    width: float | None = PROTECTION_WIDTH,
) -> Attack:
    """Intervals of every masked cell. With ``width``, a cell is bounded only until it is known to be at
    least that wide (its interval is then an inner bound); ``width=None`` computes every interval."""
    started = time.perf_counter()
    cells, terms, rows = marts.system(masked, min_masked=min_masked)
    cells = cells.with_columns(value=pl.when("masked").then(None).otherwise("value"))
    found = disclosure_lp.intervals(cells, terms, rows, width=width)
    intervals = (
        found.join(cells.select("cell", "table", "row_id", "column"), on="cell")
        .with_columns(width=pl.col("upper") - pl.col("lower"))
        .sort("cell")
    )
    return Attack(intervals, time.perf_counter() - started, k)


def attack_release(
    database: Path,
    *,
    min_masked: float = 0.0,
    width: float | None = PROTECTION_WIDTH,
    manifest: Path | None = None,
) -> Attack:
    """:func:`attack` on a published release (``releases/<id>/warehouse.duckdb`` or its folder); k is the
    release's (``disclosure.json``)."""
    path = Path(database)
    if path.is_dir():
        path = path / "warehouse.duckdb"
    record = path.parent / "disclosure.json"
    k = (
        float(json.loads(record.read_text(encoding="utf-8")).get("suppression_k", 5))
        if record.exists()
        else 5.0
    )
    marts = read_release(path, policies(manifest))
    return attack(marts, masked_cells(marts.frames), k=k, min_masked=min_masked, width=width)
