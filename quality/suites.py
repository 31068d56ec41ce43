"""Expectation suites: one per feed (built from the feed contracts) and one per published mart.

Each suite is a list of ``(expectation, blocking)``; a failed blocking expectation stops publication,
a failed non-blocking one is reported as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
from great_expectations.expectations import Expectation

from ingestion.contracts import FEEDS, FeedContract

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
            ex.append((E.ExpectColumnValuesToBeBetween(column=c.name, min_value=c.min_value,
                                                       max_value=c.max_value), True))
        if c.pattern and c.dtype == "string":
            escaped = c.pattern.replace("{", "{{").replace("}", "}}")  # GX formats the query with {batch}
            ex.append((E.UnexpectedRowsExpectation(
                description=f"{c.name} matches {c.pattern}",
                unexpected_rows_query=(f"select * from {{batch}} where {c.name} is not null "
                                       f"and not regexp_full_match({c.name}, '{escaped}')")), True))
    ex.append((E.UnexpectedRowsExpectation(
        description=f"no {contract.name} file was rejected, none had over {MAX_QUARANTINE_SHARE:.0%} of rows "
                    f"quarantined, and every file reconciles (read = loaded + quarantined)",
        unexpected_rows_query=(
            f"select * from ingest_files where feed = '{contract.name}' and (status = 'rejected' "
            f"or rows_quarantined > {MAX_QUARANTINE_SHARE} * rows_read "
            f"or rows_read <> rows_loaded + rows_quarantined) "
            f"and (select count(*) from {{batch}}) >= 0")), True))
    return SuiteSpec(name=f"feed_{contract.name}", table=f"raw_{contract.name}", expectations=tuple(ex))


def _rate(column: str) -> tuple[Expectation, bool]:
    return gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1), True


def mart_suites() -> list[SuiteSpec]:
    E = gx.expectations
    match = SuiteSpec("mart_talent_match", "mart_talent_match", (
        (E.ExpectTableRowCountToBeBetween(min_value=1), True),
        (E.ExpectCompoundColumnsToBeUnique(column_list=["region_code", "industry_code", "year"]), True),
        *[(E.ExpectColumnValuesToNotBeNull(column=c), True)
          for c in ("region_code", "industry_code", "year", "graduates_supplied", "vacancy_headcount")],
        (E.ExpectColumnValuesToBeBetween(column="graduates_supplied", min_value=0), True),
        (E.ExpectColumnValuesToBeBetween(column="vacancy_headcount", min_value=0), True),
        (E.ExpectColumnValuesToBeBetween(column="demand_supply_ratio", min_value=0), True),
        _rate("major_fit_rate"),
        (E.ExpectColumnValuesToNotBeNull(column="region_name"), False),
        (E.UnexpectedRowsExpectation(
            description="demand_supply_ratio = vacancy_headcount / graduates_supplied",
            unexpected_rows_query="select * from {batch} where graduates_supplied > 0 and "
                                  "abs(demand_supply_ratio - vacancy_headcount / graduates_supplied) > 1e-6"), True),
    ))
    outflow = SuiteSpec("mart_talent_outflow", "mart_talent_outflow", (
        (E.ExpectTableRowCountToBeBetween(min_value=1), True),
        (E.ExpectCompoundColumnsToBeUnique(column_list=["region_code", "major_code", "grad_year"]), True),
        *[(E.ExpectColumnValuesToNotBeNull(column=c), True)
          for c in ("region_code", "major_code", "grad_year", "graduates", "employed")],
        *[_rate(c) for c in ("city_retention_rate", "retention_rate", "outflow_rate", "region_unknown_rate")],
        (E.UnexpectedRowsExpectation(
            description="employed <= graduates and the employment split adds up",
            unexpected_rows_query="select * from {batch} where employed > graduates or employed_in_school_city > "
                                  "employed_in_school_province or employed_in_school_province + "
                                  "employed_outside_province + employed_region_unknown <> employed"), True),
        (E.UnexpectedRowsExpectation(
            description="retention_rate + outflow_rate + region_unknown_rate = 1",
            unexpected_rows_query="select * from {batch} where employed > 0 and "
                                  "abs(retention_rate + outflow_rate + region_unknown_rate - 1) > 1e-9"), True),
    ))
    return [match, outflow]


def feed_suites() -> list[SuiteSpec]:
    return [feed_suite(c) for c in FEEDS.values()]


PUBLISHED_MARTS: tuple[str, ...] = ("mart_talent_match", "mart_talent_outflow")
