"""A mart that cannot take a delivered feed's rows is marked partial in the release
(publication/availability.py)."""

from __future__ import annotations

import pytest

from publication.availability import coverage, marts_not_covering
from transformation.marts import DeclarationError, declaration_of, published_marts

COUNTS = "graduate_destination_counts"


def test_the_marts_that_need_an_employer_id_do_not_cover_counted_graduates() -> None:
    assert marts_not_covering(COUNTS) == ("mart_partner_scorecard", "mart_partnership_contribution")
    assert marts_not_covering("graduate_destinations") == ()
    assert marts_not_covering("vacancy_counts") == ("mart_enterprise_demand", "mart_partner_scorecard")


def test_a_release_with_counted_graduates_marks_those_marts_partial() -> None:
    marts = published_marts()
    inputs = [
        {"feed": "graduate_destinations", "rows_loaded": 10},
        {"feed": COUNTS, "rows_loaded": 7},
        {"feed": COUNTS, "rows_loaded": 5},
    ]
    found = coverage(inputs, marts)
    assert set(found) == {"mart_partner_scorecard", "mart_partnership_contribution"}
    assert found["mart_partner_scorecard"][0]["rows_loaded"] == 12
    assert "employer enterprise id" in found["mart_partner_scorecard"][0]["reason"]
    # no counted rows (a file of the feed that loaded nothing): every mart is complete
    assert coverage([{"feed": COUNTS, "rows_loaded": 0}], marts) == {}


@pytest.mark.parametrize(
    ("not_covered", "message"),
    [
        ({"no_such_feed": "why"}, "feeds that do not exist: ['no_such_feed']"),
        ({COUNTS: ""}, "must map feeds to reasons"),
        (["graduate_destination_counts"], "must map feeds to reasons"),
    ],
)
def test_a_malformed_not_covered_is_refused(not_covered: object, message: str) -> None:
    node = {"name": "m", "schema": "marts", "config": {"meta": {"not_covered": not_covered}}}
    with pytest.raises(DeclarationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        declaration_of(node)


def test_a_mart_that_counts_cannot_fill_does_not_block_an_inbox_of_counts() -> None:
    """An inbox of tables of counts only leaves these marts empty: an empty one must not fail the gate."""
    partial = {*marts_not_covering(COUNTS), *marts_not_covering("vacancy_counts")}
    assert partial
    assert {m.name: m.checks.min_rows for m in published_marts() if m.name in partial} == dict.fromkeys(
        partial, 0
    )
