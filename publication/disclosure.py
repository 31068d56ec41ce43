"""Small-cell suppression of the published marts (statistical disclosure control).

The build database keeps exact figures (internal, for authorised users). When a release candidate is
staged, each published mart goes through :func:`suppress`:

1. **Primary suppression**: a count of persons (graduates, hires, enrolled students) with
   ``0 < value < k`` is masked. Zero is not masked (it discloses nothing about a person).
2. **Secondary suppression**: a masked cell must not be recoverable from totals. Every additive
   relation published in the same table (a province row = the sum of its prefecture rows; a 门类 =
   the sum of its 大类; ``employed`` = in province + outside + unknown) must hold either no masked
   member or at least two. While some relation holds exactly one, its smallest unmasked non-zero
   member is masked too (zeros only when nothing else is left; among equal values, the first in key
   order). Masks only grow, so this stops. The masks depend only on the figures, not on the order of the
   rows in the table (the DuckDB and the Spark build publish the same cells).
3. **Rates** computed from a masked count are masked (``demand_supply_ratio`` when
   ``graduates_supplied`` is masked, and so on), so a rate cannot be turned back into the count.
4. **Withheld**: a rank, level or reason decided from counts (``shortage_rank``, ``warning_level``, …) is
   withheld when any count it was decided from is masked: a level says on which side of a threshold the
   masked figure lies, a rank where it sits among the published ones.

A masked value is NULL in the published table and its column is listed in ``suppressed_columns``
(comma-separated, in column order; ``''`` when nothing in the row was masked).

Not covered: relations *between* published tables (e.g. the sum over schools in
``mart_school_scorecard`` against a region's total in ``mart_talent_outflow``) and interval
(bounds) attacks on pairs of masked cells; see docs/reliability.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from transformation.marts import SUPPRESSED_COLUMNS, MartDeclaration, published_marts


@dataclass(frozen=True)
class Hierarchy:
    """Rows at ``child_level`` add up to the row at ``parent_level`` whose code is ``parent_of(child)``."""

    name: str
    level_column: str
    code_column: str
    child_level: str
    parent_level: str
    parent_of: Callable[[], pl.Expr]


@dataclass(frozen=True)
class MartPolicy:
    table: str
    key: tuple[str, ...]
    counts: tuple[str, ...]  # counts of persons: primary suppression
    rates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # derived column -> counts it reveals
    withheld: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rank/level -> counts it comes from
    additive: tuple[tuple[str, tuple[str, ...]], ...] = ()  # within a row: total = sum(parts)
    hierarchies: tuple[Hierarchy, ...] = ()


def _province_of_region() -> pl.Expr:
    return pl.col("region_code").str.slice(0, 2) + "0000"


REGION = Hierarchy(
    "prefecture→province", "region_level", "region_code", "prefecture", "province", _province_of_region
)
INDUSTRY = Hierarchy(
    "division→section",
    "industry_level",
    "industry_code",
    "division",
    "section",
    lambda: pl.col("section_code"),
)
OCCUPATION = Hierarchy(
    "sub_major_group→major_group",
    "occupation_level",
    "occupation_code",
    "sub_major_group",
    "major_group",
    lambda: pl.col("occupation_code").str.split("-").list.first(),
)

# the hierarchies a mart's declaration may name (config.meta.disclosure.hierarchies)
HIERARCHIES: dict[str, Hierarchy] = {"region": REGION, "industry": INDUSTRY, "occupation": OCCUPATION}


def policy_of(declaration: MartDeclaration) -> MartPolicy:
    """The disclosure policy a published mart declares in its dbt YAML (``config.meta.disclosure``)."""
    d = declaration.disclosure
    if d is None:
        raise ValueError(f"{declaration.name} declares no disclosure policy (config.meta.disclosure)")
    unknown = [h for h in d.hierarchies if h not in HIERARCHIES]
    if unknown:
        raise ValueError(
            f"{declaration.name}: config.meta.disclosure.hierarchies names {unknown}; "
            f"known: {sorted(HIERARCHIES)}"
        )
    return MartPolicy(
        declaration.name,
        declaration.key,
        counts=d.counts,
        rates=dict(d.rates),
        withheld=dict(d.withheld),
        additive=d.additive,
        hierarchies=tuple(HIERARCHIES[h] for h in d.hierarchies),
    )


def policies(manifest: Path | None = None) -> tuple[MartPolicy, ...]:
    """The policies of every published mart, from dbt's manifest (transformation/marts.py)."""
    return tuple(policy_of(d) for d in published_marts(manifest))


