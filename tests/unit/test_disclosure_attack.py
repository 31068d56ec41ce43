"""The LP adversary on hand-made tables: it recovers what per-table suppression leaves open across tables
and in a ranking, and the linked protection of apply_to_database closes it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from publication.disclosure import (
    PROTECTION_WIDTH,
    MartPolicy,
    PublishedMarts,
    apply_to_database,
    count_masks,
)
from publication.disclosure_attack import attack, masked_cells
from transformation.marts import Link, Ranking, Side

K = 5
SCHOOLS = MartPolicy(
    "mart_schools",
    ("school_code",),
    counts=("graduates",),
    linked=(
        Link(
            Side("mart_schools", "graduates", ("region_code",)),
            Side("mart_cities", "graduates", ("region_code",)),
        ),
    ),
)
CITIES = MartPolicy("mart_cities", ("region_code",), counts=("graduates",))


def _database(
    schools: list[tuple[str, str, int]] | None = None,
    cities: list[tuple[str, int]] | None = None,
) -> duckdb.DuckDBPyConnection:
    """mart_schools and mart_cities holding ``schools`` (school, region, graduates) and ``cities`` (region,
    graduates), nothing suppressed; by default 苏州 has two schools, 3 graduates (masked) and 7, and the city
    row publishes 10."""
    con = duckdb.connect()
    con.execute(
        "create table mart_schools (school_code varchar, region_code varchar, graduates bigint, "
        "suppressed_columns varchar)"
    )
    con.execute(
        "create table mart_cities (region_code varchar, graduates bigint, suppressed_columns varchar)"
    )
    con.executemany(
        "insert into mart_schools values (?, ?, ?, '')",
        schools or [("s1", "320500", 3), ("s2", "320500", 7), ("s3", "320100", 40)],
    )
    con.executemany("insert into mart_cities values (?, ?, '')", cities or [("320500", 10), ("320100", 40)])
    return con


def _frames(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    return {
        t: con.execute(f"select rowid as row_id, * from {t}").pl() for t in ("mart_schools", "mart_cities")
    }


def _interval(result: pl.DataFrame, table: str, row_id: int) -> tuple[float, float]:
    row = result.filter((pl.col("table") == table) & (pl.col("row_id") == row_id)).row(0, named=True)
    return row["lower"], row["upper"]


def test_per_table_suppression_is_undone_across_tables_and_the_linked_protection_holds() -> None:
    con = _database()
    marts = (SCHOOLS, CITIES)
    frames = _frames(con)
    per_table = pl.concat(
        [count_masks(frames[p.table], p, K).with_columns(table=pl.lit(p.table)) for p in marts]
    ).select("table", "row_id", "column")
    assert per_table.select("table", "row_id").rows() == [("mart_schools", 0)]  # only s1 = 3 is masked
    before = attack(PublishedMarts(frames, marts), per_table, width=None).intervals
    assert _interval(before, "mart_schools", 0) == (3.0, 3.0)  # 10 − 7: recovered exactly

    summary = apply_to_database(con, K, marts)
    assert summary["mart_schools"]["cells_linked"] == summary["mart_schools"]["cells_secondary"] == 1  # s2
    frames = _frames(con)
    after = attack(PublishedMarts(frames, marts), masked_cells(frames), width=None).intervals
    lower, upper = _interval(after, "mart_schools", 0)
    assert upper - lower >= PROTECTION_WIDTH and lower <= 3 <= upper
    assert frames["mart_schools"]["graduates"].to_list() == [None, None, 40]


def test_a_published_rank_bounds_a_masked_count_and_is_withheld() -> None:
    """Ranked by vacancies ÷ (supply + 1): a masked supply between two published scores is bounded."""
    policy = MartPolicy(
        "mart_ranked",
        ("code",),
        counts=("supply",),
        rates={"score": ("supply",), "rank": ("supply",)},
        ranks=(Ranking("rank", (), "vacancies", "supply", 1.0),),
    )
    con = duckdb.connect()
    con.execute(
        "create table mart_ranked (code varchar, vacancies bigint, supply bigint, score double, "
        "rank integer, suppressed_columns varchar)"
    )
    # scores 100/10 = 10, 50/(3+1) = 12.5 → between, 60/(9+1) = 6
    con.execute(
        "insert into mart_ranked values ('a', 50, 3, 12.5, 1, ''), ('b', 100, 9, 10.0, 2, ''), "
        "('c', 60, 9, 6.0, 3, '')"
    )
    frames = {"mart_ranked": con.execute("select rowid as row_id, * from mart_ranked").pl()}
    masks = count_masks(frames["mart_ranked"], policy, K).with_columns(table=pl.lit("mart_ranked"))
    hidden = masks.select("table", "row_id", "column")
    # the rank still published (as before #16): a ranked first → 50/(s+1) ≥ 10 → s ≤ 4
    published_rank = attack(PublishedMarts(frames, (policy,)), hidden, width=None).intervals
    assert _interval(published_rank, "mart_ranked", 0) == (0.0, 4.0)
    apply_to_database(con, K, (policy,))
    row = con.execute(
        "select supply, score, rank, suppressed_columns from mart_ranked where code = 'a'"
    ).fetchone()
    assert row is not None and row[:3] == (None, None, None) and "rank" in row[3]


def test_a_cell_pinned_by_the_difference_of_two_relations_is_opened_where_the_proof_says() -> None:
    """A school city's not-employed paths are pinned by graduates − employed (two published totals): the
    smallest published path of the city (an employed one) is no help, since the employed total pins it; the
    protector masks what the LP's proof names, the other not-employed path."""
    paths = MartPolicy(
        "mart_paths",
        ("region_code", "kind", "origin"),
        counts=("graduates",),
        linked=(
            Link(
                Side("mart_paths", "graduates", ("region_code",)),
                Side("mart_totals", "graduates", ("region_code",)),
            ),
            Link(
                Side("mart_paths", "graduates", ("region_code",), where={"kind": ("employed",)}),
                Side("mart_totals", "employed", ("region_code",)),
            ),
        ),
    )
    totals = MartPolicy("mart_totals", ("region_code",), counts=("graduates", "employed"))
    con = duckdb.connect()
    con.execute(
        "create table mart_paths (region_code varchar, kind varchar, origin varchar, graduates bigint, "
        "suppressed_columns varchar)"
    )
    con.execute(
        "create table mart_totals (region_code varchar, graduates bigint, employed bigint, "
        "suppressed_columns varchar)"
    )
    con.execute(
        "insert into mart_paths values ('320500', 'employed', 'a', 6, ''), "
        "('320500', 'employed', 'b', 16, ''), ('320500', 'not_employed', 'a', 3, ''), "
        "('320500', 'not_employed', 'b', 8, '')"
    )
    con.execute("insert into mart_totals values ('320500', 33, 22, '')")
    marts = (paths, totals)

    apply_to_database(con, K, marts)
    frames = {
        t: con.execute(f"select rowid as row_id, * from {t}").pl() for t in ("mart_paths", "mart_totals")
    }
    assert frames["mart_paths"]["graduates"].to_list() == [6, 16, None, None]  # the employed paths stay
    after = attack(PublishedMarts(frames, marts), masked_cells(frames), width=None).intervals
    lower, upper = _interval(after, "mart_paths", 2)
    assert upper - lower >= PROTECTION_WIDTH and lower <= 3 <= upper


