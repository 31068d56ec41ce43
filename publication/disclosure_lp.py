"""The linear-programming audit behind disclosure control: how far can an adversary narrow a masked cell?

A published release is a linear system. Every masked count is an unknown with bounds (≥ 0, or ≥ 1 where the
row's existence implies it); every relation the release exposes (a total and its parts, a province row and
its cities, the same graduates counted in two marts, a rank between two published scores) is a linear row
``lo ≤ Σ coef · cell ≤ hi``. Published cells are constants and fold into the row bounds. The feasible
interval of an unknown is ``[min x, max x]`` over that polytope: two LPs (HiGHS), rounded inwards for
integer counts. This is the audit τ-ARGUS and sdcTable run; :mod:`publication.disclosure_attack` runs it
as the adversary, :func:`publication.disclosure.apply_to_database` as the protector.

What keeps it fast:

* the system is split into connected components (unknowns that share no row cannot bound each other), and
  each component is one HiGHS model solved repeatedly with a new objective (warm-started from the last
  basis, by the primal simplex: the basis stays primal feasible when only the objective changes);
* every LP solution is a feasible point: each unknown's range over the points seen so far is an *inner*
  bound of its interval. A cell whose seen range is already as wide as the protection width needs no LP
  of its own (``width``); the protector starts from the true figures, which are feasible too (``witness``);
* only the cells asked about (``targets``) are bounded;
* before any cell's own LP, a component of up to ``GLOBAL_MAX_UNKNOWNS`` with two cells or more to bound is
  first solved in random directions (each cell still narrow weighted +1 or -1, a fixed seed, maximised
  both ways), each cell held within ``width`` of the values seen of it: every solution moves many cells at
  once, each just far enough to be wide, and these passes repeat while they widen cells (``SPREAD_*``; at M
  they took the three graduate-flows components from 4,658 narrow cells each to about ten in five passes).
  The cells still narrow get their exact LPs over the component;
* in a larger component, and for a component's lone cell to bound, the protector (``witness``) looks for
  wide points near the truth: a *local* LP over the cell's neighbourhood (the unknowns within
  ``LOCAL_DEPTH`` relations of it, every row that touches them, all other unknowns held at their true
  figures). Any solution of it is a feasible point of the whole system (the
  held unknowns are feasible, and every row a freed unknown is in is kept), so it widens inner bounds as a
  whole-component LP would, at the cost of a few hundred unknowns instead of tens of thousands. Only a cell
  the local LP cannot show wide is bounded over its component; in a component larger than
  ``GLOBAL_MAX_UNKNOWNS`` only the first ``LARGE_COMPONENT_CELLS`` such cells of an audit are, the others
  are reported narrow (their seen range, ``*_exact`` False), so the protector masks more around them: the
  audit may then suppress more than the least needed, never less. The local LP frees first the
  neighbours with the most room below their true figure (the members that can give way);
* a component's protector audit is a function of its LP alone: with a ``memo`` (:class:`AuditMemo`, kept
  between refreshes by :mod:`publication.disclosure_memo`) a component whose LP an earlier audit solved is
  not solved again (:meth:`_Audit.fingerprint`).

Pure: frames in, frame out; nothing here knows about marts or files (it reads its own source once, for the
memo's digests).
"""

from __future__ import annotations

import hashlib
import logging
import math
import multiprocessing as mp
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix, csc_matrix
from scipy.sparse.csgraph import connected_components

from core.processes import worker_start

log = logging.getLogger(__name__)

TOLERANCE = 1e-6  # an LP bound within this of an integer is that integer
LOCAL_DEPTH = (
    3  # relations between a cell and the unknowns its local LP frees (2 reaches a table's rectangles)
)
LOCAL_MAX_UNKNOWNS = 500  # the local LP frees at most this many unknowns (the nearest first)
GLOBAL_MAX_UNKNOWNS = 5_000  # the protector bounds a cell over its whole component up to this size
# ... and in larger components, this many cells per audit that their local LP left narrow (about 1 s an LP
# at 18,000 unknowns): once the local LPs have shown most cells wide, the few left get an exact answer and
# a proof (binding relations) to mask by, instead of being masked around blindly round after round
LARGE_COMPONENT_CELLS = 150
# the protector's first pass over a component (up to GLOBAL_MAX_UNKNOWNS) with at least SPREAD_MIN_CELLS
# cells to bound: LPs whose objective weighs each cell still narrow +1 or -1 at random (a fixed seed: the same
# LP, the same points), maximised and then maximised reversed, each with the cells it weighs held to rise
# (fall) no further than ``width`` above (below) the lowest (highest) value seen of them
# (:meth:`_Component.caps`); each solution is a feasible point that moves many cells at once. Uncapped, an
# optimum is a vertex that puts a row's whole slack on one member (18 pairs of cells sharing a total of 33
# widened two by two, a pass each); capped, a member takes what makes it wide and leaves the rest to the
# others: at M the first audit's passes went from 13,090 to 10,640 and the three graduate-flows components
# (4,658 cells) from ~45 passes to 5 (docs/disclosure.md). It repeats while a pass widens at least one cell
# per SPREAD_UNKNOWNS_PER_GAIN unknowns of the component (a pass over 4,658 unknowns costs about what a dozen
# cells' own LPs do), at most SPREAD_MAX_PASSES times. A cell left narrow gets its exact LPs over the
# component, without a local LP first (after the passes it is nearly always narrow in truth), unless a
# direction had no optimum in a component larger than a local LP (:meth:`_Audit._spread`)
SPREAD_MIN_CELLS = 2
SPREAD_UNKNOWNS_PER_GAIN = 1_000
SPREAD_MAX_PASSES = 200
SPREAD_SEED = 20261206
PRIMAL_SIMPLEX = 4  # HiGHS's option simplex_strategy: 4 is the primal simplex (:class:`_Component`)
DUAL_SIMPLEX = 1  # ... and 1 the dual (:meth:`_Component.capped`)
# an audit of at least this many cells is shared out between worker processes (``workers``); below it,
# starting them costs more than it saves
PARALLEL_MIN_CELLS = 5_000
# components are handed to a worker in batches of up to this many cells to bound (a larger one alone): one
# at a time, the hand-out and the answers' way back cost ~0.8 ms a component, and the 3,662 components of
# M's first audit kept both workers waiting for 1.4 s of their 7.4 (docs/disclosure.md)
PARALLEL_BATCH_CELLS = 1_000

