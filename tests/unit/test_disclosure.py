"""Small-cell suppression: primary, secondary (hierarchies and within-row sums), rates, and the
property that no published relation leaves exactly one masked cell to be solved for."""

from __future__ import annotations

import random

import duckdb
import polars as pl
import pytest

from publication.disclosure import (
    REGION,
    MartPolicy,
    apply_to_database,
    mask_cells,
    relations,
    unsafe_relations,
)

K = 5
POLICY = MartPolicy(
    "mart_test",
    ("region_level", "region_code", "grad_year"),
    counts=("employed", "stayed", "left", "unknown"),
    rates={"city_retention_rate": ("stayed", "employed")},
    additive=(("employed", ("stayed", "left", "unknown")),),
    hierarchies=(REGION,),
)


def _frame(rows: list[tuple]) -> pl.DataFrame:
    return (
        pl.DataFrame(
            rows,
            orient="row",
            schema=["region_level", "region_code", "grad_year", "employed", "stayed", "left", "unknown"],
        )
        .with_row_index("row_id")
        .with_columns(
            pl.col("row_id").cast(pl.Int64), city_retention_rate=pl.col("stayed") / pl.col("employed")
        )
    )


def _masked(frame: pl.DataFrame, policy: MartPolicy = POLICY) -> set[tuple[int, str, str]]:
    return set(mask_cells(frame, policy, K).iter_rows())


def test_primary_masks_counts_between_zero_and_k_only() -> None:
    frame = _frame(
        [
            ("prefecture", "320100", 2024, 20, 10, 10, 0),  # 0 is published: it identifies nobody
            ("prefecture", "320200", 2025, 20, 5, 15, 0),
        ]
    )  # 5 = k is published
    assert _masked(frame) == set()
    frame = _frame([("prefecture", "320100", 2024, 20, 4.5, 15.5, 0)])  # fractional counts too
    masks = _masked(frame)
    assert (0, "stayed", "primary") in masks


def test_secondary_protects_a_within_row_sum() -> None:
    # employed 20 = stayed 3 + left 17 + unknown 0: 3 alone would be 20 - 17 - 0
    masks = _masked(_frame([("prefecture", "320100", 2024, 20, 3, 17, 0)]))
    assert {(0, "stayed", "primary"), (0, "left", "secondary"), (0, "city_retention_rate", "rate")} <= masks
    assert (0, "unknown", "secondary") not in masks  # a zero is masked only when nothing else is left


def test_secondary_protects_a_hierarchy_total() -> None:
    # province 320000 = 320100 + 320200 + 320300; masking only 320100's 3 would reveal it as 25 - 10 - 12
    rows = [
        ("prefecture", "320100", 2024, 10, 3, 7, 0),
        ("prefecture", "320200", 2024, 20, 10, 10, 0),
        ("prefecture", "320300", 2024, 30, 12, 18, 0),
        ("province", "320000", 2024, 60, 25, 35, 0),
    ]
    masks = _masked(_frame(rows))
    stayed = {(r, reason) for r, c, reason in masks if c == "stayed"}
    assert stayed == {(0, "primary"), (1, "secondary")}  # the smallest other member
    # a different year is a different relation: the 3 is masked, nothing more
    hierarchy_only = MartPolicy("t", POLICY.key, POLICY.counts, hierarchies=(REGION,))
    assert _masked(
        _frame([("prefecture", "320100", 2023, 10, 3, 7, 0), ("province", "320000", 2024, 60, 25, 35, 0)]),
        hierarchy_only,
    ) == {(0, "stayed", "primary")}


def test_a_hierarchy_without_its_published_total_is_no_relation() -> None:
    frame = _frame(
        [("prefecture", "320100", 2024, 10, 6, 4, 0), ("prefecture", "320200", 2024, 20, 3, 17, 0)]
    )
    assert relations(frame, MartPolicy("t", POLICY.key, ("stayed",), hierarchies=(REGION,))).is_empty()


def test_rates_over_masked_counts_are_masked() -> None:
    masks = _masked(_frame([("prefecture", "320100", 2024, 3, 1, 2, 0)]))
    assert (0, "city_retention_rate", "rate") in masks


