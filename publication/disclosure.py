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
3. **Rates** computed from a masked count are masked (``vacancies_per_graduate`` when
   ``graduates_supplied`` is masked, and so on), so a rate cannot be turned back into the count.
4. **Withheld**: a rank, level or reason decided from counts (``shortage_rank``, ``warning_level``, …) is
   withheld when any count it was decided from is masked: a level says on which side of a threshold the
   masked figure lies, a rank where it sits among the published ones.

A masked value is NULL in the published table and its column is listed in ``suppressed_columns``
(comma-separated, in column order; ``''`` when nothing in the row was masked).

Then, across tables, the linked protection (:func:`protect_linked`): the relations *between* published
tables (``linked`` in the marts' declarations) and the intervals an adversary's LP finds
(docs/disclosure.md).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from transformation.marts import SUPPRESSED_COLUMNS, Link, MartDeclaration, Ranking, Side, published_marts

if TYPE_CHECKING:  # the LP audit (numpy, scipy, HiGHS) is imported when a protection runs, not by
    # `tw run` with nothing new, which reads publication.release
    import numpy as np

    from publication.disclosure_lp import AuditMemo

log = logging.getLogger(__name__)

# The protection level (docs/disclosure.md): the adversary's feasible interval of every cell that primary
# suppression masks must be at least this many persons wide. Declared here only; the attack reads it.
PROTECTION_WIDTH = 3.0
# bounds on the protector's search for cells to mask, per exposed cell and round (memory: a relation of a
# flows matrix has hundreds of members; a round that picks fewer only leaves more to the next round)
NEIGHBOUR_RELATIONS_MAX = 50  # relations, and masked cells passed through, per exposed cell and hop
PROOF_CANDIDATES_MAX = 20  # published members of a proof weighed
PROOF_BATCH = 256  # pinned cells whose proofs are weighed at once
ROUNDING = 5e-5
# how much narrower than PROTECTION_WIDTH an interval may come out and still count as wide: a decimal count
# (weighted supply) is published rounded (ROUNDING per term), so its relations hold only to that rounding and
# its LP interval can fall short of 3 by a few ten-thousandths of a person
WIDTH_SLACK = 0.01


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
    row_exists_when: tuple[str, ...] = ()  # counts >= 1 in every row (a row exists only then)
    not_rolled_up: tuple[str, ...] = ()  # counts a hierarchy's parent row does not sum
    linked: tuple[Link, ...] = ()  # the same persons in another mart: equal group sums
    ranks: tuple[Ranking, ...] = ()  # published rankings by a score of a count (one per rule of the table)


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
        row_exists_when=d.row_exists_when,
        not_rolled_up=d.not_rolled_up,
        linked=d.linked,
        ranks=d.ranks,
    )


def policies(manifest: Path | None = None) -> tuple[MartPolicy, ...]:
    """The policies of every published mart, from dbt's manifest (transformation/marts.py)."""
    return tuple(policy_of(d) for d in published_marts(manifest))


def policy_for(table: str, manifest: Path | None = None) -> MartPolicy:
    found = {p.table: p for p in policies(manifest)}
    if table not in found:
        raise KeyError(f"{table} is not a published mart (config.meta.published in its dbt YAML)")
    return found[table]


def _primary(k: float) -> pl.Expr:
    """Whether a count cell (``value``) is masked for itself: above 0 and below ``k``."""
    value = pl.col("value")
    return value.is_not_null() & (value > 0) & (value < k)


def _count_cells(frame: pl.DataFrame, policy: MartPolicy) -> pl.DataFrame:
    """One row per (row_id, column) count cell, with its value."""
    return frame.select("row_id", *[pl.col(c).cast(pl.Float64) for c in policy.counts]).unpivot(
        index="row_id", variable_name="column", value_name="value"
    )