CELLS_SCHEMA = {
    "cell": pl.Int64,  # 0 … n-1
    "value": pl.Float64,  # the published value; null when masked (the protector passes the true value)
    "masked": pl.Boolean,
    "lower": pl.Float64,  # the adversary's bounds for a masked cell
    "upper": pl.Float64,  # inf when nothing is known
    "integer": pl.Boolean,
}
TERMS_SCHEMA = {"relation": pl.Int64, "cell": pl.Int64, "coef": pl.Float64}
ROWS_SCHEMA = {"relation": pl.Int64, "lo": pl.Float64, "hi": pl.Float64}
INTERVALS_SCHEMA = {
    "cell": pl.Int64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "lower_exact": pl.Boolean,  # False: the true minimum is at most ``lower`` (a seen point, not an LP)
    "upper_exact": pl.Boolean,
    "component": pl.Int64,
}


@dataclass(frozen=True)
class System:
    """Unknowns with their bounds and the rows that bind them (known cells folded into the row bounds)."""

    unknowns: np.ndarray  # cell ids of the masked cells in some row, sorted
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    matrix: csc_matrix  # rows × unknowns
    row_lower: np.ndarray
    row_upper: np.ndarray
    component: np.ndarray  # component of each unknown
    relations: np.ndarray  # the relation id of each row


class _Index:
    """The distinct ids of an array, sorted (``ids``), and where other ids are among them (:meth:`at`): by a
    table where the ids are dense (a release's cells and relations are numbered 0 or 1 … n), else by
    sorting and searching."""

    def __init__(self, ids: np.ndarray) -> None:
        self.dense = bool(len(ids)) and ids.min() >= 0 and ids.max() < 4 * len(ids) + 1024
        if self.dense:
            seen = np.bincount(ids)
            self.ids = np.flatnonzero(seen).astype(ids.dtype)
            self._table = np.full(len(seen), -1, dtype=np.int64)
            self._table[self.ids] = np.arange(len(self.ids))
        else:
            self.ids = np.unique(ids)

    def at(self, ids: np.ndarray) -> np.ndarray:
        """Each id's position in :attr:`ids`; -1 for an id not there."""
        if self.dense:
            out = np.full(len(ids), -1, dtype=np.int64)
            inside = (ids >= 0) & (ids < len(self._table))
            out[inside] = self._table[ids[inside]]
            return out
        found = np.searchsorted(self.ids, ids)
        inside = found < len(self.ids)
        inside[inside] = self.ids[found[inside]] == ids[inside]
        return np.where(inside, found, -1)


def fold(cells: pl.DataFrame, terms: pl.DataFrame, rows: pl.DataFrame) -> System:
    """The system over the masked cells: published cells become constants in the rows.

    Cells are looked up by id in arrays (ids are 0 … n-1), not joined: the protection folds the ~1M terms
    of a province's release once a round."""
    ids = cells["cell"].to_numpy()
    if len(ids) and (ids.min() < 0 or np.bincount(ids).max() > 1):
        raise ValueError("disclosure audit: cell ids must be distinct and not negative")
    size = int(ids.max()) + 1 if len(ids) else 0
    present = np.zeros(size, dtype=bool)
    masked = np.zeros(size, dtype=bool)
    value = np.zeros(size)
    present[ids] = True
    masked[ids] = cells["masked"].to_numpy()
    value[ids] = cells["value"].fill_null(0.0).to_numpy()
    term_cells = terms["cell"].to_numpy()
    known = (term_cells >= 0) & (term_cells < size)
    known[known] = present[term_cells[known]]
    term_cells, term_coefs = term_cells[known], terms["coef"].to_numpy()[known]
    all_relations = terms["relation"].to_numpy()[known]
    unknown = masked[term_cells]
    term_relations = all_relations[unknown]
    live_rows = _Index(term_relations)  # the live rows: relations with a masked member
    relations = live_rows.ids
    bounds = rows.filter(pl.col("relation").is_in(pl.Series(relations).implode())).sort("relation")
    if bounds["relation"].is_duplicated().any():  # a row per relation: the numbering below relies on it
        raise ValueError("disclosure audit: a relation has more than one row of bounds")
    if not np.array_equal(bounds["relation"].to_numpy(), relations):
        raise ValueError("disclosure audit: a relation with masked members has no row of bounds")
    # the published members' part of each live row
    published = ~unknown
    at = live_rows.at(all_relations[published])
    live = at >= 0
    constant = np.bincount(
        at[live],
        weights=(term_coefs[published] * value[term_cells[published]])[live],
        minlength=len(relations),
    )
    masked_cells = _Index(term_cells[unknown])
    unknowns = masked_cells.ids
    row_of = np.empty(size, dtype=np.int64)  # each cell id's row in ``cells``
    row_of[ids] = np.arange(len(ids))
    info = {name: cells[name].to_numpy()[row_of[unknowns]] for name in ("lower", "upper", "integer")}
    col_index = masked_cells.at(term_cells[unknown])
    r = live_rows.at(term_relations)
    unknown_coefs = term_coefs[unknown]
    matrix = coo_matrix((unknown_coefs, (r, col_index)), shape=(len(relations), len(unknowns))).tocsc()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()  # a cell's terms that cancel out (+1 and -1 in one relation) bind nothing
    matrix.sort_indices()  # canonical: a component's fingerprint reads its entries in stored order
    n = len(unknowns)
    graph = coo_matrix((np.ones(len(r)), (col_index, n + r)), shape=(n + len(relations), n + len(relations)))
    _, labels = connected_components(graph, directed=False)
    return System(
        unknowns=unknowns,
        lower=info["lower"].astype(float),
        upper=info["upper"].astype(float),
        integer=info["integer"].astype(bool),
        matrix=matrix,
        row_lower=bounds["lo"].to_numpy() - constant,
        row_upper=bounds["hi"].to_numpy() - constant,
        component=labels[:n],
        relations=relations,
    )