def test_two_rankings_in_one_table_each_bound_their_own_count_and_are_withheld_with_it() -> None:
    """The occupation shortage list ranks rows by two rules (ranking_basis): by wanted − seekers where job
    seekers are delivered (MOHRSS 最缺工), by vacancies − supply elsewhere, each over its own rows. A masked
    job-seeker count ranked between two published gaps is bounded by them; after protection its interval is
    wide, its rank is withheld, and the other rule's rows keep theirs."""
    policy = MartPolicy(
        "mart_two_rules",
        ("code",),
        counts=("supply", "seekers"),
        withheld={"rank": ("supply", "seekers")},
        ranks=(
            Ranking("rank", (), "vacancies", "supply", score="gap", where={"basis": ("graduates",)}),
            Ranking("rank", (), "wanted", "seekers", score="gap", where={"basis": ("seekers",)}),
        ),
    )
    con = duckdb.connect()
    con.execute(
        "create table mart_two_rules (code varchar, basis varchar, rank integer, vacancies bigint, "
        "supply bigint, wanted bigint, seekers bigint, suppressed_columns varchar)"
    )
    # job-seeker rule: gaps 48 (b), 50 − 3 = 47 (a), 46 (c); graduate rule: gaps 50 (x), 30 (y)
    con.execute(
        "insert into mart_two_rules values "
        "('a', 'seekers', 2, null, null, 50, 3, ''), ('b', 'seekers', 1, null, null, 58, 10, ''), "
        "('c', 'seekers', 3, null, null, 66, 20, ''), "
        "('x', 'graduates', 1, 100, 50, null, null, ''), ('y', 'graduates', 2, 90, 60, null, null, '')"
    )
    frames = {"mart_two_rules": con.execute("select rowid as row_id, * from mart_two_rules").pl()}
    hidden = count_masks(frames["mart_two_rules"], policy, K).with_columns(table=pl.lit("mart_two_rules"))
    assert hidden.select("row_id", "column").rows() == [(0, "seekers")]
    # the rank published: 58 − 10 ≥ 50 − s ≥ 66 − 20 → 2 ≤ s ≤ 4
    hidden = hidden.select("table", "row_id", "column")
    published_rank = attack(PublishedMarts(frames, (policy,)), hidden, width=None).intervals
    assert _interval(published_rank, "mart_two_rules", 0) == (2.0, 4.0)
    apply_to_database(con, K, (policy,))
    frames = {"mart_two_rules": con.execute("select rowid as row_id, * from mart_two_rules").pl()}
    after = attack(PublishedMarts(frames, (policy,)), masked_cells(frames), width=None).intervals
    lower, upper = _interval(after, "mart_two_rules", 0)
    assert upper - lower >= PROTECTION_WIDTH and lower <= 3 <= upper
    ranks = dict(con.execute("select code, rank from mart_two_rules").fetchall())
    assert ranks["a"] is None and ranks["x"] == 1 and ranks["y"] == 2