@pytest.mark.parametrize("seed", range(40))
def test_no_relation_keeps_exactly_one_masked_cell(seed: int) -> None:
    rng = random.Random(seed)
    rows: list[tuple] = []
    for year in (2023, 2024):
        for province in ("320000", "330000"):
            children = []
            for city in range(1, rng.randint(2, 5)):
                parts = [rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40]) for _ in range(3)]
                children.append(parts)
                rows.append(("prefecture", f"{province[:2]}{city:02d}00", year, sum(parts), *parts))
            totals = [sum(c[i] for c in children) for i in range(3)]
            rows.append(("province", province, year, sum(totals), *totals))
    frame = _frame(rows)
    masks = mask_cells(frame, POLICY, K)
    cells = (
        frame.select("row_id", *[pl.col(c).cast(pl.Float64) for c in POLICY.counts])
        .unpivot(index="row_id", variable_name="column", value_name="value")
        .join(
            masks.select("row_id", "column", pl.lit(True).alias("masked")),
            on=["row_id", "column"],
            how="left",
        )
        .with_columns(pl.col("masked").fill_null(False))
    )
    assert unsafe_relations(cells, relations(frame, POLICY)).is_empty()
    small = cells.filter((pl.col("value") > 0) & (pl.col("value") < K))
    assert small["masked"].all()


def _random_rows(rng: random.Random) -> list[tuple]:
    """Prefectures and their province total over two years, with many equal small counts (ties)."""
    rows: list[tuple] = []
    for year in (2023, 2024):
        for province in ("320000", "330000"):
            children = []
            for city in range(1, rng.randint(3, 7)):
                parts = [rng.choice([0, 1, 3, 6, 6, 6, 9, 40]) for _ in range(3)]
                children.append(parts)
                rows.append(("prefecture", f"{province[:2]}{city:02d}00", year, sum(parts), *parts))
            totals = [sum(c[i] for c in children) for i in range(3)]
            rows.append(("province", province, year, sum(totals), *totals))
    return rows


@pytest.mark.parametrize("seed", range(20))
def test_masks_do_not_depend_on_the_order_of_the_rows(seed: int) -> None:
    # the DuckDB and the Spark build write the same rows in different orders: the release must not differ
    rng = random.Random(seed)
    rows = _random_rows(rng)
    shuffled = rows[:]
    rng.shuffle(shuffled)

    def by_key(rows: list[tuple]) -> set[tuple]:
        frame = _frame(rows)
        keys = dict(
            zip(
                frame["row_id"],
                zip(frame["region_level"], frame["region_code"], frame["grad_year"], strict=True),
                strict=True,
            )
        )
        return {(keys[r], c, reason) for r, c, reason in mask_cells(frame, POLICY, K).iter_rows()}

    assert by_key(rows) == by_key(shuffled)


def _masks_looking_at_every_relation(
    frame: pl.DataFrame, policy: MartPolicy, already: pl.DataFrame | None = None
) -> set[tuple]:
    """mask_cells' secondary suppression as first written: every relation examined again in every pass,
    by joins of polars frames."""
    from publication.disclosure import _count_cells, _primary, rate_masks

    cells = (
        _count_cells(frame, policy)
        .with_columns(masked=_primary(K))
        .with_columns(
            reason=pl.when(pl.col("masked")).then(pl.lit("primary")).otherwise(pl.lit(None, pl.String))
        )
    )
    if already is not None:
        cells = (
            cells.join(already.rename({"reason": "_given"}), on=["row_id", "column"], how="left")
            .with_columns(
                masked=pl.col("masked") | pl.col("_given").is_not_null(),
                reason=pl.coalesce("reason", "_given"),
            )
            .drop("_given")
        )
    rels = relations(frame, policy)
    key_order = (
        frame.select("row_id", *policy.key)
        .sort(list(policy.key), nulls_last=True)
        .select(pl.col("row_id").cast(pl.Int64), pl.int_range(pl.len()).alias("key_order"))
    )
    while not (unsafe := unsafe_relations(cells, rels)).is_empty():
        picked = (
            rels.join(unsafe.select("relation"), on="relation")
            .join(cells.filter(~pl.col("masked")), on=["row_id", "column"])
            .join(key_order, on="row_id")
            .sort(pl.col("value") == 0, "value", "key_order", "column")
            .group_by("relation", maintain_order=True)
            .first()
            .select("row_id", "column", _pick=pl.lit(True))
            .unique()
        )
        cells = (
            cells.join(picked, on=["row_id", "column"], how="left")
            .with_columns(
                masked=pl.col("masked") | pl.col("_pick").fill_null(False),
                reason=pl.when(pl.col("_pick").fill_null(False))
                .then(pl.lit("secondary"))
                .otherwise("reason"),
            )
            .drop("_pick")
        )
    masked = cells.filter("masked").select("row_id", "column", "reason")
    return set(pl.concat([masked, rate_masks(masked, policy)]).iter_rows())