# a component's unknowns (sorted), its rows (sorted), and its entries column by column: each column's count of
# entries, their local rows and coefficients (:meth:`_Audit._parts`)
Parts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class _Component:
    """One component as a HiGHS model, re-solved with one objective after another (warm starts)."""

    def __init__(self, system: System, parts: Parts) -> None:
        """``parts``: the component's unknowns, rows and entries (:meth:`_Audit._parts`)."""
        import highspy

        self._highspy = highspy
        columns, rows, per_column, local_row, data = parts
        self.relations = system.relations[rows]
        lp = highspy.HighsLp()
        lp.num_col_ = len(columns)
        lp.num_row_ = len(rows)
        lp.col_cost_ = np.zeros(len(columns))
        lp.col_lower_ = system.lower[columns]
        lp.col_upper_ = np.where(np.isinf(system.upper[columns]), highspy.kHighsInf, system.upper[columns])
        lp.row_lower_ = np.where(np.isinf(system.row_lower[rows]), -highspy.kHighsInf, system.row_lower[rows])
        lp.row_upper_ = np.where(np.isinf(system.row_upper[rows]), highspy.kHighsInf, system.row_upper[rows])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum(per_column)))
        lp.a_matrix_.index_ = local_row
        lp.a_matrix_.value_ = data
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # the primal simplex: each solve after the first changes only the objective, which leaves the last
        # basis primal feasible, so the primal simplex goes on from it where the dual simplex (HiGHS's
        # choice) must first restore dual feasibility. The first protection of a province's release (M)
        # took 30.1 s → 20.6 s in one process (docs/performance.md). The bounds of a cell's own LPs are the
        # same either way; the points the passes find, and an optimum's binding rows where its duals are not
        # unique, can differ, and with them the cells masked around a narrow one
        self.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        self.highs.passModel(lp)
        self._lower, self._upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
        self._objective: int | None = None
        self.binding: list[tuple[int, float]] = []  # the last optimum's binding rows: (relation, dual)

    def capped(self, weights: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """The solution point maximising ``weights`` · x (one weight per unknown) with the unknowns held
        within ``lower`` … ``upper`` (inside their own bounds), where that LP has an optimum; the costs and
        the bounds are the component's own again afterwards (:meth:`optimum` sets one cost at a time)."""
        hs, n = self._highspy, len(weights)
        every = np.arange(n, dtype=np.int32)
        self.highs.changeColsCost(n, every, weights.astype(float))
        self.highs.changeColsBounds(n, every, lower, upper)
        self._objective = None
        self.highs.changeObjectiveSense(hs.ObjSense.kMaximize)
        # the costs and the bounds both changed, so the last basis is feasible neither way: here the dual
        # simplex gets to the optimum sooner than the primal (round 1 of M: 10.5 s → 9.3 s in one process)
        self.highs.setOptionValue("simplex_strategy", DUAL_SIMPLEX)
        self.highs.run()
        self.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        point = None
        if self.highs.getModelStatus() == hs.HighsModelStatus.kOptimal:
            point = np.asarray(self.highs.getSolution().col_value)
        self.highs.changeColsCost(n, every, np.zeros(n))
        self.highs.changeColsBounds(n, every, self._lower, self._upper)
        return point

    def caps(
        self, weights: np.ndarray, seen_lo: np.ndarray, seen_hi: np.ndarray, integer: np.ndarray, width: float
    ) -> tuple:
        """Bounds for :meth:`capped`: an unknown weighted up may rise to ``width`` above the lowest value
        seen of it, one weighted down fall to ``width`` below the highest, no further (their own bounds
        permitting): reaching there makes it wide, and what it did not take is left for the others. An
        integer count's seen values count as the integers inside them (:func:`spans`)."""
        lowest, highest = inward(seen_lo, seen_hi, integer)
        lower, upper = self._lower.copy(), self._upper.copy()
        up, down = weights > 0, weights < 0
        upper[up] = np.minimum(upper[up], lowest[up] + width)
        lower[down] = np.maximum(lower[down], highest[down] - width)
        return lower, upper

    def optimum(self, column: int, maximize: bool) -> tuple[float, np.ndarray | None]:
        """The min or max of one unknown, and the solution point (None when unbounded)."""
        hs = self._highspy
        if self._objective is not None:
            self.highs.changeColCost(self._objective, 0.0)
        self.highs.changeColCost(column, 1.0)
        self._objective = column
        self.highs.changeObjectiveSense(hs.ObjSense.kMaximize if maximize else hs.ObjSense.kMinimize)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status not in (hs.HighsModelStatus.kOptimal, hs.HighsModelStatus.kUnbounded):
            self.highs.clearSolver()  # a warm start gone wrong: solve again from nothing
            self.highs.run()
            status = self.highs.getModelStatus()
        if status in (hs.HighsModelStatus.kUnbounded, hs.HighsModelStatus.kUnboundedOrInfeasible):
            return (math.inf if maximize else -math.inf), None
        if status != hs.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"disclosure audit: LP status {status} (the published figures are inconsistent)"
            )
        solution = self.highs.getSolution()
        point = np.asarray(solution.col_value)
        self.binding = []  # no proof from a solve without valid duals (never the last cell's)
        if solution.dual_valid:
            duals = np.asarray(solution.row_dual)
            binding = np.flatnonzero(np.abs(duals) > TOLERANCE)
            self.binding = list(zip(self.relations[binding].tolist(), duals[binding].tolist(), strict=True))
        return float(point[column]), point