def test_the_linked_protection_does_not_depend_on_the_order_of_the_rows() -> None:
    """The DuckDB and the Spark build hold the same rows in different physical orders: the same cells are
    masked either way (rows are numbered in key order, so ties and the LP's rows fall alike)."""

    def published(order: list[tuple[str, str, int]]) -> dict[str, list[tuple]]:
        con = _database(order, [("320500", 32), ("320100", 52)])
        apply_to_database(con, K, (SCHOOLS, CITIES))
        tables = ("mart_schools", "mart_cities")
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}

    # 苏州: four schools, one of them under k, two of them equal (the tie the protection must break alike)
    rows = [
        ("s1", "320500", 3),
        ("s2", "320500", 8),
        ("s3", "320500", 8),
        ("s4", "320500", 13),
        ("s5", "320100", 40),
        ("s6", "320100", 12),
    ]
    first, reversed_ = published(rows), published(rows[::-1])
    assert first == reversed_
    assert sum(g is None for _, _, g, _ in first["mart_schools"]) >= 2


def _one_relation_of_seven_masked_cells() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One published total 16 = x0 + … + x6, every x masked; x1 … x5 are single graduates (lower bound 1), x6
    holds 10 and comes last in index order."""
    from publication import disclosure_lp

    values = [1.0, 1, 1, 1, 1, 1, 10]
    cells = pl.DataFrame(
        {
            "cell": list(range(7)),
            "value": values,
            "masked": [True] * 7,
            "lower": [1.0] * 7,
            "upper": [float("inf")] * 7,
            "integer": [True] * 7,
        },
        schema=disclosure_lp.CELLS_SCHEMA,
    )
    terms = pl.DataFrame(
        {"relation": [0] * 7, "cell": list(range(7)), "coef": [1.0] * 7}, schema=disclosure_lp.TERMS_SCHEMA
    )
    rows = pl.DataFrame({"relation": [0], "lo": [16.0], "hi": [16.0]}, schema=disclosure_lp.ROWS_SCHEMA)
    return cells, terms, rows


def test_the_local_lp_frees_the_members_that_can_give_way_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flows matrix's relation has thousands of members, most of them single graduates at their lower
    bound of 1: the local LP's cap is filled with the members that can move (most room below their true
    figure first), else a cell that is in truth wide is reported narrow and masked around for nothing."""
    from publication import disclosure_lp

    monkeypatch.setattr(disclosure_lp, "LOCAL_MAX_UNKNOWNS", 3)  # the cell and two others
    monkeypatch.setattr(disclosure_lp, "GLOBAL_MAX_UNKNOWNS", 0)  # no whole-component LP: the local one only
    monkeypatch.setattr(disclosure_lp, "LARGE_COMPONENT_CELLS", 0)
    found = disclosure_lp.intervals(
        *_one_relation_of_seven_masked_cells(), targets=pl.Series([0]), width=PROTECTION_WIDTH, witness=True
    ).row(0, named=True)
    assert (found["lower"], found["upper"]) == (1.0, 10.0)  # x6 gave way: 1 … 10, shown wide
    assert not found["upper_exact"]  # a seen point, not an LP's optimum


def test_a_cell_the_local_lp_leaves_narrow_in_a_large_component_gets_a_whole_lp_within_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from publication import disclosure_lp

    monkeypatch.setattr(disclosure_lp, "LOCAL_MAX_UNKNOWNS", 1)  # the local LP frees the cell alone: stuck
    monkeypatch.setattr(disclosure_lp, "GLOBAL_MAX_UNKNOWNS", 0)  # every component is "large"
    system = _one_relation_of_seven_masked_cells()
    for budget, expected in ((0, (1.0, 1.0, False)), (1, (1.0, 10.0, True))):
        monkeypatch.setattr(disclosure_lp, "LARGE_COMPONENT_CELLS", budget)
        found = disclosure_lp.intervals(
            *system, targets=pl.Series([0]), width=PROTECTION_WIDTH, witness=True
        ).row(0, named=True)
        assert (found["lower"], found["upper"], found["upper_exact"]) == expected, budget


