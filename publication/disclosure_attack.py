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

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from publication import disclosure_lp
from publication.disclosure import (
    PROTECTION_WIDTH,
    MartPolicy,
    cell_frame,
    linked_system,
    policies,
    rank_rows,
    relation_terms,
)
from transformation.marts import SUPPRESSED_COLUMNS


@dataclass(frozen=True)
class Attack:
    intervals: pl.DataFrame  # per masked cell: table, row_id, column, lower, upper, exact flags, width
    seconds: float

    def summary(self, width: float = PROTECTION_WIDTH) -> dict[str, int | float]:
        iv = self.intervals
        return {
            "masked_cells": iv.height,
            "exact": iv.filter(pl.col("width") < 0.5).height,
            "narrower_than_protection": iv.filter(pl.col("width") < width - disclosure_lp.TOLERANCE).height,
            "protection_width": width,
            "seconds": round(self.seconds, 2),
        }


def read_release(path: Path, marts: tuple[MartPolicy, ...]) -> dict[str, pl.DataFrame]:
    """Every published mart of the release, with ``row_id`` (DuckDB's rowid)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        return {
            p.table: con.execute(f"select rowid as row_id, * from main.{p.table}").pl()
            for p in marts
            if p.table in present
        }
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


def rate_terms(
    frames: dict[str, pl.DataFrame], marts: tuple[MartPolicy, ...], masked: pl.DataFrame
) -> pl.DataFrame:
    """A published rate ``r = numerator / denominator`` whose numerator or denominator is masked:
    ``numerator − r · denominator = 0`` (rates declared with exactly two counts, numerator first)."""
    parts = []
    for p in marts:
        frame = frames[p.table]
        hidden = masked.filter(pl.col("table") == p.table)
        for rate, deps in p.rates.items():
            if len(deps) != 2 or not all(d in p.counts for d in deps):
                continue
            rows = frame.filter(pl.col(rate).is_not_null()).select(
                pl.col("row_id").cast(pl.Int64), pl.col(rate).cast(pl.Float64).alias("r")
            )
            touched = hidden.filter(pl.col("column").is_in(list(deps))).select("row_id").unique()
            rows = rows.join(touched, on="row_id")
            for column, coef in ((deps[0], pl.lit(1.0)), (deps[1], -pl.col("r"))):
                parts.append(
                    rows.select(
                        pl.format("rate:{}:{}:{}", pl.lit(p.table), "row_id", pl.lit(rate)).alias("relation"),
                        pl.lit(p.table).alias("table"),
                        "row_id",
                        pl.lit(column).alias("column"),
                        coef.alias("coef"),
                    )
                )
    return pl.concat(parts) if parts else pl.DataFrame()


def system_of(
    frames: dict[str, pl.DataFrame],
    marts: tuple[MartPolicy, ...],
    masked: pl.DataFrame,
    *,
    min_masked: float,
    with_rates: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Cells (with the adversary's bounds), terms and rows of the LP for ``frames`` masked as ``masked``."""
    marts = tuple(p for p in marts if p.table in frames)
    cells = (
        cell_frame(frames, marts)
        .join(masked.with_columns(_m=pl.lit(True)), on=["table", "row_id", "column"], how="left")
        .with_columns(
            masked=pl.col("_m").fill_null(False),
            lower=pl.when("exists").then(1.0).otherwise(min_masked),
            upper=pl.lit(float("inf")),
        )
        .drop("_m")
    )
    terms = [relation_terms(frames, marts)]
    if with_rates:
        rates = rate_terms(frames, marts, masked)
        if not rates.is_empty():
            terms.append(rates)
    inequalities = []
    for p in marts:
        if p.ranks is None:
            continue
        hidden_rows = masked.filter((pl.col("table") == p.table) & (pl.col("column") == p.ranks.denominator))
        t, b = rank_rows(frames[p.table], p, hidden_rows["row_id"])
        terms.append(t)
        inequalities.append(b)
    lp_terms, lp_rows = linked_system(
        cells, pl.concat(terms), pl.concat(inequalities) if inequalities else None
    )
    return cells, lp_terms, lp_rows


def attack(
    frames: dict[str, pl.DataFrame],
    marts: tuple[MartPolicy, ...],
    masked: pl.DataFrame,
    *,
    min_masked: float = 0.0,
    width: float | None = PROTECTION_WIDTH,
) -> Attack:
    """Intervals of every masked cell. With ``width``, a cell is bounded only until it is known to be at
    least that wide (its interval is then an inner bound); ``width=None`` computes every interval."""
    started = time.perf_counter()
    cells, terms, rows = system_of(frames, marts, masked, min_masked=min_masked)
    cells = cells.with_columns(value=pl.when("masked").then(None).otherwise("value"))
    found = disclosure_lp.intervals(cells, terms, rows, width=width)
    intervals = (
        found.join(cells.select("cell", "table", "row_id", "column"), on="cell")
        .with_columns(width=pl.col("upper") - pl.col("lower"))
        .sort("cell")
    )
    return Attack(intervals, time.perf_counter() - started)


def attack_release(
    database: Path, *, min_masked: float = 0.0, width: float | None = PROTECTION_WIDTH, manifest: Path | None = None
) -> Attack:
    """:func:`attack` on a published release (``releases/<id>/warehouse.duckdb`` or its folder)."""
    path = Path(database)
    if path.is_dir():
        path = path / "warehouse.duckdb"
    marts = policies(manifest)
    frames = read_release(path, marts)
    return attack(frames, marts, masked_cells(frames), min_masked=min_masked, width=width)