def policy_for(table: str, manifest: Path | None = None) -> MartPolicy:
    found = {p.table: p for p in policies(manifest)}
    if table not in found:
        raise KeyError(f"{table} is not a published mart (config.meta.published in its dbt YAML)")
    return found[table]


def _cells(frame: pl.DataFrame, policy: MartPolicy, k: float) -> pl.DataFrame:
    """One row per (row_id, column) count cell, with its value and primary mask."""
    return (
        frame.select("row_id", *[pl.col(c).cast(pl.Float64) for c in policy.counts])
        .unpivot(index="row_id", variable_name="column", value_name="value")
        .with_columns(masked=pl.col("value").is_not_null() & (pl.col("value") > 0) & (pl.col("value") < k))
    )


def relations(frame: pl.DataFrame, policy: MartPolicy) -> pl.DataFrame:
    """Every additive relation as its members: ``relation`` (id), ``row_id``, ``column``, ``is_total``."""
    parts: list[pl.DataFrame] = []
    for total, components in policy.additive:
        members = [(total, True), *[(c, False) for c in components]]
        parts.append(
            pl.concat(
                [
                    frame.select(
                        pl.format("row:{}:{}", "row_id", pl.lit(total)).alias("relation"),
                        "row_id",
                        pl.lit(col).alias("column"),
                        pl.lit(is_total).alias("is_total"),
                    )
                    for col, is_total in members
                ]
            )
        )
    for h in policy.hierarchies:
        others = [c for c in policy.key if c not in (h.level_column, h.code_column)]
        children = frame.filter(pl.col(h.level_column) == h.child_level).select(
            "row_id", *others, h.parent_of().alias("_parent"), pl.lit(False).alias("is_total")
        )
        parents = frame.filter(pl.col(h.level_column) == h.parent_level).select(
            "row_id", *others, pl.col(h.code_column).alias("_parent"), pl.lit(True).alias("is_total")
        )
        members = pl.concat([children, parents]).with_columns(
            pl.concat_str(
                [pl.lit(h.name), *[pl.col(c).cast(pl.String).fill_null("∅") for c in others], "_parent"],
                separator=":",
            ).alias("_group")
        )
        complete = (
            members.group_by("_group")
            .agg(pl.col("is_total").sum().alias("_totals"))
            .filter(pl.col("_totals") == 1)
        )  # a relation needs its published total
        members = members.join(complete.select("_group"), on="_group")
        for col in policy.counts:
            parts.append(
                members.select(
                    (pl.col("_group") + ":" + col).alias("relation"),
                    "row_id",
                    pl.lit(col).alias("column"),
                    "is_total",
                )
            )
    if not parts:
        return pl.DataFrame(
            schema={"relation": pl.String, "row_id": pl.Int64, "column": pl.String, "is_total": pl.Boolean}
        )
    return pl.concat(parts).with_columns(pl.col("row_id").cast(pl.Int64))


def unsafe_relations(cells: pl.DataFrame, rels: pl.DataFrame) -> pl.DataFrame:
    """Relations with exactly one masked member (that member could be recovered from the others)."""
    return (
        rels.join(cells.select("row_id", "column", "masked"), on=["row_id", "column"])
        .group_by("relation")
        .agg(pl.col("masked").sum().alias("n_masked"), pl.len().alias("n"))
        .filter((pl.col("n_masked") == 1) & (pl.col("n") > 1))
    )