def test_the_audit_shared_out_between_processes_gives_what_one_process_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TW_PUBLICATION_WORKERS: components are audited apart, so sharing them out between spawned workers
    changes neither a bound nor a proof; the large components (the shared budget) stay in the parent."""
    import random

    from publication import disclosure_lp

    rng = random.Random(7)
    cells, terms, rows = [], [], []
    for component in range(60):  # 60 components: a published total over 3 to 9 masked counts
        size = rng.randint(3, 9)
        values = [1.0, 2.0] + [float(rng.choice([1, 2, 3, 4, 8, 20])) for _ in range(size - 2)]
        first = len(cells)
        for v in values:
            terms.append((2 * component, len(cells), 1.0))
            cells.append((len(cells), v, True, 1.0, float("inf"), True))
        rows.append((2 * component, sum(values), sum(values)))
        if component % 3 == 0:  # and a published subtotal of the first two, 3: both pinned narrow
            terms += [(2 * component + 1, first, 1.0), (2 * component + 1, first + 1, 1.0)]
            rows.append((2 * component + 1, 3.0, 3.0))
    system = (
        pl.DataFrame(cells, schema=disclosure_lp.CELLS_SCHEMA, orient="row"),
        pl.DataFrame(terms, schema=disclosure_lp.TERMS_SCHEMA, orient="row"),
        pl.DataFrame(rows, schema=disclosure_lp.ROWS_SCHEMA, orient="row"),
    )
    monkeypatch.setattr(disclosure_lp, "PARALLEL_MIN_CELLS", 0)
    monkeypatch.setattr(disclosure_lp, "PARALLEL_BATCH_CELLS", 12)  # handed out a few components at a time
    monkeypatch.setattr(disclosure_lp, "GLOBAL_MAX_UNKNOWNS", 6)  # the larger components take the budget
    monkeypatch.setattr(disclosure_lp, "LARGE_COMPONENT_CELLS", 5)
    found = []
    for workers in (1, 2):
        proofs: dict[int, list[list[tuple[int, float]]]] = {}
        bounds = disclosure_lp.intervals(
            *system, width=PROTECTION_WIDTH, witness=True, binding=proofs, workers=workers
        )
        found.append((bounds, proofs))
    (one, one_proofs), (two, two_proofs) = found
    assert one.equals(two) and one_proofs == two_proofs
    assert one.filter(pl.col("upper") - pl.col("lower") < PROTECTION_WIDTH).height > 0 and one_proofs


def _totals_over_masked_counts(
    first_component: list[float] | None = None, extra_in_front: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """40 components, each a published total over 3 to 7 masked counts (and, in every third, a published
    subtotal of the first two, 3: both pinned narrow). ``first_component`` replaces the counts of the first;
    ``extra_in_front`` puts one more component before all of them, so every cell and relation is numbered
    otherwise (as in the next refresh, where other rows came before)."""
    import random

    from publication import disclosure_lp

    rng = random.Random(11)
    groups = [
        ([1.0, 2.0] + [float(rng.choice([1, 2, 3, 4, 8, 20])) for _ in range(rng.randint(1, 5))], n % 3 == 0)
        for n in range(40)
    ]
    if first_component is not None:
        groups[0] = (first_component, groups[0][1])
    if extra_in_front:
        groups.insert(0, ([2.0, 2.0, 9.0], False))
    cells: list[tuple] = []
    terms: list[tuple] = []
    rows: list[tuple] = []
    for component, (values, subtotal) in enumerate(groups):
        first = len(cells)
        for v in values:
            terms.append((2 * component, len(cells), 1.0))
            cells.append((len(cells), v, True, 1.0, float("inf"), True))
        rows.append((2 * component, sum(values), sum(values)))
        if subtotal:
            terms += [(2 * component + 1, first, 1.0), (2 * component + 1, first + 1, 1.0)]
            rows.append((2 * component + 1, values[0] + values[1], values[0] + values[1]))
    return (
        pl.DataFrame(cells, schema=disclosure_lp.CELLS_SCHEMA, orient="row"),
        pl.DataFrame(terms, schema=disclosure_lp.TERMS_SCHEMA, orient="row"),
        pl.DataFrame(rows, schema=disclosure_lp.ROWS_SCHEMA, orient="row"),
    )


def test_components_are_handed_to_the_workers_in_batches_of_a_limited_size() -> None:
    from publication.disclosure_lp import batches

    assert batches([4658, 4519, 300, 300, 300, 200, 90, 9, 1], 1_000) == [[0], [1], [2, 3, 4], [5, 6, 7, 8]]
    assert batches([], 1_000) == []
    assert batches([5, 5, 5], 5) == [[0], [1], [2]]
    assert batches([0, 0, 7], 5) == [[0, 1], [2]]


def test_a_remembered_component_audit_is_what_a_new_audit_finds_and_only_changed_components_are_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo (publication/disclosure_memo.py) is found by the component's own LP: after a refresh that
    renumbers every cell and relation, changes one component and adds another, those two are audited again
    and every other is taken from the memo, with the bounds and proofs a new audit gives."""
    from publication import disclosure_lp
    from publication.disclosure_memo import load_memo, save_memo

    audited: list[int] = []
    real = disclosure_lp._audit_components

    def counting(audit: object, asked: list, workers: int) -> list:
        audited.extend(comp for comp, _ in asked)
        return real(audit, asked, workers)  # type: ignore[arg-type]

    monkeypatch.setattr(disclosure_lp, "_audit_components", counting)

    def audit(
        system: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], memo: disclosure_lp.AuditMemo | None
    ) -> tuple[pl.DataFrame, dict]:
        proofs: dict[int, list[list[tuple[int, float]]]] = {}
        bounds = disclosure_lp.intervals(
            *system, width=PROTECTION_WIDTH, witness=True, binding=proofs, memo=memo
        )
        return bounds, proofs

    def same(a: tuple[pl.DataFrame, dict], b: tuple[pl.DataFrame, dict]) -> bool:
        return a[0].equals(b[0]) and a[1] == b[1]

    first = _totals_over_masked_counts()
    memo = disclosure_lp.AuditMemo()
    assert same(audit(first, memo), audit(first, None))
    distinct = len(memo.used)  # components with equal LPs (equal counts) are remembered once
    assert 30 < distinct <= 40 and len(audited) == 80
    path = tmp_path / "disclosure_memo.parquet"
    save_memo(path, memo)

    audited.clear()
    nothing_new = load_memo(path)
    assert same(audit(first, nothing_new), audit(first, None)) and len(audited) == 40  # the second: no memo

    audited.clear()
    changed = _totals_over_masked_counts(first_component=[1.0, 2.0, 5.0, 6.0], extra_in_front=True)
    remembered = load_memo(path)
    with_memo, fresh = audit(changed, remembered), audit(changed, None)
    assert same(with_memo, fresh) and fresh[1]
    assert len(audited) == 2 + 41  # the new and the changed component; then all 41 without the memo
    assert len(remembered.used) <= distinct + 2  # what the next refresh is given: this audit's components