def inward(lo: np.ndarray, hi: np.ndarray, integer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``lo`` and ``hi``, for an integer count the integers inside them (seen at 0.99925 and 3.99925, a
    count is known only to lie in 1 … 3: the exact LPs round their bounds inwards the same way, as does an
    adversary who knows counts are whole)."""
    return np.where(integer, np.ceil(lo - TOLERANCE), lo), np.where(integer, np.floor(hi + TOLERANCE), hi)


def spans(lo: np.ndarray, hi: np.ndarray, integer: np.ndarray) -> np.ndarray:
    """How wide the values seen of each unknown show its interval to be (:func:`inward`)."""
    low, high = inward(lo, hi, integer)
    with np.errstate(invalid="ignore"):
        return high - low


def span(lo: float, hi: float, integer: bool) -> float:
    """:func:`spans` of one unknown, without numpy's cost per call (the audit asks it of every cell)."""
    if integer:
        lo = math.ceil(lo - TOLERANCE) if math.isfinite(lo) else lo
        hi = math.floor(hi + TOLERANCE) if math.isfinite(hi) else hi
    return hi - lo


def _gather(indptr: np.ndarray, indices: np.ndarray, major: np.ndarray) -> np.ndarray:
    """Positions in ``indices`` of the entries of the compressed matrix's ``major`` rows (CSR) or columns
    (CSC), in order: what ``matrix[major]`` would hold, without building it."""
    starts, lengths = indptr[major], indptr[major + 1] - indptr[major]
    if not len(lengths):
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(int(lengths.sum()))


class _Local:
    """The protector's local LPs (module docstring): one cell's neighbourhood, the rest held at the truth.

    Tens of thousands of them run per audit, so the neighbourhoods and their sub-matrices are gathered from
    the compressed arrays directly (scipy's fancy indexing validated and copied a matrix each time and took
    as long as the LPs)."""

    def __init__(self, system: System, truth: np.ndarray) -> None:
        import highspy

        self._highspy = highspy
        self.system = system
        self.truth = truth
        by_column = system.matrix.tocsc()
        by_column.sort_indices()
        self.by_column = by_column
        by_row = system.matrix.tocsr()
        by_row.sort_indices()
        self.by_row = by_row
        self.product = system.matrix @ truth  # each row's value at the truth
        self.lower = np.where(np.isfinite(system.lower), system.lower, truth)
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)

    def _rows_of(self, columns: np.ndarray) -> np.ndarray:
        c = self.by_column
        return np.unique(c.indices[_gather(c.indptr, c.indices, columns)])

    def neighbourhood(self, g: int) -> np.ndarray:
        free = np.array([g])
        for _ in range(LOCAL_DEPTH):
            rows = self._rows_of(free)
            r = self.by_row
            reached = np.unique(r.indices[_gather(r.indptr, r.indices, rows)])
            # the nearest first: what was free stays free; of the new ones, those with the most room below
            # their true figure first (index order among equals), up to the cap. To widen ``g`` upwards,
            # each of its relations needs members that can give way downwards; a flows matrix's relation
            # has thousands of members, most of them single graduates at their lower bound of 1, and taking
            # them in index order filled the cap with cells that cannot move (docs/disclosure.md)
            new = np.setdiff1d(reached, free, assume_unique=True)
            new = new[np.argsort(self.lower[new] - self.truth[new], kind="stable")]
            free = np.concatenate([free, new[: max(0, LOCAL_MAX_UNKNOWNS - len(free))]])
            if len(free) >= LOCAL_MAX_UNKNOWNS:
                break
        return np.sort(free)

    def points(self, g: int) -> list[np.ndarray]:
        """Feasible points of the whole system (as values of :meth:`neighbourhood`'s unknowns, returned
        first) at the min and the max of unknown ``g`` over its neighbourhood."""
        hs, sy, c = self._highspy, self.system, self.by_column
        free = self.neighbourhood(g)
        # the sub-matrix of the free columns over the rows they are in (CSC, rows renumbered in order)
        entries = _gather(c.indptr, c.indices, free)
        rows, local_row = np.unique(c.indices[entries], return_inverse=True)
        data = c.data[entries]
        start = np.concatenate(([0], np.cumsum(c.indptr[free + 1] - c.indptr[free])))
        column_of = np.repeat(np.arange(len(free)), np.diff(start))
        # the held unknowns' part of each row: its value at the truth less the free unknowns' part
        held = self.product[rows] - np.bincount(
            local_row, weights=data * self.truth[free][column_of], minlength=len(rows)
        )
        lp = hs.HighsLp()
        lp.num_col_, lp.num_row_ = len(free), len(rows)
        lp.col_cost_ = np.where(free == g, 1.0, 0.0)
        lp.col_lower_ = sy.lower[free]
        lp.col_upper_ = np.where(np.isinf(sy.upper[free]), hs.kHighsInf, sy.upper[free])
        lo, hi = sy.row_lower[rows] - held, sy.row_upper[rows] - held
        lp.row_lower_ = np.where(np.isinf(lo), -hs.kHighsInf, lo)
        lp.row_upper_ = np.where(np.isinf(hi), hs.kHighsInf, hi)
        lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = local_row
        lp.a_matrix_.value_ = data
        self.highs.clearModel()
        self.highs.passModel(lp)
        found = [free]
        for sense in (hs.ObjSense.kMinimize, hs.ObjSense.kMaximize):
            self.highs.changeObjectiveSense(sense)
            self.highs.run()
            if self.highs.getModelStatus() == hs.HighsModelStatus.kOptimal:
                found.append(np.asarray(self.highs.getSolution().col_value))
        return found


