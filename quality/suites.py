"""Expectation suites: one per feed (built from the feed contracts) and one per published mart (generated
from the mart's declaration in its dbt YAML, transformation/marts.py).

Each suite is a list of ``(expectation, blocking)``; a failed blocking expectation stops publication,
a failed non-blocking one is reported as a warning. Great Expectations is imported when a suite is built,
not when this module is: importing it costs seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ingestion.contracts import FEEDS, FeedContract
from transformation.marts import (
    SUPPRESSED_COLUMNS,
    DisclosurePolicy,
    MartDeclaration,
    Plausibility,
    published_marts,
)

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

MAX_QUARANTINE_SHARE = 0.05  # a file with more than 5% of its rows quarantined blocks publication


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: str  # relation name in the validated DuckDB database
    expectations: tuple[tuple[Expectation, bool], ...]


def _expectations() -> ModuleType:
    import great_expectations as gx

    return gx.expectations


def feed_suite_name(feed: str) -> str:
    """The name of a feed's suite (its results file, its entry in ``gate.json``)."""
    return f"feed_{feed}"


def feed_suite(contract: FeedContract) -> SuiteSpec:
    expect = _expectations()
    ex: list[tuple[Expectation, bool]] = []
    for c in contract.columns:
        ex.append((expect.ExpectColumnToExist(column=c.name), True))
        if c.required:
            ex.append((expect.ExpectColumnValuesToNotBeNull(column=c.name), True))
        if c.allowed:
            ex.append((expect.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.allowed)), True))
        if c.min_value is not None or c.max_value is not None:
            ex.append(
                (
                    expect.ExpectColumnValuesToBeBetween(
                        column=c.name, min_value=c.min_value, max_value=c.max_value
                    ),
                    True,
                )
            )
        if c.pattern and c.dtype == "string":
            escaped = c.pattern.replace("{", "{{").replace("}", "}}")  # GX formats the query with {batch}
            ex.append(
                (
                    expect.UnexpectedRowsExpectation(
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
            expect.UnexpectedRowsExpectation(
                description=f"no {contract.name} file was rejected, none had over {MAX_QUARANTINE_SHARE:.0%} "
                f"of rows quarantined, and every file reconciles (read = loaded + quarantined)",
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
    return SuiteSpec(
        name=feed_suite_name(contract.name), table=f"raw_{contract.name}", expectations=tuple(ex)
    )


def _listed(column: str) -> str:
    return f"list_contains(string_split({SUPPRESSED_COLUMNS}, ','), '{column}')"


def _rows(description: str, where: str, blocking: bool = True) -> tuple[Expectation, bool]:
    """No row of the batch satisfies ``where`` (blocking, or a warning in the quality report)."""
    return _query(description, f"select * from {{batch}} where {where}", blocking)


def _query(description: str, query: str, blocking: bool) -> tuple[Expectation, bool]:
    """``query`` (over ``{batch}``) returns no row."""
    return (
        _expectations().UnexpectedRowsExpectation(description=description, unexpected_rows_query=query),
        blocking,
    )


PLAUSIBILITY = "plausibility"  # the first word of every plausibility flag's description


def plausibility_expectations(plausible: Plausibility) -> list[tuple[Expectation, bool]]:
    """Non-blocking: figures a domain expert would question are flagged in the quality report (and the
    release report), never published silently, and never stop a release."""
    ex = [
        _rows(f"{PLAUSIBILITY}: {c} above {v:g}", f"{c} > {v}", blocking=False)
        for c, v in plausible.max.items()
    ]
    ex += [
        _rows(f"{PLAUSIBILITY}: {c} below {v:g}", f"{c} < {v}", blocking=False)
        for c, v in plausible.min.items()
    ]
    for y in plausible.year_on_year:
        same = " and ".join(f"this.{b} is not distinct from earlier.{b}" for b in y.by)
        query = (
            f"select this.*, earlier.{y.column} as {y.column}_a_period_earlier from {{batch}} as this "
            f"inner join {{batch}} as earlier on {same} and earlier.{y.period} = this.{y.period} - 1 "
            f"where least(this.{y.column}, earlier.{y.column}) >= {y.min_volume} "
            f"and greatest(this.{y.column}, earlier.{y.column}) "
            f"> {y.max_factor} * least(this.{y.column}, earlier.{y.column})"
        )
        description = (
            f"{PLAUSIBILITY}: {y.column} of one {' × '.join(y.by)} changes more than {y.max_factor:g}× "
            f"from one {y.period} to the next (both at least {y.min_volume:g})"
        )
        ex.append(_query(description, query, blocking=False))
    return ex


def disclosure_expectations(policy: DisclosurePolicy, suppression_k: float) -> list[tuple[Expectation, bool]]:
    """Small-cell suppression held: no count of persons in (0, k) is published, and a count is NULL
    exactly when ``suppressed_columns`` lists it (a listed rate is NULL too)."""
    expect = _expectations()
    ex: list[tuple[Expectation, bool]] = [
        (expect.ExpectColumnValuesToNotBeNull(column=SUPPRESSED_COLUMNS), True)
    ]
    mismatch = " or ".join(
        [f"({c} is null) <> {_listed(c)}" for c in policy.counts]
        + [f"({r} is not null and {_listed(r)})" for r in [*policy.rates, *policy.withheld]]
    )
    if mismatch:  # a mart without counts of persons (counts: []) masks nothing
        ex.append(
            _rows(
                "a count is NULL exactly when suppressed_columns lists it; "
                "a listed rate, rank or level is NULL",
                mismatch,
            )
        )
    if suppression_k > 0 and policy.counts:
        small = " or ".join(f"({c} > 0 and {c} < {suppression_k})" for c in policy.counts)
        ex.append(
            _rows(f"no published count of persons is under k = {suppression_k:g} (zero is allowed)", small)
        )
    for total, parts in policy.additive:
        members = [total, *parts]
        ex.append(
            _rows(
                f"{total} = {' + '.join(parts)} never has exactly one masked member",
                " + ".join(f"({c} is null)::int" for c in members) + " = 1",
            )
        )
    return ex


# Cross-column rules that the declarations cannot say generically: (mart, description, rows that break it).
# A rule of a mart that is not published is not used (tests/unit/test_mart_declarations.py checks the names).
BESPOKE: tuple[tuple[str, str, str], ...] = (
    (
        "mart_talent_match",
        "vacancies_per_graduate = vacancy_headcount / graduates_supplied",
        (
            "graduates_supplied > 0 "
            "and abs(vacancies_per_graduate - vacancy_headcount / graduates_supplied) > 1e-6"
        ),
    ),
    (
        "mart_talent_outflow",
        "placed <= surveyed <= graduates in each round",
        (
            "placed_initial > graduates_initial_survey or graduates_initial_survey > graduates "
            "or placed_year_end > graduates_year_end_survey or graduates_year_end_survey > graduates"
        ),
    ),
    (
        "mart_talent_outflow",
        "employed <= graduates and employed_in_school_city <= employed_in_school_province",
        "employed > graduates or employed_in_school_city > employed_in_school_province",
    ),
    (
        "mart_talent_outflow",
        "province_retention_rate + outflow_rate + region_unknown_rate = 1",
        "employed > 0 and abs(province_retention_rate + outflow_rate + region_unknown_rate - 1) > 1e-9",
    ),
    (
        "mart_graduate_flows",
        "flow_type is one of the six paths",
        (
            "flow_type not in ('stayed_in_school_city', 'returned_to_origin', 'moved_within_province', "
            "'left_province', 'employer_region_unknown', 'not_employed')"
        ),
    ),
    (
        "mart_graduate_flows",
        "a not-employed path has no employer region",
        "flow_type = 'not_employed' and employer_region_code is not null",
    ),
    (
        "mart_region_attraction",
        "parts never exceed their wholes",
        (
            "employed_in_school_city > employed or returned > studied_elsewhere_employed "
            "or came_in > employed_in_region or employed_in_origin > origin_graduates_employed"
        ),
    ),
    (
        "mart_school_scorecard",
        (
            "counts nest: employed_in_school_city <= employed <= graduates, "
            "placed <= surveyed <= graduates per round"
        ),
        (
            "employed_in_school_city > employed or employed > graduates or partner_hires > employed "
            "or placed_initial > graduates_initial_survey or graduates_initial_survey > graduates "
            "or placed_year_end > graduates_year_end_survey or graduates_year_end_survey > graduates"
        ),
    ),
    (
        "mart_partner_scorecard",
        "partner_hires and hires_in_school_city <= graduates_hired",
        "partner_hires > graduates_hired or hires_in_school_city > graduates_hired",
    ),
)


def mart_suite(mart: MartDeclaration, suppression_k: float = 0) -> SuiteSpec:
    """The suite of one published mart, generated from its declaration (key, checks, disclosure policy)."""
    expect = _expectations()
    checks, policy = mart.checks, mart.disclosure
    if policy is None:
        raise ValueError(f"{mart.name} declares no disclosure policy (config.meta.disclosure)")
    ex: list[tuple[Expectation, bool]] = []
    if checks.min_rows:
        ex.append((expect.ExpectTableRowCountToBeBetween(min_value=checks.min_rows), True))
    ex.append(
        (
            expect.ExpectCompoundColumnsToBeUnique(column_list=list(mart.key))
            if len(mart.key) > 1  # GX's compound expectation wants two columns or more
            else expect.ExpectColumnValuesToBeUnique(column=mart.key[0]),
            True,
        )
    )
    ex += [(expect.ExpectColumnValuesToNotBeNull(column=c), True) for c in checks.not_null]
    ex += [(expect.ExpectColumnValuesToNotBeNull(column=c), False) for c in checks.not_null_warn]
    between = expect.ExpectColumnValuesToBeBetween
    for c in dict.fromkeys((*policy.counts, *checks.non_negative)):  # every count of persons, then the rest
        ex.append((between(column=c, min_value=0), True))
    ex += [(between(column=c, min_value=0, max_value=1), True) for c in checks.unit_interval]
    ex += [(between(column=c, min_value=v), True) for c, v in checks.min_value.items()]
    for total, parts in policy.additive:
        ex.append(_rows(f"{total} = {' + '.join(parts)}", f"{' + '.join(parts)} <> {total}"))
    ex += [_rows(description, where) for name, description, where in BESPOKE if name == mart.name]
    ex += disclosure_expectations(policy, suppression_k)
    ex += plausibility_expectations(checks.plausibility)
    return SuiteSpec(mart.name, mart.name, tuple(ex))


def mart_suites(suppression_k: float = 0, manifest: Path | None = None) -> list[SuiteSpec]:
    """Suites of the published marts; ``suppression_k`` is the k the candidate was suppressed with."""
    return [mart_suite(m, suppression_k) for m in published_marts(manifest)]


def feed_suites() -> list[SuiteSpec]:
    return [feed_suite(c) for c in FEEDS.values()]


def mart_suite_tables(manifest: Path | None = None) -> dict[str, str]:
    """Each published mart's suite and the table it reads (:func:`mart_suite`: the mart's name, both)."""
    return {m.name: m.name for m in published_marts(manifest)}


def required_suite_names(manifest: Path | None = None) -> list[str]:
    """Every suite a release's gates must account for (run, or not run: nothing new): each feed's and each
    published mart's (a mart's suite bears its name: :func:`mart_suite`)."""
    return [feed_suite_name(f) for f in FEEDS] + list(mart_suite_tables(manifest))