def test_a_damaged_memo_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from publication.disclosure_memo import load_memo

    path = tmp_path / "disclosure_memo.parquet"
    path.write_bytes(b"not parquet")
    memo = load_memo(path)
    assert not memo.remembered and "audited again" in caplog.text


def test_a_remembered_audit_that_does_not_fit_its_component_is_not_used() -> None:
    """The memo is a file: an entry whose interval leaves out the true figure (a damaged or altered file)
    is not taken, the component is audited again and the bounds are a new audit's."""
    from publication import disclosure_lp

    system = _totals_over_masked_counts()
    memo = disclosure_lp.AuditMemo()
    fresh = disclosure_lp.intervals(*system, width=PROTECTION_WIDTH, witness=True, binding={}, memo=memo)
    # every remembered interval narrowed to [100, 100]: wide enough to pass for none, holding no true figure
    altered = disclosure_lp.AuditMemo(
        {
            digest: ([(i, 100.0, 100.0, True, True) for i, *_ in bounds], proofs)
            for digest, (bounds, proofs) in memo.used.items()
        }
    )
    again = disclosure_lp.intervals(*system, width=PROTECTION_WIDTH, witness=True, binding={}, memo=altered)
    assert again.equals(fresh)


def test_a_rankings_relations_are_numbered_in_key_order_every_time() -> None:
    """The pairs of a ranking name rows of the LP (``rank:<table>:<n>:<i>``) and their order decides which
    optimum HiGHS returns: they follow the groups in key order, not the order a hash table gives them (which
    differed from one call to the next, so the masks and the audit memo's digests could too)."""
    from publication.disclosure import rank_rows

    ranking = Ranking("rank", ("g",), "vacancies", "supply", 1.0)
    policy = MartPolicy("mart_ranked", ("g", "code"), counts=("supply",), ranks=(ranking,))
    groups = 300
    frame = pl.DataFrame(
        {
            "row_id": list(range(2 * groups)),
            "g": [f"g{n:03d}" for n in range(groups) for _ in range(2)],
            "code": ["a", "b"] * groups,
            "rank": [1, 2] * groups,
            "vacancies": [50, 10] * groups,
            "supply": [3, 9] * groups,
        }
    )
    terms, _ = rank_rows(frame, policy, pl.Series([], dtype=pl.Int64), ranking)
    numbered = terms.with_columns(n=pl.col("relation").str.split(":").list.last().cast(pl.Int64))
    assert numbered.group_by("n").agg(pl.col("row_id").min()).sort("n")["row_id"].to_list() == [
        2 * n for n in range(groups)
    ]