Bounded = tuple[int, float, float, bool, bool, int]  # a row of INTERVALS_SCHEMA
Proofs = dict[int, list[list[tuple[int, float]]]]

# what one component's protector audit found, in the component's own numbering (its unknowns and its rows in
# system order, from 0), so that the same LP in another release, whose cells and relations are numbered
# otherwise, finds it: per asked unknown (lower, upper, lower_exact, upper_exact), and per unknown with a
# proof, its binding rows and duals per optimum
LocalBounds = tuple[int, float, float, bool, bool]
LocalProofs = dict[int, list[list[tuple[int, float]]]]
Remembered = tuple[list[LocalBounds], LocalProofs]
Memo = dict[str, Remembered]
# the audit's own code: a memo made by other code (another algorithm, other constants) matches nothing
AUDIT_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


@cache
def _solver_version() -> str:
    """HiGHS's, numpy's and scipy's versions (the LPs' answers, the sums the rows are built with)."""
    return " ".join(f"{p}={version(p)}" for p in ("highspy", "numpy", "scipy"))


class AuditMemo:
    """Component audits by fingerprint (:meth:`_Audit.fingerprint`): those of an earlier audit
    (``remembered``), and those this audit read or made (``used``: what is worth keeping for the next)."""

    def __init__(self, remembered: Memo | None = None) -> None:
        self.remembered: Memo = dict(remembered or {})
        self.used: Memo = {}

    def get(self, digest: str) -> Remembered | None:
        found = self.used.get(digest) or self.remembered.get(digest)
        if found is not None:
            self.used[digest] = found
        return found

    def put(self, digest: str, audit: Remembered) -> None:
        self.used[digest] = audit


