"""Expectation suites: one per feed (built from the feed contracts) and one per published mart.

Each suite is a list of ``(expectation, blocking)``; a failed blocking expectation stops publication,
a failed non-blocking one is reported as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
from great_expectations.expectations import Expectation

from ingestion.contracts import FEEDS, FeedContract
from publication.disclosure import POLICY_BY_TABLE, SUPPRESSED_COLUMNS

MAX_QUARANTINE_SHARE = 0.05  # a file with more than 5% of its rows quarantined blocks publication


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: str  # relation name in the validated DuckDB database
    expectations: tuple[tuple[Expectation, bool], ...]


def feed_suite(contract: FeedContract) -> SuiteSpec:
    E = gx.expectations
    ex: list[tuple[Expectation, bool]] = []
    for c in contract.columns:
        ex.append((E.ExpectColumnToExist(column=c.name), True))
        if c.required:
            ex.append((E.ExpectColumnValuesToNotBeNull(column=c.name), True))
        if c.allowed:
            ex.append((E.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.allowed)), True))
        if c.min_value is not None or c.max_value is not None:
            ex.append(
                (
                    E.ExpectColumnValuesToBeBetween(
                        column=c.name, min_value=c.min_value, max_value=c.max_value
                    ),
                    True,
                )
            )
        if c.pattern and c.dtype == "string":
            escaped = c.pattern.replace("{", "{{").replace("}", "}}")  # GX formats the query with {batch}
            ex.append(
                (
                    E.UnexpectedRowsExpectation(
                        description=f"{c.name} matches {c.pattern}",
                        unexpected_rows_query=(
                            f"select * from {{batch}} where {c.name} is not null "
                            f"and not regexp_full_match({c.name}, '{escaped}')"
                        ),
                    ),
                    True,
                )
            )
    ex.append(
        (
            E.UnexpectedRowsExpectation(
                description=f"no {contract.name} file was rejected, none had over {MAX_QUARANTINE_SHARE:.0%} of rows "
                f"quarantined, and every file reconciles (read = loaded + quarantined)",
                unexpected_rows_query=(
                    f"select * from ingest_files where feed = '{contract.name}' and (status = 'rejected' "
                    f"or rows_quarantined > {MAX_QUARANTINE_SHARE} * rows_read "
                    f"or rows_read <> rows_loaded + rows_quarantined) "
                    f"and (select count(*) from {{batch}}) >= 0"
                ),
            ),
            True,
        )
    )
    return SuiteSpec(name=f"feed_{contract.name}", table=f"raw_{contract.name}", expectations=tuple(ex))


def _rate(column: str) -> tuple[Expectation, bool]:
    return gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1), True


def _listed(column: str) -> str:
    return f"list_contains(string_split({SUPPRESSED_COLUMNS}, ','), '{column}')"


def disclosure_expectations(table: str, suppression_k: float) -> list[tuple[Expectation, bool]]:
    """Small-cell suppression held: no count of persons in (0, k) is published, and a count is NULL
    exactly when ``suppressed_columns`` lists it (a listed rate is NULL too)."""
    E = gx.expectations
    policy = POLICY_BY_TABLE[table]
    ex: list[tuple[Expectation, bool]] = [(E.ExpectColumnValuesToNotBeNull(column=SUPPRESSED_COLUMNS), True)]
    listed_mismatch = " or ".join(
        [f"({c} is null) <> {_listed(c)}" for c in policy.counts]
        + [f"({r} is not null and {_listed(r)})" for r in policy.rates]
    )
    ex.append(
        (
            E.UnexpectedRowsExpectation(
                description="a count is NULL exactly when suppressed_columns lists it; a listed rate is NULL",
                unexpected_rows_query=f"select * from {{batch}} where {listed_mismatch}",
            ),
            True,
        )
    )
    if suppression_k > 0:
        small = " or ".join(f"({c} > 0 and {c} < {suppression_k})" for c in policy.counts)
        ex.append(
            (
                E.UnexpectedRowsExpectation(
                    description=f"no published count of persons is under k = {suppression_k:g} (zero is allowed)",
                    unexpected_rows_query=f"select * from {{batch}} where {small}",
                ),
                True,
            )
        )
    for total, parts in policy.additive:
        members = [total, *parts]
        ex.append(
            (
                E.UnexpectedRowsExpectation(
                    description=f"{total} = {' + '.join(parts)} never has exactly one masked member",
                    unexpected_rows_query="select * from {batch} where "
                    + " + ".join(f"({c} is null)::int" for c in members)
                    + " = 1",
                ),
                True,
            )
        )
    return ex


def mart_suites(suppression_k: float = 0) -> list[SuiteSpec]:
    """Suites of the published marts; ``suppression_k`` is the k the candidate was suppressed with."""
    suites = _mart_suites()
    return [
        SuiteSpec(s.name, s.table, (*s.expectations, *disclosure_expectations(s.table, suppression_k)))
        for s in suites
    ]


def _mart_suites() -> list[SuiteSpec]:
    E = gx.expectations
    match = SuiteSpec(
        "mart_talent_match",
        "mart_talent_match",
        (
            (E.ExpectTableRowCountToBeBetween(min_value=1), True),
            (
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["region_level", "region_code", "industry_level", "industry_code", "year"]
                ),
                True,
            ),
            *[
                (E.ExpectColumnValuesToNotBeNull(column=c), True)
                for c in ("region_code", "industry_code", "year", "vacancy_headcount")
            ],
            (E.ExpectColumnValuesToBeBetween(column="graduates_supplied", min_value=0), True),
            (E.ExpectColumnValuesToBeBetween(column="vacancy_headcount", min_value=0), True),
            (E.ExpectColumnValuesToBeBetween(column="demand_supply_ratio", min_value=0), True),
            _rate("major_fit_rate"),
            (E.ExpectColumnValuesToNotBeNull(column="region_name"), False),
            (
                E.UnexpectedRowsExpectation(
                    description="demand_supply_ratio = vacancy_headcount / graduates_supplied",
                    unexpected_rows_query="select * from {batch} where graduates_supplied > 0 and "
                    "abs(demand_supply_ratio - vacancy_headcount / graduates_supplied) > 1e-6",
                ),
                True,
            ),
        ),
    )
    outflow = SuiteSpec(
        "mart_talent_outflow",
        "mart_talent_outflow",
        (
            (E.ExpectTableRowCountToBeBetween(min_value=1), True),
            (
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["region_level", "region_code", "major_code", "grad_year"]
                ),
                True,
            ),
            _rate("placement_rate"),
            (
                E.UnexpectedRowsExpectation(
                    description="placed <= graduates",
                    unexpected_rows_query="select * from {batch} where placed > graduates",
                ),
                True,
            ),
            *[
                (E.ExpectColumnValuesToNotBeNull(column=c), True)
                for c in ("region_code", "major_code", "grad_year")
            ],
            *[
                _rate(c)
                for c in ("city_retention_rate", "retention_rate", "outflow_rate", "region_unknown_rate")
            ],
            (
                E.UnexpectedRowsExpectation(
                    description="employed <= graduates and the employment split adds up",
                    unexpected_rows_query="select * from {batch} where employed > graduates or employed_in_school_city > "
                    "employed_in_school_province or employed_in_school_province + "
                    "employed_outside_province + employed_region_unknown <> employed",
                ),
                True,
            ),
            (
                E.UnexpectedRowsExpectation(
                    description="retention_rate + outflow_rate + region_unknown_rate = 1",
                    unexpected_rows_query="select * from {batch} where employed > 0 and "
                    "abs(retention_rate + outflow_rate + region_unknown_rate - 1) > 1e-9",
                ),
                True,
            ),
        ),
    )
    occupation = SuiteSpec(
        "mart_talent_match_occupation",
        "mart_talent_match_occupation",
        (
            (E.ExpectTableRowCountToBeBetween(min_value=1), True),
            (
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["region_level", "region_code", "occupation_level", "occupation_code", "year"]
                ),
                True,
            ),
            (E.ExpectColumnValuesToBeBetween(column="graduates_supplied", min_value=0), True),
            (E.ExpectColumnValuesToBeBetween(column="demand_supply_ratio", min_value=0), True),
            _rate("major_fit_rate"),
        ),
    )
    flows = SuiteSpec(
        "mart_graduate_flows",
        "mart_graduate_flows",
        (
            (E.ExpectTableRowCountToBeBetween(min_value=1), True),
            (
                E.ExpectColumnValuesToBeInSet(
                    column="flow_type",
                    value_set=[
                        "stayed_in_school_city",
                        "returned_to_origin",
                        "moved_within_province",
                        "left_province",
                        "employer_region_unknown",
                        "not_employed",
                    ],
                ),
                True,
            ),
            (E.ExpectColumnValuesToBeBetween(column="graduates", min_value=1), True),
            (
                E.UnexpectedRowsExpectation(
                    description="a not-employed path has no employer region",
                    unexpected_rows_query="select * from {batch} where flow_type = 'not_employed' "
                    "and employer_region_code is not null",
                ),
                True,
            ),
        ),
    )
    attraction = SuiteSpec(
        "mart_region_attraction",
        "mart_region_attraction",
        (
            (E.ExpectTableRowCountToBeBetween(min_value=1), True),
            (E.ExpectCompoundColumnsToBeUnique(column_list=["region_code", "grad_year"]), True),
            *[
                _rate(c)
                for c in (
                    "stay_rate",
                    "origin_return_rate",
                    "return_rate",
                    "inflow_share",
                    "attraction_index",
                )
            ],
            (
                E.UnexpectedRowsExpectation(
                    description="parts never exceed their wholes",
                    unexpected_rows_query="select * from {batch} where stayed > school_graduates_employed or returned > "
                    "studied_elsewhere_employed or came_in > employed_in_region or employed_in_origin "
                    "> origin_graduates_employed",
                ),
                True,
            ),
        ),
    )
    shortage = SuiteSpec(
        "mart_shortage_list",
        "mart_shortage_list",
        (
            (
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["region_code", "year", "classification", "code"]
                ),
                True,
            ),
            (E.ExpectColumnValuesToBeBetween(column="shortage_index", min_value=1.5), True),
            (E.ExpectColumnValuesToBeBetween(column="vacancy_headcount", min_value=20), True),
            (E.ExpectColumnValuesToNotBeNull(column="shortage_rank"), True),
        ),
    )
    alignment = SuiteSpec(
        "mart_structure_alignment",
        "mart_structure_alignment",
        (
            (E.ExpectCompoundColumnsToBeUnique(column_list=["region_code", "year"]), True),
            *[
                _rate(c)
                for c in (
                    "output_dissimilarity_index",
                    "output_alignment_index",
                    "employment_dissimilarity_index",
                    "employment_alignment_index",
                )
            ],
        ),
    )
    school = SuiteSpec(
        "mart_school_scorecard",
        "mart_school_scorecard",
        (
            (E.ExpectTableRowCountToBeBetween(min_value=1), True),
            (E.ExpectCompoundColumnsToBeUnique(column_list=["school_code", "grad_year"]), True),
            *[
                _rate(c)
                for c in (
                    "placement_rate",
                    "local_employment_rate",
                    "partner_hire_rate",
                    "major_fit_rate",
                    "order_class_partner_hire_rate",
                    "apprenticeship_partner_hire_rate",
                )
            ],
            (
                E.UnexpectedRowsExpectation(
                    description="counts nest: employed_locally <= employed <= placed <= graduates",
                    unexpected_rows_query="select * from {batch} where employed_locally > employed or employed > placed "
                    "or placed > graduates or partner_hires > employed",
                ),
                True,
            ),
            (E.ExpectColumnValuesToNotBeNull(column="school_name"), False),
        ),
    )
    partner = SuiteSpec(
        "mart_partner_scorecard",
        "mart_partner_scorecard",
        (
            (E.ExpectCompoundColumnsToBeUnique(column_list=["enterprise_id", "year"]), True),
            *[_rate(c) for c in ("local_hire_rate", "major_fit_rate")],
            (
                E.UnexpectedRowsExpectation(
                    description="partner_hires and local_hires <= graduates_hired",
                    unexpected_rows_query="select * from {batch} where partner_hires > graduates_hired "
                    "or local_hires > graduates_hired",
                ),
                True,
            ),
        ),
    )
    return [match, occupation, outflow, flows, attraction, shortage, alignment, school, partner]


def feed_suites() -> list[SuiteSpec]:
    return [feed_suite(c) for c in FEEDS.values()]


PUBLISHED_MARTS: tuple[str, ...] = tuple(s.name for s in _mart_suites())