def _table_with_margins(size: int = 12) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A ``size`` × ``size`` flows table of masked counts (lower bound 1) with its row and column totals
    published, and a published subtotal of two cells of the first row (3 = 1 + 2: both pinned narrow): one
    component of ``size``² unknowns."""
    import random

    from publication import disclosure_lp

    rng = random.Random(5)
    value = [[float(rng.choice([1, 1, 2, 3, 5, 9, 14])) for _ in range(size)] for _ in range(size)]
    value[0][0], value[0][1] = 1.0, 2.0
    cells = [
        (i * size + j, value[i][j], True, 1.0, float("inf"), True) for i in range(size) for j in range(size)
    ]
    terms: list[tuple] = []
    rows: list[tuple] = []
    for i in range(size):
        terms += [(i, i * size + j, 1.0) for j in range(size)]
        rows.append((i, sum(value[i]), sum(value[i])))
    for j in range(size):
        terms += [(size + j, i * size + j, 1.0) for i in range(size)]
        rows.append((size + j, sum(value[i][j] for i in range(size)), sum(value[i][j] for i in range(size))))
    terms += [(2 * size, 0, 1.0), (2 * size, 1, 1.0)]
    rows.append((2 * size, 3.0, 3.0))
    return (
        pl.DataFrame(cells, schema=disclosure_lp.CELLS_SCHEMA, orient="row"),
        pl.DataFrame(terms, schema=disclosure_lp.TERMS_SCHEMA, orient="row"),
        pl.DataFrame(rows, schema=disclosure_lp.ROWS_SCHEMA, orient="row"),
    )


def _counting_lps(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of the audit's LPs from here on: local LPs (``local``, a min and a max each) and single
    optima over a whole component (``exact``)."""
    from publication import disclosure_lp

    calls = {"local": 0, "exact": 0}
    points, optimum = disclosure_lp._Local.points, disclosure_lp._Component.optimum

    def counted_points(self: disclosure_lp._Local, g: int) -> list:
        calls["local"] += 1
        return points(self, g)

    def counted_optimum(self: disclosure_lp._Component, column: int, maximize: bool) -> tuple:
        calls["exact"] += 1
        return optimum(self, column, maximize)

    monkeypatch.setattr(disclosure_lp._Local, "points", counted_points)
    monkeypatch.setattr(disclosure_lp._Component, "optimum", counted_optimum)
    return calls


def _narrow(frame: pl.DataFrame) -> list[int]:
    return frame.filter(pl.col("upper") - pl.col("lower") < PROTECTION_WIDTH)["cell"].sort().to_list()


def test_the_spread_pass_shows_cells_wide_only_where_they_are_and_saves_their_lps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The protector's first pass over a component (LPs in random directions, disclosure_lp.SPREAD_*) only
    adds feasible points: every cell it shows wide is wide (its exact interval holds what it reports), the
    cells narrower than the protection width are the ones the exact LPs find, and most cells need no LP of
    their own (neither a local one nor an exact one)."""
    from publication import disclosure_lp

    system = _table_with_margins()
    exact = disclosure_lp.intervals(*system).sort("cell")  # the adversary's: two LPs for every cell
    calls = _counting_lps(monkeypatch)
    found: dict[bool, pl.DataFrame] = {}
    lps: dict[bool, int] = {}
    for spread in (True, False):
        monkeypatch.setattr(disclosure_lp, "SPREAD_MIN_CELLS", 2 if spread else 10**9)
        calls.update(local=0, exact=0)
        found[spread] = disclosure_lp.intervals(
            *system, width=PROTECTION_WIDTH, witness=True, binding={}
        ).sort("cell")
        lps[spread] = 2 * calls["local"] + calls["exact"]

    assert _narrow(exact) == _narrow(found[True]) == _narrow(found[False]) == [0, 1]
    held = found[True].join(exact.select("cell", "lower", "upper"), on="cell", suffix="_lp")
    assert held.filter(
        (pl.col("lower_lp") > pl.col("lower") + 1e-6) | (pl.col("upper_lp") < pl.col("upper") - 1e-6)
    ).is_empty()
    assert lps[True] < lps[False] / 4, lps


def _table_with_unbounded_cells() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """:func:`_table_with_margins` and ten more masked cells, each at least one cell of the table's first
    row and without an upper bound (true figures that hold every relation)."""
    from publication import disclosure_lp

    cells, terms, rows = _table_with_margins()
    first, relation = cells.height, int(rows["relation"].max()) + 1  # type: ignore[arg-type]
    value = cells["value"].to_list()
    cells = pl.concat(
        [
            cells,
            pl.DataFrame(
                [(first + i, max(5.0, value[2 + i]), True, 1.0, float("inf"), True) for i in range(10)],
                schema=disclosure_lp.CELLS_SCHEMA,
                orient="row",
            ),
        ]
    )
    terms = pl.concat(
        [
            terms,
            pl.DataFrame(
                [t for i in range(10) for t in ((relation + i, first + i, 1.0), (relation + i, 2 + i, -1.0))],
                schema=disclosure_lp.TERMS_SCHEMA,
                orient="row",
            ),
        ]
    )
    rows = pl.concat(
        [
            rows,
            pl.DataFrame(
                [(relation + i, 0.0, float("inf")) for i in range(10)],
                schema=disclosure_lp.ROWS_SCHEMA,
                orient="row",
            ),
        ]
    )
    return cells, terms, rows


def test_a_spread_pass_whose_lp_fails_hands_a_large_component_back_to_the_local_lps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When an LP of the protector's passes has no optimum (the caps keep every weighted cell bounded and
    the true figures feasible, so only a solver's failure does that), the passes stop, and in a component
    larger than a local LP the cells left narrow take their local LPs first (not an exact LP over the whole
    component each); the narrow cells are still the exact LPs'."""
    from publication import disclosure_lp

    cells, terms, rows = _table_with_unbounded_cells()
    exact = disclosure_lp.intervals(cells, terms, rows).sort("cell")
    monkeypatch.setattr(disclosure_lp, "LOCAL_MAX_UNKNOWNS", 100)  # the component (154) is larger
    monkeypatch.setattr(disclosure_lp._Component, "capped", lambda self, weights, lower, upper: None)
    calls = _counting_lps(monkeypatch)
    counts = {}
    for spread in (True, False):
        monkeypatch.setattr(disclosure_lp, "SPREAD_MIN_CELLS", 2 if spread else 10**9)
        calls.update(local=0, exact=0)
        found = disclosure_lp.intervals(cells, terms, rows, width=PROTECTION_WIDTH, witness=True, binding={})
        assert _narrow(found) == _narrow(exact) == [0, 1]
        counts[spread] = dict(calls)
    # the passes gave up at once and the local LPs took over, as without the passes (going on straight to
    # exact LPs, the audit took 42 of them and no local LP)
    assert counts[True]["local"] > 0, counts
    assert counts[True]["exact"] <= counts[False]["exact"] + 4, counts