class _Audit:
    """The bounds of the asked cells of one component after another (:func:`intervals`). What one
    component's audit reads and writes is its own (its unknowns' seen ranges, its own models; a local LP's
    neighbourhood stays inside the component), so components can be audited apart, in any order, with the
    same result; only the budget of whole-component LPs in large components is shared."""

    def __init__(
        self,
        system: System,
        seen_lo: np.ndarray,
        seen_hi: np.ndarray,
        nearby: _Local | None,
        width: float | None,
        proofs: bool,
    ) -> None:
        self.system, self.seen_lo, self.seen_hi, self.nearby = system, seen_lo, seen_hi, nearby
        self.width, self.proofs = width, proofs
        self.large_budget = LARGE_COMPONENT_CELLS  # whole-component LPs above GLOBAL_MAX_UNKNOWNS
        self.sizes = np.bincount(system.component) if len(system.component) else np.zeros(0, dtype=int)
        # each component's unknowns, sorted: a slice of one stable order
        self._by_component = np.argsort(system.component, kind="stable")
        self._starts = np.concatenate(([0], np.cumsum(self.sizes))).astype(np.int64)
        # :meth:`_parts` of a component, gathered once: its fingerprint and its (g|l)ocalisation read them
        self._gathered: dict[int, Parts] = {}

    def small(self, comp: int) -> bool:
        return self.nearby is None or int(self.sizes[comp]) <= GLOBAL_MAX_UNKNOWNS

    def _parts(self, comp: int) -> Parts:
        """The component's unknowns (sorted), its rows (sorted), and its entries column by column: each
        column's count of entries, their local rows and coefficients."""
        if comp in self._gathered:
            return self._gathered[comp]
        matrix = self.system.matrix
        columns = self._by_component[self._starts[comp] : self._starts[comp + 1]]
        entries = _gather(matrix.indptr, matrix.indices, columns)
        rows, local_row = np.unique(matrix.indices[entries], return_inverse=True)
        per_column = matrix.indptr[columns + 1] - matrix.indptr[columns]
        self._gathered[comp] = (columns, rows, per_column, local_row, matrix.data[entries])
        return self._gathered[comp]

    def fingerprint(self, comp: int, asked: list[int]) -> str | None:
        """A digest of everything the protector's audit of ``comp`` for the ``asked`` unknowns reads (its
        rows, bounds, integrality and true figures, the asked cells, the width, the audit's constants and the
        solver's version), in the component's own numbering: equal digests, equal audits (:func:`intervals`,
        ``memo``). None where the audit depends on more than the component (the adversary's, without the
        truth; a large component's shared budget) and is not to be remembered. Call it before the audit
        (the seen ranges are the truth until the component is audited)."""
        if self.nearby is None or self.width is None or not self.small(comp):
            return None
        sy = self.system
        columns, rows, per_column, local_row, data = self._parts(comp)
        digest = hashlib.sha256()
        header = (
            AUDIT_VERSION,
            _solver_version(),
            LOCAL_DEPTH,
            LOCAL_MAX_UNKNOWNS,
            GLOBAL_MAX_UNKNOWNS,
            (SPREAD_MIN_CELLS, SPREAD_UNKNOWNS_PER_GAIN, SPREAD_MAX_PASSES, SPREAD_SEED),
            TOLERANCE,
            self.width,
            self.proofs,
            len(columns),
            len(rows),
        )
        digest.update(repr(header).encode())
        for part in (
            per_column.astype(np.int64),
            local_row.astype(np.int64),
            data.astype(float),
            sy.row_lower[rows].astype(float),
            sy.row_upper[rows].astype(float),
            sy.lower[columns].astype(float),
            sy.upper[columns].astype(float),
            sy.integer[columns].astype(bool),
            self.seen_lo[columns].astype(float),
            self.seen_hi[columns].astype(float),
            self.nearby.truth[columns].astype(float),
            np.searchsorted(columns, np.asarray(asked, dtype=np.int64)),
        ):
            digest.update(np.ascontiguousarray(part).tobytes())
            digest.update(b"|")
        return digest.hexdigest()

    def localise(
        self, comp: int, found: tuple[list[Bounded], Proofs]
    ) -> tuple[list[LocalBounds], LocalProofs]:
        """``found`` (:meth:`component`'s) in the component's own numbering, to remember."""
        columns, rows, *_ = self._parts(comp)
        sy = self.system

        def local(cell: int) -> int:
            return int(np.searchsorted(columns, np.searchsorted(sy.unknowns, cell)))

        def row(relation: int) -> int:
            return int(np.searchsorted(rows, np.searchsorted(sy.relations, relation)))

        bounded, proofs = found
        return (
            [(local(c), lo, hi, le, ue) for c, lo, hi, le, ue, _ in bounded],
            {local(c): [[(row(r), d) for r, d in optimum] for optimum in p] for c, p in proofs.items()},
        )

    def globalise(
        self, comp: int, asked: list[int], remembered: tuple[list[LocalBounds], LocalProofs]
    ) -> tuple[list[Bounded], Proofs] | None:
        """A remembered audit (:meth:`localise`) of ``comp`` for ``asked``, in this system's numbering; None
        when it is not one (the memo is a file on disk: an entry that bounds other cells than those asked,
        names a row outside the component, or an interval that does not hold the true figure is not used,
        and the component is audited again)."""
        columns, rows, *_ = self._parts(comp)
        sy = self.system
        bounded, proofs = remembered
        expected = np.searchsorted(columns, np.asarray(asked, dtype=np.int64)).tolist()
        if [b[0] for b in bounded] != expected or not set(proofs) <= set(expected):
            return None
        truth = self.seen_lo[columns]  # the true figures: a component is looked up before it is audited
        if any(
            not (lo <= truth[i] + TOLERANCE and truth[i] - TOLERANCE <= hi) for i, lo, hi, _, _ in bounded
        ):
            return None
        if any(not 0 <= r < len(rows) for p in proofs.values() for optimum in p for r, _ in optimum):
            return None
        cells = sy.unknowns[columns]
        relations = sy.relations[rows]
        return (
            [(int(cells[i]), lo, hi, le, ue, comp) for i, lo, hi, le, ue in bounded],
            {
                int(cells[i]): [[(int(relations[r]), d) for r, d in optimum] for optimum in p]
                for i, p in proofs.items()
            },
        )

    def _spread(self, model: _Component, columns: np.ndarray, asked: np.ndarray) -> bool:
        """Widen the seen ranges of the ``asked`` unknowns (positions in ``columns``) with the points of LPs
        over the whole component in random directions (:data:`SPREAD_MIN_CELLS`), before each cell still
        narrow gets LPs of its own. False when an LP of a pass had no optimum (the caps bound every cell it
        weighs and hold the true figures, so for the protector only a solver's failure does that; the
        adversary's first pass, before any point is seen, is uncapped and may be unbounded): the passes stop
        there, and in a component larger than a local LP the cells left narrow go through their local LPs
        first, as without the passes (going straight to exact LPs would solve the whole component for cells a
        local LP shows wide)."""
        assert self.width is not None
        rng = np.random.default_rng(SPREAD_SEED)
        settled = True
        lo, hi = self.seen_lo[columns], self.seen_hi[columns]
        integer = self.system.integer[columns]
        narrow = asked[spans(lo[asked], hi[asked], integer[asked]) < self.width - TOLERANCE]
        for _ in range(SPREAD_MAX_PASSES):
            if not len(narrow):
                break
            weights = np.zeros(len(columns))
            weights[narrow] = rng.choice([-1.0, 1.0], size=len(narrow))
            for direction in (weights, -weights):
                point = model.capped(direction, *model.caps(direction, lo, hi, integer, self.width))
                if point is None:
                    settled = False
                    continue
                np.minimum(lo, point, out=lo)
                np.maximum(hi, point, out=hi)
            still = narrow[spans(lo[narrow], hi[narrow], integer[narrow]) < self.width - TOLERANCE]
            gained, narrow = len(narrow) - len(still), still
            if not settled or gained < max(1, len(columns) // SPREAD_UNKNOWNS_PER_GAIN):
                break
        self.seen_lo[columns], self.seen_hi[columns] = lo, hi
        return settled

    def component(self, comp: int, asked: list[int]) -> tuple[list[Bounded], Proofs]:
        system, seen_lo, seen_hi, nearby, width = (
            self.system,
            self.seen_lo,
            self.seen_hi,
            self.nearby,
            self.width,
        )
        parts = self._parts(comp)
        columns = parts[0]
        local = {int(g): i for i, g in enumerate(columns)}
        model: _Component | None = None
        out: list[Bounded] = []
        binding: Proofs = {}

        def wide(g: int) -> bool:
            return (
                width is not None
                and span(float(seen_lo[g]), float(seen_hi[g]), bool(system.integer[g])) >= width - TOLERANCE
            )

        def seen(point: np.ndarray, cols: np.ndarray = columns) -> None:
            np.minimum.at(seen_lo, cols, point)
            np.maximum.at(seen_hi, cols, point)

        small = self.small(comp)
        # after the random-direction passes a cell still narrow is (nearly always) narrow in truth: its exact
        # LPs, not a local LP, settle it; unless an LP of a pass had no optimum, in a component larger than a
        # local LP
        exact_next = False
        if small and width is not None and len(asked) >= SPREAD_MIN_CELLS:
            model = _Component(system, parts)
            asked_here = np.searchsorted(columns, np.asarray(asked, dtype=np.int64))
            exact_next = self._spread(model, columns, asked_here) or len(columns) <= LOCAL_MAX_UNKNOWNS
        for g in asked:
            if nearby is not None and not wide(g) and not exact_next:
                free, *near_points = nearby.points(g)
                for near_point in near_points:
                    seen(near_point, free)
            whole = small or (not wide(g) and self.large_budget > 0)
            if not small and whole:
                self.large_budget -= 1
            bounds: list[float] = []
            exact: list[bool] = []
            proof: list[list[tuple[int, float]]] = []  # per optimum, its binding rows
            for maximize in (False, True):
                if wide(g) or not whole:
                    bounds.append(seen_hi[g] if maximize else seen_lo[g])
                    exact.append(False)
                    continue
                if model is None:
                    model = _Component(system, parts)
                value, point = model.optimum(local[g], maximize)
                if point is not None:
                    seen(point)
                    proof.append(model.binding)
                else:
                    seen_hi[g] = math.inf
                if system.integer[g] and math.isfinite(value):
                    value = math.floor(value + TOLERANCE) if maximize else math.ceil(value - TOLERANCE)
                bounds.append(value)
                exact.append(True)
            if self.proofs and proof and width is not None and bounds[1] - bounds[0] < width:
                binding[int(system.unknowns[g])] = proof
            out.append((int(system.unknowns[g]), bounds[0], bounds[1], exact[0], exact[1], comp))
        return out, binding


_WORKER: _Audit | None = None  # a worker process's audit (:func:`_audit_components`)


def _start_worker(
    system: System, seen_lo: np.ndarray, seen_hi: np.ndarray, width: float | None, proofs: bool, local: bool
) -> None:
    global _WORKER
    nearby = _Local(system, seen_lo.copy()) if local else None
    _WORKER = _Audit(system, seen_lo.copy(), seen_hi.copy(), nearby, width, proofs)


def _audit_in_worker(batch: list[tuple[int, list[int]]]) -> list[tuple[list[Bounded], Proofs]]:
    assert _WORKER is not None
    return [_WORKER.component(*task) for task in batch]


def batches(cells: list[int], limit: int) -> list[list[int]]:
    """Consecutive runs of the positions of ``cells`` (each item's count), each summing to at most
    ``limit`` unless one item alone is larger."""
    out: list[list[int]] = []
    total = limit
    for i, n in enumerate(cells):
        if not out or total + n > limit:
            out.append([])
            total = 0
        out[-1].append(i)
        total += n
    return out


def _audit_components(
    audit: _Audit, asked: list[tuple[int, list[int]]], workers: int
) -> list[tuple[list[Bounded], Proofs]]:
    """Each component's bounds, in the order asked. With ``workers`` > 1, the small components are shared
    out between that many worker processes, the largest first, each batch (:data:`PARALLEL_BATCH_CELLS`)
    to the next worker free (the three components of a flows matrix hold a third of the work at M: handed
    out in turn, they left one worker idle for half the audit); the large ones stay here, in order, for
    their shared budget. The workers are *spawned* (a fresh interpreter given the system), not forked: the
    publishing process runs threads (Dagster's, the solver's), and a fork copies their locks but not them,
    which hung a refresh once. The same figures give the same bounds either way."""
    cells = sum(len(a) for _, a in asked)
    if workers <= 1 or cells < PARALLEL_MIN_CELLS:
        return [audit.component(comp, a) for comp, a in asked]
    small = [i for i, (comp, _) in enumerate(asked) if audit.small(comp)]
    by_size = sorted(small, key=lambda i: -len(asked[i][1]))
    results: dict[int, tuple[list[Bounded], Proofs]] = {}
    start = (audit.system, audit.seen_lo, audit.seen_hi, audit.width, audit.proofs, audit.nearby is not None)
    with mp.get_context("spawn").Pool(  # its workers end with this process (core/processes.py)
        workers, initializer=worker_start, initargs=(_start_worker, start)
    ) as pool:
        handed = [
            [by_size[j] for j in b]
            for b in batches([len(asked[i][1]) for i in by_size], PARALLEL_BATCH_CELLS)
        ]
        found = pool.imap(_audit_in_worker, [[asked[i] for i in b] for b in handed], chunksize=1)
        for batch, answers in zip(handed, found, strict=True):
            results.update(zip(batch, answers, strict=True))
    for i, (comp, a) in enumerate(asked):
        if i not in results:
            results[i] = audit.component(comp, a)
    return [results[i] for i in range(len(asked))]


def intervals(
    cells: pl.DataFrame,
    terms: pl.DataFrame,
    rows: pl.DataFrame,
    *,
    targets: pl.Series | None = None,
    width: float | None = None,
    witness: bool = False,
    binding: dict[int, list[list[tuple[int, float]]]] | None = None,
    workers: int = 1,
    memo: AuditMemo | None = None,
) -> pl.DataFrame:
    """The adversary's interval of every masked cell in ``targets`` (default: every masked cell in a row).

    ``width``: stop bounding a cell once its seen range is at least this wide (its interval is then
    reported as the seen range, with ``*_exact`` False: the true interval contains it). ``witness``: the
    masked cells' ``value`` is the true figure, a feasible point (the protector's view).
    Masked cells in no row keep their own bounds (exact). With ``witness`` and ``width``, a cell is first
    bounded by its local LP (module docstring). ``binding``: filled, for each cell whose LP bounds are
    narrower than ``width``, with the relations that bind each of its optima and their duals (per optimum,
    their weighted sum is the adversary's proof: a published cell in it is one whose masking can widen the
    cell).
    ``memo``: audits of components remembered by their :meth:`_Audit.fingerprint` (the protector's, with
    ``witness`` and ``width``): a component whose digest is in it is not audited again (the same LP, the
    same answer); the audits made here are added to it.
    """
    system = fold(cells, terms, rows)
    wanted = np.unique((targets if targets is not None else cells.filter("masked")["cell"]).to_numpy())
    found_at = np.searchsorted(system.unknowns, wanted)
    inside = found_at < len(system.unknowns)
    inside[inside] = system.unknowns[found_at[inside]] == wanted[inside]
    out: list[tuple[int, float, float, bool, bool, int]] = []
    lone = cells.filter(pl.col("masked") & pl.col("cell").is_in(wanted[~inside].tolist()))
    for c, lo, hi in lone.select("cell", "lower", "upper").iter_rows():
        out.append((c, lo, hi, True, True, -1))
    seen_lo = np.full(len(system.unknowns), math.inf)
    seen_hi = np.full(len(system.unknowns), -math.inf)
    if witness and len(system.unknowns):
        truth = (
            pl.DataFrame({"cell": system.unknowns}, schema={"cell": pl.Int64})
            .join(cells.select("cell", "value"), on="cell", how="left", maintain_order="left")["value"]
            .to_numpy()
        )
        seen_lo, seen_hi = truth.astype(float).copy(), truth.astype(float).copy()
    nearby = (
        _Local(system, seen_lo.copy()) if witness and width is not None and len(system.unknowns) else None
    )
    # the asked unknowns by component: components in the order of their first asked cell, each one's
    # unknowns in cell order
    positions = found_at[inside]
    components = system.component[positions]
    order = np.argsort(components, kind="stable")
    grouped, grouped_positions = components[order], positions[order]
    labels, first = np.unique(components, return_index=True)
    starts = np.searchsorted(grouped, labels, side="left")
    ends = np.searchsorted(grouped, labels, side="right")
    by_component = {
        int(labels[i]): grouped_positions[starts[i] : ends[i]].tolist()
        for i in np.argsort(first, kind="stable")
    }
    audit = _Audit(system, seen_lo, seen_hi, nearby, width, binding is not None)
    asked = list(by_component.items())
    known: dict[int, tuple[list[Bounded], Proofs]] = {}
    digests: list[str | None] = [None] * len(asked)
    if memo is not None:
        for i, (comp, a) in enumerate(asked):
            digests[i] = digest = audit.fingerprint(comp, a)
            remembered = memo.get(digest) if digest is not None else None
            taken = audit.globalise(comp, a, remembered) if remembered is not None else None
            if taken is not None:
                known[i] = taken
        log.info(
            "disclosure audit: %d of %d components (%d of %d cells) as remembered from an earlier audit",
            len(known),
            len(asked),
            sum(len(asked[i][1]) for i in known),
            sum(len(a) for _, a in asked),
        )
    new = [i for i in range(len(asked)) if i not in known]
    for i, result in zip(new, _audit_components(audit, [asked[i] for i in new], workers), strict=True):
        known[i] = result
        digest = digests[i]
        if memo is not None and digest is not None:
            memo.put(digest, audit.localise(asked[i][0], result))
    found = [known[i] for i in range(len(asked))]
    for rows_found, proofs in found:
        out.extend(rows_found)
        if binding is not None:
            binding.update(proofs)
    return pl.DataFrame(out, schema=INTERVALS_SCHEMA, orient="row")