def relations(frame: pl.DataFrame, policy: MartPolicy) -> pl.DataFrame:
    """Every additive relation as its members: ``relation`` (id), ``row_id``, ``column``, ``is_total``."""
    parts: list[pl.DataFrame] = []
    for total, components in policy.additive:
        in_row = [(total, True), *[(c, False) for c in components]]
        parts.append(
            pl.concat(
                [
                    frame.select(
                        pl.format("row:{}:{}", "row_id", pl.lit(total)).alias("relation"),
                        "row_id",
                        pl.lit(col).alias("column"),
                        pl.lit(is_total).alias("is_total"),
                    )
                    for col, is_total in in_row
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
        for col in (c for c in policy.counts if c not in policy.not_rolled_up):
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


@dataclass(frozen=True)
class TableRelations:
    """One table's count cells and additive relations as arrays, for :func:`mask_cells`' passes: what it
    derives from the figures alone (not from k nor from what is masked), so the linked protection, which
    masks within a table again after each round, derives it once per table (:attr:`PublishedMarts.within`).
    """

    cells: pl.DataFrame  # the count cells (:func:`_count_cells`): row_id, column, value
    relation: np.ndarray  # per member of a relation: the relation's number
    member: np.ndarray  # per member: its cell's position in ``cells``
    rank: np.ndarray  # per cell: its place in the order in which a relation's unmasked members are masked

    @staticmethod
    def of(frame: pl.DataFrame, policy: MartPolicy) -> TableRelations:
        import numpy as np

        cells = _count_cells(frame, policy).with_columns(pl.int_range(pl.len()).alias("_cell"))
        members = relations(frame, policy).join(
            cells.select("row_id", "column", "_cell"), on=["row_id", "column"]
        )
        # ties between equally small candidates are broken by the row's key, not by where the row happens to
        # sit in the table: the same figures give the same masks whichever engine or thread order built them
        key_order = (
            frame.select("row_id", *policy.key)
            .sort(list(policy.key), nulls_last=True)
            .select(pl.col("row_id").cast(pl.Int64), pl.int_range(pl.len()).alias("key_order"))
        )
        # non-zero first, then the smallest, then key order and column (as polars sorts: a null first)
        taken_in = (
            cells.select("_cell", pl.col("row_id").cast(pl.Int64), "column", "value")
            .join(key_order, on="row_id", how="left")
            .sort(pl.col("value") == 0, "value", "key_order", "column")
            .get_column("_cell")
            .to_numpy()
        )
        rank = np.empty(cells.height, dtype=np.int64)
        rank[taken_in] = np.arange(cells.height)
        return TableRelations(
            cells=cells.drop("_cell"),
            # any numbering of the relations does (a name is only told apart from the others), from 0 on
            relation=np.unique(
                members["relation"].cast(pl.Categorical).to_physical().to_numpy(), return_inverse=True
            )[1].astype(np.int64),
            member=members["_cell"].cast(pl.Int64).to_numpy(),
            rank=rank,
        )


def mask_cells(
    frame: pl.DataFrame,
    policy: MartPolicy,
    k: float,
    already: pl.DataFrame | None = None,
    table: TableRelations | None = None,
) -> pl.DataFrame:
    """Cells to mask: ``row_id``, ``column``, ``reason`` (primary, secondary, rate, withheld). ``already``:
    cells (``row_id``, ``column``, ``reason``) masked for another reason (the linked protection), kept.
    ``table``: :meth:`TableRelations.of` the frame and policy, when the caller has it."""
    import numpy as np

    table = table or TableRelations.of(frame, policy)
    cells = table.cells.with_columns(
        masked=_primary(k),
        reason=pl.when(_primary(k)).then(pl.lit("primary")).otherwise(pl.lit(None, pl.String)),
    )
    if already is not None and not already.is_empty():
        given = already.select(
            pl.col("row_id").cast(pl.Int64), "column", pl.col("reason").alias("_given")
        ).unique(["row_id", "column"])
        cells = (
            cells.join(given, on=["row_id", "column"], how="left", maintain_order="left")
            .with_columns(
                masked=pl.col("masked") | pl.col("_given").is_not_null(),
                reason=pl.coalesce("reason", "_given"),
            )
            .drop("_given")
        )
    relation, member, rank = table.relation, table.member, table.rank
    is_masked = cells["masked"].to_numpy().copy()
    secondary = np.zeros(cells.height, dtype=bool)
    n_relations = int(relation.max()) + 1 if len(relation) else 0
    # a relation is unsafe with exactly one masked member; each pass masks the first unmasked member of
    # every unsafe relation, and masks only grow, so a relation can become unsafe only through a cell the
    # last pass masked: after the first pass only the relations of those cells are looked at again
    open_member = np.ones(len(relation), dtype=bool)
    while open_member.any():
        r, c = relation[open_member], member[open_member]
        size = np.bincount(r, minlength=n_relations)
        n_masked = np.bincount(r, weights=is_masked[c], minlength=n_relations)
        unsafe = (n_masked == 1) & (size > 1)
        if not unsafe.any():
            break
        candidate = unsafe[r] & ~is_masked[c]
        r, c = r[candidate], c[candidate]
        by_relation = np.lexsort((rank[c], r))
        r, c = r[by_relation], c[by_relation]
        first = np.ones(len(r), dtype=bool)
        first[1:] = r[1:] != r[:-1]
        picks = np.unique(c[first])
        is_masked[picks] = True
        secondary[picks] = True
        touched = np.zeros(n_relations, dtype=bool)
        touched[relation[np.isin(member, picks)]] = True
        open_member = touched[relation]
    cells = cells.with_columns(
        masked=pl.Series(is_masked),
        reason=pl.when(pl.Series(secondary)).then(pl.lit("secondary")).otherwise("reason"),
    )
    masked = cells.filter("masked").select("row_id", "column", "reason")
    return pl.concat([masked, rate_masks(masked, policy)])


def exposed(k: float, width: float = PROTECTION_WIDTH) -> pl.Expr:
    """An interval (``lower``, ``upper``) that gives a small count away: narrower than ``width`` persons
    while it may hold a count in [1, k). A cell known to be 0, or known to be ≥ k, is not exposed."""
    return (
        (pl.col("upper") - pl.col("lower") < width - WIDTH_SLACK)
        & (pl.col("lower") < k - WIDTH_SLACK)
        & (pl.col("upper") >= 1 - WIDTH_SLACK)
    )


def count_masks(
    frame: pl.DataFrame,
    policy: MartPolicy,
    k: float,
    already: pl.DataFrame | None = None,
    table: TableRelations | None = None,
) -> pl.DataFrame:
    """The counts :func:`mask_cells` masks (primary and secondary), without the rates and withheld columns."""
    return mask_cells(frame, policy, k, already, table).filter(~pl.col("reason").is_in(["rate", "withheld"]))


def rate_masks(masked: pl.DataFrame, policy: MartPolicy) -> pl.DataFrame:
    """Every derived column of a row where one of the counts it comes from is masked: the rates (reason
    ``rate``) and the ranks, levels and reasons decided from them (``withheld``)."""
    derived = [(c, deps, "rate") for c, deps in policy.rates.items()]
    derived += [(c, deps, "withheld") for c, deps in policy.withheld.items()]
    parts = [
        masked.filter(pl.col("column").is_in(list(deps)))
        .select("row_id")
        .unique()
        .with_columns(column=pl.lit(column), reason=pl.lit(reason))
        for column, deps, reason in derived
    ]
    return pl.concat(parts) if parts else masked.clear()


def protect_linked(
    marts: PublishedMarts,
    masked: pl.DataFrame,
    k: float,
    width: float = PROTECTION_WIDTH,
    max_rounds: int = 60,
    workers: int = 1,
    memo: AuditMemo | None = None,
) -> pl.DataFrame:
    """Secondary suppression across every published relation (docs/disclosure.md): audit the masks with
    the adversary's LP (:meth:`PublishedMarts.system`, :mod:`publication.disclosure_lp`); while some
    masked cell is :func:`exposed` (every sensitive cell, ``0 < value < k``, narrower than ``width``, and
    any other whose narrow interval may hold a count under k), mask in each of its relations the smallest
    published member (non-zero first; if every member is masked already, one relation further out; more at
    once when a round made no progress; for a cell narrow again, its neighbours' relations too; for a cell
    the LP pinned, the published members of its proof, :func:`_published_in_proofs`); repeat. Returns the
    added cells (``table``, ``row_id``, ``column``, ``reason`` = ``linked``). A cell once wide stays wide
    (masks only grow, the polytope only widens), so each round bounds only the cells still exposed."""
    from publication import disclosure_lp

    added: list[pl.DataFrame] = []
    current = masked.select("table", "row_id", "column")
    pending: pl.Series | None = None
    stalled = 0  # rounds in a row that left as many cells narrow: open more neighbours at once
    times_narrow: dict[int, int] = {}  # cell → rounds it was found narrow
    last = -1
    for round_number in range(1, max_rounds + 1):
        cells, terms, rows = marts.system(current, min_masked=0.0, with_rates=False)
        if pending is None:
            # a cell whose true count is k + width or more is never exposed (a narrow interval around it
            # holds no count under k): it stays an unknown of the system but needs no bounds of its own
            pending = cells.filter(pl.col("masked") & (pl.col("value") < k + width))["cell"]
        started = time.perf_counter()
        proofs: dict[int, list[list[tuple[int, float]]]] = {}
        found = disclosure_lp.intervals(
            cells,
            terms,
            rows,
            targets=pending,
            width=width,
            witness=True,
            binding=proofs,
            workers=workers,
            memo=memo,
        )
        narrow = found.filter(exposed(k, width))
        log.info(
            "disclosure: round %d, %d masked cells audited in %.1f s, %d exposed",
            round_number,
            pending.len(),
            time.perf_counter() - started,
            narrow.height,
        )
        if log.isEnabledFor(logging.DEBUG) and not narrow.is_empty():
            log.debug("disclosure: exposed %s", narrow.join(cells, on="cell").head(8).to_dicts())
        if narrow.is_empty():
            return pl.concat(added) if added else masked.clear()
        stalled = stalled + 1 if last >= 0 and narrow.height >= last else 0
        last = narrow.height
        pending = narrow["cell"]
        # a cell the LP pinned: mask what its proof names; any other (or a proof with nothing published in it)
        # by its relations, and a cell narrow again after its own relations were opened, its neighbours'
        # relations too, one relation further out for each round it stayed narrow
        proven = _published_in_proofs(cells, terms, proofs, 1 + stalled)
        others = pending.filter(~pending.is_in(proven["origin"].to_list()))
        for c in others.to_list():
            times_narrow[c] = times_narrow.get(c, 0) + 1
        reach = pl.Series([min(times_narrow[c] - 1, 3) for c in others.to_list()], dtype=pl.Int64)
        picks = pl.concat(
            [proven.select("cell")]
            + [
                _neighbours_to_mask(cells, terms, others.filter(reach == r), 1 + stalled, reach=r)
                for r in reach.unique().to_list()
            ]
        ).unique()
        if picks.is_empty():
            raise RuntimeError(f"disclosure: {narrow.height} cells stay narrower than {width:g} persons")
        new = cells.join(picks, on="cell").select("table", "row_id", "column")
        new = pl.concat([new, _closed_within_tables(marts, k, current, new)])
        added.append(new.with_columns(reason=pl.lit("linked")))
        current = pl.concat([current, new])
        # next round: the cells still exposed, and the new masks (one of them may be narrow itself)
        pending = pl.concat([pending, cells.join(new, on=["table", "row_id", "column"])["cell"]]).unique()
    raise RuntimeError(f"disclosure: linked protection did not settle in {max_rounds} rounds")


def _published_in_proofs(
    cells: pl.DataFrame, terms: pl.DataFrame, proofs: dict[int, list[list[tuple[int, float]]]], per_proof: int
) -> pl.DataFrame:
    """Published cells (``cell``) to mask for the cells the LP pinned (``origin``): in each proof (the
    binding relations of one optimum, weighted by their duals: the combination of published relations
    that pins the cell), its ``per_proof`` smallest published members (non-zero first), those that would
    be the only masked member of another relation (pinned there at once) last. A cell pinned by the
    difference of two relations (a school's graduates minus its employed) is widened only by a member of
    that difference."""
    weights = [
        (origin, n, relation, dual)
        for origin, optima in proofs.items()
        for n, binding in enumerate(optima)
        for relation, dual in binding
    ]
    if not weights:
        return pl.DataFrame(schema={"origin": pl.Int64, "cell": pl.Int64})
    frame = pl.DataFrame(
        weights,
        schema={"origin": pl.Int64, "optimum": pl.Int64, "relation": pl.Int64, "dual": pl.Float64},
        orient="row",
    )
    state = cells.select("cell", "masked", "value")
    origins = frame["origin"].unique().sort()
    # per batch of pinned cells (a proof over a flows matrix names thousands of members): the smallest
    # candidates only; of those, one that would be the only masked member of another relation is pinned
    # there at once: last
    combined = pl.concat(
        [
            frame.filter(pl.col("origin").is_in(origins[i : i + PROOF_BATCH].to_list()))
            .join(terms.select("relation", "cell", "coef"), on="relation")
            .group_by("origin", "optimum", "cell")
            .agg((pl.col("dual") * pl.col("coef")).sum().alias("weight"))
            .filter(pl.col("weight").abs() > 1e-9)
            .join(state, on="cell")
            .filter(~pl.col("masked"))
            .sort(pl.col("value") == 0, "value", "cell")
            .group_by("origin", "optimum", maintain_order=True)
            .head(PROOF_CANDIDATES_MAX)
            for i in range(0, origins.len(), PROOF_BATCH)
        ]
    )
    # the relations of the candidates, with all their members (what pins a candidate is in those alone)
    touched = (
        terms.filter(pl.col("cell").is_in(combined["cell"].unique().implode())).select("relation").unique()
    )
    members = (
        terms.join(touched, on="relation", how="semi")
        .select("relation", "cell")
        .unique()
        .join(cells.select("cell", "masked"), on="cell")
    )
    closed = members.group_by("relation").agg(pl.col("masked").any().alias("open")).filter(~pl.col("open"))
    pinning = (
        combined.select("origin", "optimum", "cell")
        .join(members.select("relation", "cell"), on="cell")
        .join(closed.select("relation"), on="relation")
        .join(frame.select("origin", "optimum", "relation"), on=["origin", "optimum", "relation"], how="anti")
        .group_by("origin", "optimum", "cell")
        .len("pins")
    )
    combined = combined.join(pinning, on=["origin", "optimum", "cell"], how="left").with_columns(
        pl.col("pins").fill_null(0)
    )
    return (
        combined.sort(pl.col("pins") > 0, pl.col("value") == 0, "value", "cell")
        .group_by("origin", "optimum", maintain_order=True)
        .head(per_proof)
        .select("origin", "cell")
    )


def _closed_within_tables(
    marts: PublishedMarts, k: float, current: pl.DataFrame, new: pl.DataFrame
) -> pl.DataFrame:
    """The cells the per-table secondary rule adds once ``new`` is masked too (no relation of a table may
    keep exactly one masked member)."""
    out = []
    for p in marts.policies:
        if new.filter(pl.col("table") == p.table).is_empty():
            continue
        mine = pl.concat([current, new]).filter(pl.col("table") == p.table)
        before = mine.select("row_id", "column").with_columns(reason=pl.lit("linked"))
        closed = count_masks(marts.frames[p.table], p, k, before, marts.within[p.table]).select(
            "row_id", "column"
        )
        out.append(
            closed.join(before, on=["row_id", "column"], how="anti").with_columns(table=pl.lit(p.table))
        )
    return pl.concat(out).select("table", "row_id", "column") if out else new.clear()


def _neighbours_to_mask(
    cells: pl.DataFrame, terms: pl.DataFrame, narrow: pl.Series, per_relation: int = 1, reach: int = 0
) -> pl.DataFrame:
    """Published cells to mask for the narrow cells: in each relation of a narrow cell, its ``per_relation``
    smallest published members (non-zero first); when none is left, those of a masked cell of those
    relations (up to four relations away). ``reach``: go that many relations further out in any case (a
    cell still narrow after its own relations were opened is held by its masked neighbours' relations)."""
    members = (
        terms.select("relation", "cell").unique().join(cells.select("cell", "masked", "value"), on="cell")
    )
    # per relation, its smallest published members (the only ones a pick can take) and a few masked ones (to
    # pass through): an exposed cell's search then never holds every member of a flows matrix's relations
    published = (
        members.filter(~pl.col("masked"))
        .sort(pl.col("value") == 0, "value", "cell")
        .group_by("relation", maintain_order=True)
        .head(per_relation)
    )
    passing = (
        members.filter(pl.col("masked"))
        .sort("relation", "cell")
        .group_by("relation", maintain_order=True)
        .head(NEIGHBOUR_RELATIONS_MAX)
        .select("relation", "cell")
    )
    chosen: list[pl.DataFrame] = []
    frontier = pl.DataFrame({"origin": narrow, "cell": narrow})
    for hop in range(4):
        group = ["origin", "relation"] if hop == 0 else ["origin"]
        pairs = (
            frontier.join(members.select("relation", "cell"), on="cell")
            .select("origin", "relation")
            .unique()
            .sort("origin", "relation")
            .group_by("origin", maintain_order=True)
            .head(NEIGHBOUR_RELATIONS_MAX)
        )
        best = (
            pairs.join(published, on="relation")
            .sort(pl.col("value") == 0, "value", "cell")
            .group_by(*group, maintain_order=True)
            .head(per_relation)
        )
        chosen.append(best.select("cell"))
        frontier = (
            pairs.join(passing, on="relation")
            .filter(pl.lit(hop < reach) | ~pl.col("origin").is_in(best["origin"].to_list()))
            .select("origin", "cell")
            .unique()
            .sort("origin", "cell")
            .group_by("origin", maintain_order=True)
            .head(NEIGHBOUR_RELATIONS_MAX)
        )
        if frontier.is_empty():
            break
    return pl.concat(chosen).unique().sort("cell")


def apply_to_database(
    con: duckdb.DuckDBPyConnection,
    k: float,
    marts: tuple[MartPolicy, ...] | None = None,
    workers: int = 1,
    memo: AuditMemo | None = None,
) -> dict[str, dict[str, int]]:
    """Suppress every published mart in ``con`` (schema ``main``) in place; counts per table and reason.

    Per table, primary and secondary suppression (:func:`count_masks`); then across tables the linked
    protection (:func:`protect_linked`); then the rates, ranks and levels of masked counts. Masked cells
    are set to NULL with one ``UPDATE`` per table, so column types (the dbt contracts) stay.
    """
    every = policies() if marts is None else marts
    # a mart declaring no count of persons (counts: []) masks nothing
    published = read_marts(con, tuple(p for p in every if p.counts))
    frames = published.frames
    counts = pl.concat(
        [
            count_masks(frames[p.table], p, k, table=published.within[p.table]).with_columns(
                table=pl.lit(p.table)
            )
            for p in published.policies
        ]
    ).select("table", "row_id", "column", "reason")
    counts = pl.concat([counts, protect_linked(published, counts, k, workers=workers, memo=memo)])
    summary: dict[str, dict[str, int]] = {
        p.table: {
            "cells_primary": 0,
            "cells_secondary": 0,
            "cells_linked": 0,
            "cells_rate": 0,
            "cells_withheld": 0,
            "rows_with_suppression": 0,
        }
        for p in every
        if not p.counts
    }
    for policy in published.policies:
        mine = counts.filter(pl.col("table") == policy.table).drop("table")
        masks = pl.concat([mine, rate_masks(mine, policy)])
        by_reason = dict(masks.group_by("reason").len().iter_rows())
        summary[policy.table] = {
            "cells_primary": by_reason.get("primary", 0),
            # secondary: within the table and across tables; cells_linked: of those, the ones the linked
            # protection added
            "cells_secondary": by_reason.get("secondary", 0) + by_reason.get("linked", 0),
            "cells_linked": by_reason.get("linked", 0),
            "cells_rate": by_reason.get("rate", 0),
            "cells_withheld": by_reason.get("withheld", 0),
            "rows_with_suppression": masks["row_id"].n_unique(),
        }
        if masks.is_empty():
            continue
        _update(con, policy.table, masks.join(frames[policy.table].select("row_id", "_rowid"), on="row_id"))
    return summary


def read_marts(
    con: duckdb.DuckDBPyConnection, marts: tuple[MartPolicy, ...], schema: str = "main"
) -> PublishedMarts:
    """Each mart of ``marts`` in ``con`` (a release's schema ``main``; ``marts`` in the build) with
    ``row_id``, the row's position in key order, and ``_rowid``, DuckDB's rowid (to write masks back).
    Numbered by key, not by the rows' physical order, every choice the protection makes (which cell to mask
    among equals, the order of the LP's rows, hence which optimum HiGHS returns) depends on the figures
    alone: a DuckDB and a Spark build of the same data, whose tables hold their rows in different orders,
    publish the same masks."""
    frames = {
        p.table: con.execute(f"select rowid as _rowid, * from {schema}.{p.table}")
        .pl()
        .sort(list(p.key), nulls_last=True)
        .with_row_index("row_id")
        .with_columns(pl.col("row_id").cast(pl.Int64))
        for p in marts
    }
    return PublishedMarts(frames, marts)


def _update(con: duckdb.DuckDBPyConnection, table: str, masks: pl.DataFrame) -> None:
    """Masks ``masks`` (``_rowid``: DuckDB's rowid, ``column``) in ``table``: NULL, listed in
    ``suppressed_columns``."""
    listed = masks.group_by("_rowid").agg(pl.col("column").unique().alias("cols"))
    con.register("_masks", listed.to_arrow())
    hidden = sorted(set(masks["column"]))
    all_columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'main' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]
    listing = " || ".join(  # columns in table order, comma-separated
        f"case when list_contains(m.cols, '{c}') then ',{c}' else '' end" for c in all_columns if c in hidden
    )
    sets = ", ".join(f"{c} = case when list_contains(m.cols, '{c}') then null else t.{c} end" for c in hidden)
    con.execute(
        f"update main.{table} t set {sets}, {SUPPRESSED_COLUMNS} = ltrim({listing}, ',') "
        f"from _masks m where t.rowid = m._rowid"
    )
    con.unregister("_masks")


# --- the linked system: every relation the release exposes, across tables (docs/disclosure.md) ----------

CELL_KEY = ["table", "row_id", "column"]


@dataclass(frozen=True)
class PublishedMarts:
    """The marts the protection and the adversary read, as :func:`read_marts` reads them: each one's rows
    (``frames``, by table, numbered ``row_id`` in key order) and its disclosure policy (``policies``); the
    linked system of their relations, whichever cells are masked (:meth:`system`)."""

    frames: dict[str, pl.DataFrame]
    policies: tuple[MartPolicy, ...]

    # the parts of every system of these marts that no mask changes: computed once
    @cached_property
    def within(self) -> dict[str, TableRelations]:
        """Each table's relations as :func:`mask_cells` works on them (:meth:`TableRelations.of`)."""
        return {p.table: TableRelations.of(self.frames[p.table], p) for p in self.policies}

    @cached_property
    def cells(self) -> pl.DataFrame:
        """:func:`cell_frame` of these marts."""
        return cell_frame(self)

    @cached_property
    def _keyed_cells(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """:attr:`cells` with a number per cell key (``_key``: its table and column's number, then its
        row_id), and the numbers of the tables' columns: a round looks its masks up by number, not by
        joining three columns (0.08 s a round at M)."""
        columns = (
            self.cells.select("table", "column").unique().sort("table", "column").with_row_index("_column")
        )
        if self.cells.height and self.cells["row_id"].max() >= 1 << 40:  # type: ignore[operator]
            raise ValueError("disclosure: a row_id of 2^40 or more does not fit a cell's number")
        keyed = self.cells.join(columns, on=["table", "column"], how="left", maintain_order="left")
        return keyed.with_columns(_key=_cell_number("_column")).drop("_column"), columns

    def _keys(self, masked: pl.DataFrame) -> pl.Series:
        """The ``_key`` of each cell of ``masked`` (``table``, ``row_id``, ``column``) that is a cell."""
        _, columns = self._keyed_cells
        return masked.join(columns, on=["table", "column"]).select(_cell_number("_column"))["_key"]

    @cached_property
    def equalities(self) -> pl.DataFrame:
        """:func:`relation_terms` of these marts."""
        return relation_terms(self)

    @cached_property
    def numbered_equalities(self) -> NumberedTerms:
        """:attr:`equalities` with their cells' ids, and their relations' names in order (each term's
        ``name``: the position of its relation's name among them): what every round's
        :func:`linked_system` would join and rank again."""
        return NumberedTerms.of(self.equalities.join(self.cells.select("cell", *CELL_KEY), on=CELL_KEY))

    def system(
        self, masked: pl.DataFrame, *, min_masked: float, with_rates: bool = True
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """Cells (with the adversary's bounds), terms and rows of the LP of these marts masked as
        ``masked``."""
        cells = (
            self._keyed_cells[0]
            .with_columns(
                masked=pl.col("_key").is_in(self._keys(masked).implode()),
                lower=pl.when("exists").then(1.0).otherwise(min_masked),
                upper=pl.lit(float("inf")),
            )
            .drop("_key")
        )
        rates = rate_terms(self, masked) if with_rates else pl.DataFrame(schema=TERMS_FRAME_SCHEMA)
        # what the rankings read of the masks: each one's rows whose rank is withheld, i.e. a count it is
        # decided from is masked (default: the denominator)
        withheld = tuple(
            (
                p.table,
                i,
                masked.filter(
                    (pl.col("table") == p.table)
                    & pl.col("column").is_in(list(p.withheld.get(r.column, (r.denominator,))))
                )["row_id"]
                .unique()
                .sort(),
            )
            for p in self.policies
            for i, r in enumerate(p.ranks)
        )
        signature = tuple((table, i, tuple(rows.to_list())) for table, i, rows in withheld)
        kept = self._kept_relations
        if rates.is_empty() and signature in kept:
            # the same relations as the last system's (the protection's rounds after the first, whose new
            # masks seldom withhold a rank): only the cells' masks differ, and ``cells`` carries them
            lp_terms, lp_rows = kept[signature]
            return cells, lp_terms, lp_rows
        terms, inequalities = ([rates] if not rates.is_empty() else []), []
        for table, i, rows in withheld:
            policy = self._policy[table]
            t, b = rank_rows(self.frames[table], policy, rows, policy.ranks[i])
            terms.append(t)
            inequalities.append(b)
        lp_terms, lp_rows = linked_system(
            cells,
            pl.concat(terms) if terms else pl.DataFrame(schema=TERMS_FRAME_SCHEMA),
            pl.concat(inequalities) if inequalities else None,
            numbered=self.numbered_equalities,
        )
        kept.clear()
        if rates.is_empty():
            kept[signature] = (lp_terms, lp_rows)
        return cells, lp_terms, lp_rows

    @cached_property
    def _kept_relations(self) -> dict[tuple[object, ...], tuple[pl.DataFrame, pl.DataFrame]]:
        """The terms and rows of the last :meth:`system` without rates, by what its rankings read of the
        masks (each ranking's withheld rows); empty before one."""
        return {}

    @cached_property
    def _policy(self) -> dict[str, MartPolicy]:
        return {p.table: p for p in self.policies}


def _cell_number(column_number: str) -> pl.Expr:
    """A cell's number (``_key``) from its table and column's number and its ``row_id``."""
    return (pl.col(column_number).cast(pl.Int64) * (1 << 40) + pl.col("row_id").cast(pl.Int64)).alias("_key")


def cell_frame(marts: PublishedMarts) -> pl.DataFrame:
    """Every count cell of every mart, numbered in key order: ``cell``, ``table``, ``row_id``, ``column``,
    ``value`` (as in the frame: the true figure, or null where a release masked it), ``integer``."""
    parts = []
    for p in marts.policies:
        if not p.counts:  # a mart that publishes no count of persons (counts: []) has no cell to protect
            continue
        frame = marts.frames[p.table].sort(list(p.key), nulls_last=True)
        parts.append(
            frame.select(pl.col("row_id").cast(pl.Int64), *[pl.col(c).cast(pl.Float64) for c in p.counts])
            .unpivot(index="row_id", variable_name="column", value_name="value")
            .with_columns(
                table=pl.lit(p.table),
                integer=pl.col("column").is_in([c for c in p.counts if frame.schema[c].is_integer()]),
                exists=pl.col("column").is_in(list(p.row_exists_when)),
            )
        )
    cells = pl.concat(parts) if parts else pl.DataFrame(schema={**dict.fromkeys(CELL_KEY, pl.String)})
    return cells.with_row_index("cell").with_columns(pl.col("cell").cast(pl.Int64))


def _group_key(by: tuple[str, ...]) -> pl.Expr:
    if not by:
        return pl.lit("")
    return pl.concat_str([pl.col(c).cast(pl.String).fill_null("∅") for c in by], separator="|")


def _side_terms(frame: pl.DataFrame, side: Side, name: str, coef: float) -> pl.DataFrame:
    rows = frame
    for column, values in side.where.items():
        rows = rows.filter(pl.col(column).cast(pl.String).is_in(list(values)))
    return rows.select(
        (pl.lit(name + ":") + _group_key(side.by)).alias("relation"),
        pl.lit(side.mart).alias("table"),
        pl.col("row_id").cast(pl.Int64),
        pl.lit(side.column).alias("column"),
        pl.lit(coef).alias("coef"),
    )


def relation_terms(marts: PublishedMarts) -> pl.DataFrame:
    """Equalities ``Σ coef · cell = 0``: ``relation``, ``table``, ``row_id``, ``column``, ``coef``.

    Within a table (its additive relations and hierarchies) and between tables (``linked``: per group,
    present on both sides, the two sums are equal)."""
    frames = marts.frames
    parts = []
    for p in marts.policies:
        rels = relations(frames[p.table], p)
        parts.append(
            rels.select(
                (pl.lit(p.table + ":") + pl.col("relation")).alias("relation"),
                pl.lit(p.table).alias("table"),
                "row_id",
                "column",
                pl.when("is_total").then(1.0).otherwise(-1.0).alias("coef"),
            )
        )
        for i, link in enumerate(p.linked):
            name = f"link:{p.table}[{i}]"
            a = _side_terms(frames[link.this.mart], link.this, name, 1.0)
            b = _side_terms(frames[link.other.mart], link.other, name, -1.0)
            both = a.select("relation").unique().join(b.select("relation").unique(), on="relation")
            parts += [a.join(both, on="relation"), b.join(both, on="relation")]
    return pl.concat(parts) if parts else pl.DataFrame(schema=TERMS_FRAME_SCHEMA)


TERMS_FRAME_SCHEMA = {
    "relation": pl.String,
    "table": pl.String,
    "row_id": pl.Int64,
    "column": pl.String,
    "coef": pl.Float64,
}


def rank_rows(
    frame: pl.DataFrame, policy: MartPolicy, masked_rows: pl.Series, ranking: Ranking | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Inequalities from a published ranking (``ranks``): rows ranked one after the other have scores in
    that order; a row whose rank is withheld (``masked_rows``) sits in a gap, between the published row
    just above the gap's first rank and the one just below its last. Score = n / (d + offset), so
    ``n_a·(d_b + o) ≥ n_b·(d_a + o)``, linear in the d; or score = n − d (``gap``):
    ``d_b − d_a ≥ n_b − n_a``.
    ``ranking``: one of the policy's rankings (default its first), over the rows its ``where`` selects.
    Returns (terms, row bounds) with string relations."""
    r = ranking if ranking is not None else (policy.ranks[0] if policy.ranks else None)
    if r is None:
        return pl.DataFrame(schema=TERMS_FRAME_SCHEMA), pl.DataFrame(schema=ROWS_FRAME_SCHEMA)
    ranked = frame
    for column, values in r.where.items():
        ranked = ranked.filter(pl.col(column).cast(pl.String).is_in(list(values)))
    tag = f"{policy.table}:{policy.ranks.index(r) if r in policy.ranks else 0}"
    data = ranked.select(
        pl.col("row_id").cast(pl.Int64),
        _group_key(r.by).alias("g"),
        pl.col(r.column).cast(pl.Int64).alias("rank"),
        pl.col(r.numerator).cast(pl.Float64).alias("n"),
    ).with_columns(hidden=pl.col("row_id").is_in(masked_rows.to_list()))
    pairs: list[tuple[int, float, int, float]] = []  # (above row, its n, below row, its n)
    # groups in key order: the pairs' numbers name the LP's rows, and their order decides which optimum
    # HiGHS returns (group_by without maintain_order numbered them differently from one call to the next)
    for _, rows in data.group_by("g", maintain_order=True):
        shown = rows.filter(~pl.col("hidden")).sort("rank")
        ranks = shown["rank"].to_list()
        ids, ns = shown["row_id"].to_list(), shown["n"].to_list()
        pairs += [(ids[i], ns[i], ids[i + 1], ns[i + 1]) for i in range(len(ids) - 1)]
        gaps = sorted(set(range(1, rows.height + 1)) - set(ranks))
        if not gaps:
            continue
        above = [i for i, k in enumerate(ranks) if k < gaps[0]]
        below = [i for i, k in enumerate(ranks) if k > gaps[-1]]
        for m, nm in rows.filter("hidden").select("row_id", "n").iter_rows():
            if above:
                pairs.append((ids[above[-1]], ns[above[-1]], m, nm))
            if below:
                pairs.append((m, nm, ids[below[0]], ns[below[0]]))
    # ratio: n_a·d_b − n_b·d_a ≥ o·(n_b − n_a); gap: d_b − d_a ≥ n_b − n_a
    terms, bounds = [], []
    for i, (a, na, b, nb) in enumerate(pairs):
        rel = f"rank:{tag}:{i}"
        if r.score == "gap":
            terms += [(rel, policy.table, b, r.denominator, 1.0), (rel, policy.table, a, r.denominator, -1.0)]
            bounds.append((rel, nb - na, math.inf))
        else:
            terms += [(rel, policy.table, b, r.denominator, na), (rel, policy.table, a, r.denominator, -nb)]
            bounds.append((rel, r.offset * (nb - na), math.inf))
    return (
        pl.DataFrame(terms, schema=TERMS_FRAME_SCHEMA, orient="row"),
        pl.DataFrame(bounds, schema=ROWS_FRAME_SCHEMA, orient="row"),
    )


# published decimals (weighted supply, decimal(18, 4)) are rounded: an equality holds to half a unit of the
# last place per term
ROWS_FRAME_SCHEMA = {"relation": pl.String, "lo": pl.Float64, "hi": pl.Float64}


@dataclass(frozen=True)
class NumberedTerms:
    """Terms with their cells' ids (``relation``, ``cell``, ``coef``), their relations' distinct names in
    order (``names``) and each term's position among them (``name``)."""

    terms: pl.DataFrame
    names: pl.Series
    name: np.ndarray

    @staticmethod
    def of(terms: pl.DataFrame) -> NumberedTerms:
        names = terms["relation"].unique().sort()
        return NumberedTerms(
            terms.select("relation", "cell", "coef"), names, names.search_sorted(terms["relation"]).to_numpy()
        )


def linked_system(
    cells: pl.DataFrame,
    terms: pl.DataFrame,
    inequalities: pl.DataFrame | None = None,
    numbered: NumberedTerms | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Terms and rows of :mod:`publication.disclosure_lp` (integer relation and cell ids) from string ones:
    ``terms`` (by cell key) and ``numbered`` (by cell id, numbered once: the relations no mask changes).
    The relations are numbered 1, 2, … in the order of their names. A relation is an equality
    (``lo = hi = 0``) unless ``inequalities`` gives its bounds."""
    import numpy as np

    fixed = numbered or NumberedTerms.of(
        pl.DataFrame(schema=TERMS_FRAME_SCHEMA).join(cells.select("cell", *CELL_KEY), on=CELL_KEY)
    )
    extra = terms.join(cells.select("cell", *CELL_KEY), on=CELL_KEY).select("relation", "cell", "coef")
    # every relation's name in order: the few names of ``terms`` merged into the many numbered once
    # (searching the few among the many, not the many among all: the names are strings)
    added = extra["relation"].unique().sort()
    into = fixed.names.search_sorted(added, side="left").to_numpy()
    already = np.zeros(len(added), dtype=bool)
    inside = into < len(fixed.names)
    already[inside] = (fixed.names.gather(into[inside]) == added.filter(pl.Series(inside))).to_numpy()
    new_at = into[~already]  # where each new name goes among the numbered ones
    fixed_position = np.arange(len(fixed.names)) + np.searchsorted(
        new_at, np.arange(len(fixed.names)), "right"
    )
    added_position = np.empty(len(added), dtype=np.int64)
    added_position[already] = fixed_position[into[already]]
    added_position[~already] = new_at + np.arange(len(new_at))
    order = np.empty(len(fixed.names) + len(new_at), dtype=np.int64)
    order[fixed_position] = np.arange(len(fixed.names))
    order[added_position[~already]] = len(fixed.names) + np.arange(len(new_at))
    names = pl.concat([fixed.names, added.filter(pl.Series(~already))]).gather(order)
    rid = (
        np.concatenate(
            [fixed_position[fixed.name], added_position[added.search_sorted(extra["relation"]).to_numpy()]]
        ).astype(np.int64)
        + 1
    )
    lp_terms = pl.DataFrame(
        {
            "relation": rid,
            "cell": pl.concat([fixed.terms["cell"], extra["cell"]]),
            "coef": pl.concat([fixed.terms["coef"], extra["coef"]]),
        },
        schema={"relation": pl.Int64, "cell": pl.Int64, "coef": pl.Float64},
    )
    given = inequalities if inequalities is not None else pl.DataFrame(schema=ROWS_FRAME_SCHEMA)
    n_terms = np.bincount(rid, minlength=len(names) + 1)[1:]
    bounds = (
        pl.DataFrame(
            {"relation": names, "rid": np.arange(1, len(names) + 1, dtype=np.int64), "n_terms": n_terms}
        )
        .join(given, on="relation", how="left")
        .select(
            pl.col("rid").alias("relation"),
            pl.col("lo").fill_null(-ROUNDING * pl.col("n_terms")),
            pl.col("hi").fill_null(ROUNDING * pl.col("n_terms")),
        )
    )
    return lp_terms, bounds


def relation_violations(marts: PublishedMarts) -> pl.DataFrame:
    """The equalities of :func:`relation_terms` that the exact figures of ``marts`` break (a declaration
    that is not true of the data): ``relation``, ``residual``."""
    return (
        marts.equalities.join(marts.cells, on=CELL_KEY)
        .group_by("relation")
        .agg((pl.col("coef") * pl.col("value").fill_null(0.0)).sum().alias("residual"))
        .filter(pl.col("residual").abs() > 1e-3)
        .sort("relation")
    )


def rate_terms(marts: PublishedMarts, masked: pl.DataFrame) -> pl.DataFrame:
    """A published rate ``r = numerator / denominator`` whose numerator or denominator is masked:
    ``numerator − r · denominator = 0`` (rates declared with exactly two counts, numerator first)."""
    parts = []
    for p in marts.policies:
        frame = marts.frames[p.table]
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