def test_cells_without_an_upper_bound_do_not_stop_the_capped_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten cells of the flows table's component have no upper bound: uncapped, a random direction had no
    optimum and the passes stopped. Capped (:meth:`disclosure_lp._Component.caps`), every LP of a pass has
    one, the passes settle the component, no local LP runs, and the narrow cells are the exact LPs'."""
    from publication import disclosure_lp

    cells, terms, rows = _table_with_unbounded_cells()
    exact = disclosure_lp.intervals(cells, terms, rows).sort("cell")
    monkeypatch.setattr(disclosure_lp, "LOCAL_MAX_UNKNOWNS", 100)
    calls = _counting_lps(monkeypatch)
    found = disclosure_lp.intervals(
        cells, terms, rows, width=PROTECTION_WIDTH, witness=True, binding={}
    ).sort("cell")
    assert _narrow(found) == _narrow(exact) == [0, 1]
    assert calls["local"] == 0, calls
    held = found.join(exact.select("cell", "lower", "upper"), on="cell", suffix="_lp")
    assert held.filter(
        (pl.col("lower_lp") > pl.col("lower") + 1e-6) | (pl.col("upper_lp") < pl.col("upper") - 1e-6)
    ).is_empty()


def test_the_capped_passes_widen_the_members_of_a_total_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """18 pairs of equal cells (the same graduates counted in two marts) under a published total of 33 on
    each side, every cell 1 to 4: uncapped, an optimum is a vertex that gives the whole total to one pair,
    so a pass widened two pairs. Capped, each pair takes what makes it wide and leaves the rest: every cell
    is wide after a few passes and no cell needs an LP of its own, and each point holds every relation and
    bound."""
    from publication import disclosure_lp

    values = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 1.0, 1.0, 2.0, 4.0, 1.0, 3.0, 4.0, 1.0, 1.0, 1.0]
    pairs = len(values)
    cells = pl.DataFrame(
        [(i, values[i % pairs], True, 0.0, float("inf"), True) for i in range(2 * pairs)],
        schema=disclosure_lp.CELLS_SCHEMA,
        orient="row",
    )
    terms = [(0, i, 1.0) for i in range(pairs)] + [(1, pairs + i, 1.0) for i in range(pairs)]
    terms += [t for i in range(pairs) for t in ((2 + i, i, 1.0), (2 + i, pairs + i, -1.0))]
    total = sum(values)
    bounds = [(0, total, total), (1, total, total)] + [(2 + i, 0.0, 0.0) for i in range(pairs)]
    terms_frame = pl.DataFrame(terms, schema=disclosure_lp.TERMS_SCHEMA, orient="row")
    rows = pl.DataFrame(bounds, schema=disclosure_lp.ROWS_SCHEMA, orient="row")
    points: list[np.ndarray] = []
    capped = disclosure_lp._Component.capped

    def recorded(self: disclosure_lp._Component, *args: np.ndarray) -> np.ndarray | None:
        point = capped(self, *args)
        if point is not None:
            points.append(point)
        return point

    monkeypatch.setattr(disclosure_lp._Component, "capped", recorded)
    calls = _counting_lps(monkeypatch)
    found = disclosure_lp.intervals(
        cells, terms_frame, rows, width=PROTECTION_WIDTH, witness=True, binding={}
    )
    assert _narrow(found) == []
    assert calls["exact"] == 0 and calls["local"] == 0, calls
    # here 6 LPs, three passes; uncapped, 16 LPs (eight passes) and two exact ones
    assert len(points) <= 8, len(points)
    for point in points:  # the component's unknowns are the cells 0 … 35 in order
        assert point.min() >= -1e-9
        assert abs(point[:pairs].sum() - total) < 1e-6 and abs(point[pairs:].sum() - total) < 1e-6
        assert np.allclose(point[:pairs], point[pairs:])