@pytest.mark.parametrize("seed", range(30))
def test_masks_given_by_the_linked_protection_and_null_counts_as_first_written(seed: int) -> None:
    """The linked protection calls mask_cells after each round with the cells it masked (``already``) and
    the table's relations derived once (``TableRelations``); counts may be null. The masks are those of
    the polars joins first written, whatever the calls before."""
    from publication.disclosure import TableRelations

    rng = random.Random(seed)
    rows = [
        tuple(None if i >= 3 and rng.random() < 0.1 else v for i, v in enumerate(row))
        for row in _random_rows(rng)
    ]
    frame = _frame(rows)
    table = TableRelations.of(frame, POLICY)
    cells = frame.select("row_id", *POLICY.counts).unpivot(index="row_id", variable_name="column")
    for _ in range(3):
        given = cells.filter(pl.Series([rng.random() < 0.15 for _ in range(cells.height)])).select(
            "row_id", "column", reason=pl.lit("linked")
        )
        masks = set(mask_cells(frame, POLICY, K, given, table).iter_rows())
        assert masks == _masks_looking_at_every_relation(frame, POLICY, given)


@pytest.mark.parametrize("seed", range(30))
def test_secondary_suppression_looks_again_only_where_the_last_pass_masked(seed: int) -> None:
    """After its first pass, mask_cells examines only the relations of the cells the last pass masked: a
    relation becomes unsafe (one masked member) only through a newly masked cell. The masks are those of
    looking at every relation in every pass."""
    frame = _frame(_random_rows(random.Random(seed)))
    assert _masked(frame) == _masks_looking_at_every_relation(frame, POLICY)


def test_apply_to_database_nulls_cells_and_lists_them_in_column_order() -> None:
    con = duckdb.connect()
    con.execute("""create table mart_test (region_level varchar, region_code varchar, grad_year integer,
                   employed bigint, stayed bigint, left_ bigint, unknown bigint, city_retention_rate double,
                   suppressed_columns varchar)""")
    con.execute(
        "insert into mart_test values ('prefecture', '320100', 2024, 20, 3, 17, 0, 0.15, ''), "
        "('prefecture', '320200', 2024, 20, 10, 10, 0, 0.5, '')"
    )
    policy = MartPolicy(
        "mart_test",
        POLICY.key,
        counts=("employed", "stayed", "left_", "unknown"),
        rates={"city_retention_rate": ("stayed", "employed")},
        additive=(("employed", ("stayed", "left_", "unknown")),),
    )
    summary = apply_to_database(con, K, (policy,))
    assert summary["mart_test"] == {
        "cells_primary": 1,
        "cells_secondary": 1,
        "cells_linked": 0,
        "cells_rate": 1,
        "cells_withheld": 0,
        "rows_with_suppression": 1,
    }
    rows = con.execute(
        "select region_code, employed, stayed, left_, city_retention_rate, suppressed_columns "
        "from mart_test order by region_code"
    ).fetchall()
    assert rows == [
        ("320100", 20, None, None, None, "stayed,left_,city_retention_rate"),
        ("320200", 20, 10, 10, 0.5, ""),
    ]
    assert con.execute(
        "select data_type from information_schema.columns where table_name = 'mart_test' "
        "and column_name = 'stayed'"
    ).fetchone() == ("BIGINT",)