def mask_cells(frame: pl.DataFrame, policy: MartPolicy, k: float) -> pl.DataFrame:
    """Cells to mask: ``row_id``, ``column``, ``reason`` (primary, secondary, rate, withheld)."""
    cells = _cells(frame, policy, k).with_columns(
        reason=pl.when(pl.col("masked")).then(pl.lit("primary")).otherwise(pl.lit(None, pl.String))
    )
    rels = relations(frame, policy)
    # ties between equally small candidates are broken by the row's key, not by where the row happens to
    # sit in the table: the same figures give the same masks whichever engine or thread order built them
    key_order = (
        frame.select("row_id", *policy.key)
        .sort(list(policy.key), nulls_last=True)
        .select(pl.col("row_id").cast(pl.Int64), pl.int_range(pl.len()).alias("key_order"))
    )
    while not rels.is_empty():
        unsafe = unsafe_relations(cells, rels)
        if unsafe.is_empty():
            break
        candidates = (
            rels.join(unsafe.select("relation"), on="relation")
            .join(cells.filter(~pl.col("masked")), on=["row_id", "column"])
            .join(key_order, on="row_id")
            .sort(pl.col("value") == 0, "value", "key_order", "column")  # non-zero first, then smallest
            .group_by("relation", maintain_order=True)
            .first()
            .select("row_id", "column")
            .unique()
        )
        cells = cells.join(candidates.with_columns(_pick=pl.lit(True)), on=["row_id", "column"], how="left")
        cells = cells.with_columns(
            masked=pl.col("masked") | pl.col("_pick").fill_null(False),
            reason=pl.when(pl.col("_pick").fill_null(False)).then(pl.lit("secondary")).otherwise("reason"),
        ).drop("_pick")
    masked = cells.filter("masked").select("row_id", "column", "reason")
    derived = [(c, deps, "rate") for c, deps in policy.rates.items()]
    derived += [(c, deps, "withheld") for c, deps in policy.withheld.items()]
    derived_masks = [
        masked.filter(pl.col("column").is_in(list(deps)))
        .select("row_id")
        .unique()
        .with_columns(column=pl.lit(column), reason=pl.lit(reason))
        for column, deps, reason in derived
    ]
    return pl.concat([masked, *derived_masks]) if derived_masks else masked


def apply_to_database(
    con: duckdb.DuckDBPyConnection, k: float, marts: tuple[MartPolicy, ...] | None = None
) -> dict[str, dict[str, int]]:
    """Suppress every published mart in ``con`` (schema ``main``) in place; counts per table and reason.

    Masked cells are set to NULL with one ``UPDATE`` per table, so column types (the dbt contracts) stay.
    """
    summary: dict[str, dict[str, int]] = {}
    for policy in policies() if marts is None else marts:
        if not policy.counts:  # declares no count of persons (counts: []): nothing to mask
            summary[policy.table] = {
                "cells_primary": 0,
                "cells_secondary": 0,
                "cells_rate": 0,
                "rows_with_suppression": 0,
            }
            continue
        columns = sorted(
            {
                *policy.key,
                *policy.counts,
                *policy.rates,
                *[h.level_column for h in policy.hierarchies],
                *(["section_code"] if INDUSTRY in policy.hierarchies else []),
            }
        )
        frame = con.execute(f"select rowid as row_id, {', '.join(columns)} from main.{policy.table}").pl()
        masks = mask_cells(frame, policy, k)
        summary[policy.table] = {
            "cells_primary": 0,
            "cells_secondary": 0,
            "cells_rate": 0,
            "cells_withheld": 0,
            **{f"cells_{r}": n for r, n in masks.group_by("reason").len().iter_rows()},
            "rows_with_suppression": masks["row_id"].n_unique(),
        }
        if masks.is_empty():
            continue
        listed = masks.group_by("row_id").agg(pl.col("column").unique().alias("cols"))
        con.register("_masks", listed.to_arrow())
        hidden = sorted(set(masks["column"]))
        all_columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'main' and table_name = ? order by ordinal_position",
                [policy.table],
            ).fetchall()
        ]
        listing = " || ".join(  # columns in table order, comma-separated
            f"case when list_contains(m.cols, '{c}') then ',{c}' else '' end"
            for c in all_columns
            if c in hidden
        )
        sets = ", ".join(
            f"{c} = case when list_contains(m.cols, '{c}') then null else t.{c} end" for c in hidden
        )
        con.execute(
            f"update main.{policy.table} t set {sets}, {SUPPRESSED_COLUMNS} = ltrim({listing}, ',') "
            f"from _masks m where t.rowid = m.row_id"
        )
        con.unregister("_masks")
    return summary