def test_a_system_built_after_another_is_the_one_built_afresh() -> None:
    """:meth:`PublishedMarts.system` keeps the relations of its last system and gives them again when the
    rankings read the same of the masks (the protection's later rounds): what it gives is what a new
    ``PublishedMarts`` builds for the same masks, whether a new mask withholds a rank or not."""
    ranking = Ranking("rank", (), "vacancies", "supply", 1.0)
    policy = MartPolicy(
        "mart_ranked",
        ("code",),
        counts=("supply", "others", "total"),
        ranks=(ranking,),
        additive=(("total", ("supply", "others")),),
    )
    frame = pl.DataFrame(
        {
            "row_id": [0, 1, 2, 3],
            "code": ["a", "b", "c", "d"],
            "vacancies": [50, 100, 60, 40],
            "supply": [3, 9, 9, 30],
            "others": [8, 2, 20, 1],
            "total": [11, 11, 29, 31],
            "rank": [1, 2, 3, 4],
        }
    )

    def masks(*cells: tuple[int, str]) -> pl.DataFrame:
        return pl.DataFrame(
            [("mart_ranked", row, column) for row, column in cells],
            schema={"table": pl.String, "row_id": pl.Int64, "column": pl.String},
            orient="row",
        )

    kept = PublishedMarts({"mart_ranked": frame}, (policy,))
    for masked in (
        masks((0, "supply")),
        masks((0, "supply"), (0, "others")),  # the ranking reads the same: the relations are kept
        masks((0, "supply"), (0, "others"), (1, "supply")),  # a rank more withheld
        masks((1, "others")),
    ):
        fresh = PublishedMarts({"mart_ranked": frame}, (policy,))
        for given, built in zip(
            kept.system(masked, min_masked=0.0, with_rates=False),
            fresh.system(masked, min_masked=0.0, with_rates=False),
            strict=True,
        ):
            assert given.equals(built)


def test_an_integer_count_seen_far_enough_apart_only_in_fractions_is_narrow() -> None:
    """Two counts, each held between 0.4 and 3.6 by a published relation (a decimal figure's rounding makes
    such bounds) and tied by a loose third: the LP relaxation lets each move 3.2, but a whole count lies in
    1 … 3, as the exact LPs round it and as an adversary who knows counts are whole reads it. The
    protector's passes see 0.4 and 3.6 and must not call that wide; the adversary's quick audit must not
    either."""
    from publication import disclosure_lp

    cells = pl.DataFrame(
        [(0, 1.0, True, 0.0, float("inf"), True), (1, 2.0, True, 0.0, float("inf"), True)],
        schema=disclosure_lp.CELLS_SCHEMA,
        orient="row",
    )
    terms = pl.DataFrame(
        [(0, 0, 1.0), (1, 1, 1.0), (2, 0, 1.0), (2, 1, -1.0)], schema=disclosure_lp.TERMS_SCHEMA, orient="row"
    )
    rows = pl.DataFrame(
        [(0, 0.4, 3.6), (1, 0.4, 3.6), (2, -10.0, 10.0)], schema=disclosure_lp.ROWS_SCHEMA, orient="row"
    )
    exact = disclosure_lp.intervals(cells.with_columns(value=None), terms, rows).sort("cell")
    assert exact.select("lower", "upper").rows() == [(1.0, 3.0), (1.0, 3.0)]
    protector = disclosure_lp.intervals(cells, terms, rows, width=PROTECTION_WIDTH, witness=True, binding={})
    adversary = disclosure_lp.intervals(cells.with_columns(value=None), terms, rows, width=PROTECTION_WIDTH)
    assert _narrow(protector) == _narrow(adversary) == [0, 1]
    assert disclosure_lp.span(0.4, 3.6, True) == 2.0 and disclosure_lp.span(0.4, 3.6, False) == pytest.approx(
        3.2
    )