def test_a_level_or_rank_is_withheld_with_the_counts_it_was_decided_from() -> None:
    """A level (a side of a threshold) or a rank (a place among published figures) of a row whose input count
    is masked would bound the masked figure: it is withheld with it (config.meta.disclosure.withheld)."""
    con = duckdb.connect()
    con.execute("""create table mart_levels (region_level varchar, region_code varchar, grad_year integer,
                   graduates bigint, placed bigint, placement_rate double, warning_level varchar,
                   warning_rank integer, suppressed_columns varchar)""")
    con.execute(
        "insert into mart_levels values ('prefecture', '320100', 2024, 40, 3, 0.075, 'red', 1, ''), "
        "('prefecture', '320200', 2024, 40, 38, 0.95, 'green', 2, ''), "
        "('prefecture', '320300', 2024, 3, 3, 1.0, 'insufficient_data', 3, '')"
    )
    policy = MartPolicy(
        "mart_levels",
        POLICY.key,
        counts=("graduates", "placed"),
        rates={"placement_rate": ("placed", "graduates")},
        withheld={"warning_level": ("graduates", "placed"), "warning_rank": ("placed",)},
    )
    summary = apply_to_database(con, K, (policy,))
    assert summary["mart_levels"]["cells_withheld"] == 4  # the level and the rank of 320100 and of 320300
    rows = con.execute(
        "select region_code, placed, warning_level, warning_rank, suppressed_columns from mart_levels "
        "order by region_code"
    ).fetchall()
    assert rows == [
        ("320100", None, None, None, "placed,placement_rate,warning_level,warning_rank"),
        ("320200", 38, "green", 2, ""),
        # graduates 3 and placed 3 are masked; the rank follows only placed, which is masked too
        ("320300", None, None, None, "graduates,placed,placement_rate,warning_level,warning_rank"),
    ]


def test_the_published_level_and_rank_declarations_withhold_them_with_masked_inputs() -> None:
    """The declarations in the dbt YAML (config.meta.disclosure.withheld): a major's warning level and
    reasons, and a shortage list row's rank and level, are withheld where a count they come from is masked."""
    from publication.disclosure import policy_for

    warning = policy_for("mart_major_warning")
    frame = pl.DataFrame(
        {
            "row_id": [0, 1],
            "region_level": ["prefecture", "prefecture"],
            "region_code": ["320500", "320500"],
            "major_code": ["460701", "460702"],
            "grad_year": [2024, 2024],
            "graduates": [40, 40],
            "graduates_initial_survey": [40, 40],
            "placed_initial": [38, 30],
            "graduates_year_end_survey": [0, 0],
            "placed_year_end": [0, 0],
            "employed": [30, 30],
            "employed_major_related": [3, 20],  # 3 < k: masked, and the level says which side of 50% it is on
            "employed_in_school_city": [20, 20],
            "employed_in_school_province": [25, 25],
            "employed_outside_province": [5, 5],
            "employed_region_unknown": [0, 0],
            "served_graduates_supplied": [50.0, 50.0],
        }
    ).with_columns(pl.col("row_id").cast(pl.Int64))
    masks = {(r, c) for r, c, _ in mask_cells(frame, warning, K).iter_rows()}
    withheld = {
        "warning_level",
        "warning_level_name",
        "warning_reason_codes",
        "warning_reasons",
        "placement_round",
    }
    assert {(0, c) for c in withheld} <= masks
    assert not {(1, c) for c in withheld} & masks
    # the rank and level of a shortage row are withheld with the count its rule ranks by: the supply, or (the
    # occupation list's job-seeker rule, MOHRSS 最缺工) the job seekers
    for table, inputs in (
        ("mart_shortage_industries", ("graduates_supplied",)),
        ("mart_shortage_occupations", ("graduates_supplied", "job_seekers")),
    ):
        shortage = policy_for(table)
        assert set(shortage.withheld) == {"shortage_rank", "shortage_level"}, table
        assert all(deps == inputs for deps in shortage.withheld.values()), table
        assert {r.denominator for r in shortage.ranks} == set(inputs), table


def test_the_major_warning_masks_the_counts_it_shares_with_the_outflow_mart_alike() -> None:
    """mart_major_warning and mart_talent_outflow publish the same counts for the same region × major × year:
    were one to mask a cell the other publishes, the other would give it away. Declared with the same
    relations, they mask them alike (random figures, two cities and their province)."""
    from publication.disclosure import policy_for

    warning, outflow = policy_for("mart_major_warning"), policy_for("mart_talent_outflow")
    shared = sorted(set(warning.counts) & set(outflow.counts))
    assert {
        "graduates",
        "placed_initial",
        "employed",
        "employed_in_school_city",
        "employed_region_unknown",
    } <= set(shared)
    rng = random.Random(16)
    rows = []
    for major in ("460701", "460702", "510201"):
        cities = []
        for city in ("320100", "320200"):
            inside, outside, unknown = rng.randint(0, 12), rng.randint(0, 6), rng.randint(0, 3)
            employed = inside + outside + unknown
            graduates = employed + rng.randint(0, 8)
            cities.append(
                (
                    graduates,
                    graduates - rng.randint(0, graduates - employed),
                    employed,
                    inside,
                    outside,
                    unknown,
                )
            )
            rows.append(("prefecture", city, major, 2024, *cities[-1], rng.randint(0, inside)))
        total = tuple(a + b for a, b in zip(cities[0], cities[1], strict=True))
        rows.append(("province", "320000", major, 2024, *total, total[3]))
    frame = (
        pl.DataFrame(
            rows,
            orient="row",
            schema=[
                "region_level",
                "region_code",
                "major_code",
                "grad_year",
                "graduates",
                "placed_initial",
                "employed",
                "employed_in_school_province",
                "employed_outside_province",
                "employed_region_unknown",
                "employed_in_school_city",
            ],
        )
        .with_row_index("row_id")
        .with_columns(
            pl.col("row_id").cast(pl.Int64),
            graduates_initial_survey=pl.col("graduates"),
            graduates_year_end_survey=pl.col("graduates") // 3,
            placed_year_end=pl.col("graduates") // 4,
            employed_major_related=pl.col("employed") // 2,
            served_graduates_supplied=pl.lit(40.0),
        )
    )

    def masked(policy: MartPolicy) -> set[tuple[int, str]]:
        return {(r, c) for r, c, _ in mask_cells(frame, policy, K).iter_rows() if c in shared}

    assert masked(warning) == masked(outflow)
    assert masked(warning)  # the figures are small enough that something is masked


@pytest.mark.parametrize("seed", range(6))
def test_linked_system_numbers_relations_in_the_order_of_their_names(seed: int) -> None:
    """The relations numbered once (``numbered``) and the round's own ones (``terms``, some with a name
    already numbered, some new, some sorting before, between or after the others) are numbered 1, 2, … in
    the order of all their names, each term with its own relation's number."""
    from publication.disclosure import ROWS_FRAME_SCHEMA, TERMS_FRAME_SCHEMA, NumberedTerms, linked_system

    rng = random.Random(seed)
    cells = pl.DataFrame(
        {"cell": range(40), "table": ["t"] * 40, "row_id": range(40), "column": ["c"] * 40},
        schema={"cell": pl.Int64, "table": pl.String, "row_id": pl.Int64, "column": pl.String},
    )
    words = [f"{rng.choice('abcxyz')}{rng.randint(0, 99)}" for _ in range(30)]

    def frame(names: list[str]) -> pl.DataFrame:
        rows = [(n, "t", rng.randrange(40), "c", rng.choice([1.0, -1.0])) for n in names]
        return pl.DataFrame(rows, schema=TERMS_FRAME_SCHEMA, orient="row")

    fixed = frame([rng.choice(words[:20]) for _ in range(60)] if seed else [])
    extra = frame([rng.choice(words[10:]) for _ in range(rng.randint(0, 25))])
    numbered = NumberedTerms.of(fixed.join(cells, on=["table", "row_id", "column"]))
    bounded = sorted(set(extra["relation"].to_list()) | set(words[:2]))[:3]  # an inequality per such name
    inequalities = pl.DataFrame(
        {
            "relation": bounded,
            "lo": [float(-i) for i in range(len(bounded))],
            "hi": [float(i) for i in range(len(bounded))],
        },
        schema=ROWS_FRAME_SCHEMA,
    )
    lp_terms, bounds = linked_system(cells, extra, inequalities, numbered=numbered)
    every = pl.concat(
        [
            numbered.terms.select("relation", "cell", "coef"),
            extra.join(cells, on=["table", "row_id", "column"]).select("relation", "cell", "coef"),
        ]
    )
    names = every["relation"].unique().sort()
    assert lp_terms["relation"].to_list() == (names.search_sorted(every["relation"]) + 1).to_list()
    assert lp_terms["cell"].to_list() == every["cell"].to_list()
    assert bounds["relation"].to_list() == list(range(1, names.len() + 1))
    for i, name in enumerate(bounded):
        if name in names:
            row = bounds.row(names.search_sorted(name), named=True)
            assert (row["lo"], row["hi"]) == (float(-i), float(i)), name
