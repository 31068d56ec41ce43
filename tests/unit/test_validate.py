"""Contract validation: every bad value is quarantined with a reason naming column, value and rule."""

from __future__ import annotations

import json

import polars as pl

from ingestion.contracts import GRADUATE_DESTINATIONS, VACANCIES
from ingestion.validate import apply_contract
from tests.conftest import graduate_row, vacancy_rows


def _frame(rows: list[dict]) -> pl.DataFrame:
    return (
        pl.DataFrame(rows)
        .with_row_index("source_row", offset=2)
        .with_columns(pl.col("source_row").cast(pl.Int64))
    )


def _reasons(result) -> dict[int, str]:
    return dict(result.quarantined.select("source_row", "reason").iter_rows())


def test_clean_rows_are_typed() -> None:
    result = apply_contract(_frame(vacancy_rows()), VACANCIES)
    assert result.quarantined.height == 0
    loaded = result.loaded
    assert loaded.schema["headcount"] == pl.Int64
    assert loaded.schema["posted_date"] == pl.Date
    assert loaded["required_major_codes"].to_list()[0] == ["460702", "460701"]
    assert loaded["closed_date"].to_list() == [None, None, None]


def test_codes_are_normalised_not_guessed() -> None:
    rows = vacancy_rows(3)
    rows[0]["region_code"] = "３２０５０５"  # full-width digits
    rows[1]["region_code"] = " 320505 "  # stray spaces
    rows[2]["region_code"] = "32050"  # lost a digit: not guessed
    result = apply_contract(_frame(rows), VACANCIES)
    assert result.loaded["region_code"].to_list() == ["320505", "320505"]
    assert _reasons(result) == {4: "column region_code: value '32050' does not match ^\\d{6}$"}


def test_each_rule_names_column_value_and_expectation() -> None:
    rows = vacancy_rows(6)
    rows[0]["headcount"] = "-2"
    rows[1]["headcount"] = "three"
    rows[2]["posted_date"] = "2024-02-30"
    rows[3]["source"] = "wechat"
    rows[4]["salary_min_cny"], rows[4]["salary_max_cny"] = "9000", "8000"
    rows[5]["posting_id"] = ""
    result = apply_contract(_frame(rows), VACANCIES)
    reasons = _reasons(result)
    assert result.loaded.height == 0
    assert reasons[2] == "column headcount: value '-2' is below the minimum 1"
    assert reasons[3] == "column headcount: value 'three' is not an integer >= 1 <= 10000"
    assert reasons[4] == "column posted_date: value '2024-02-30' is not a date YYYY-MM-DD"
    assert reasons[5].startswith("column source: value 'wechat' is not one of enterprise_survey")
    assert reasons[6] == "row rule salary_range_ordered: salary_min_cny must not exceed salary_max_cny"
    assert reasons[7].startswith("column posting_id: missing value")


def test_several_reasons_are_all_kept_and_raw_values_preserved() -> None:
    rows = vacancy_rows(1)
    rows[0]["region_code"], rows[0]["industry_code"] = "abc", "3"
    result = apply_contract(_frame(rows), VACANCIES)
    reason = result.quarantined["reason"][0]
    assert "region_code: value 'abc'" in reason and "industry_code: value '3'" in reason
    assert json.loads(result.quarantined["raw_record"][0])["region_code"] == "abc"


def test_duplicate_key_in_one_file_keeps_the_first() -> None:
    rows = vacancy_rows(3)
    rows[2]["posting_id"] = rows[0]["posting_id"]
    result = apply_contract(_frame(rows), VACANCIES)
    assert result.loaded["source_row"].to_list() == [2, 3]
    assert _reasons(result) == {4: "duplicate key (posting_id='P0') already in row 2 of this file"}


def test_rows_read_equal_loaded_plus_quarantined() -> None:
    rows = vacancy_rows(9)
    rows[3]["headcount"] = "x"
    rows[5]["region_code"] = ""
    frame = _frame(rows)
    result = apply_contract(frame, VACANCIES)
    assert result.loaded.height + result.quarantined.height == frame.height
    assert (
        sorted(result.loaded["source_row"].to_list() + result.quarantined["source_row"].to_list())
        == frame["source_row"].to_list()
    )


def test_graduate_rules_booleans_and_employment() -> None:
    base = graduate_row(
        destination_type="employed_contract",
        employer_region_code="320505",
        employer_industry_code="3612",
        occupation_code="6-22-02-01",
        employer_is_partner="是",
        monthly_salary_cny="6000",
        major_related="否",
        survey_date="2024/08/31",
    )
    no_region = {**base, "graduate_id": "g2", "employer_region_code": None}
    bad_bool = {**base, "graduate_id": "g3", "major_related": "maybe"}
    result = apply_contract(_frame([base, no_region, bad_bool]), GRADUATE_DESTINATIONS)
    assert result.loaded["employer_is_partner"].to_list() == [True]
    assert result.loaded["major_related"].to_list() == [False]
    reasons = _reasons(result)
    assert (
        reasons[3] == "row rule employed_has_employer_region: an employed graduate needs employer_region_code"
    )
    assert reasons[4].startswith("column major_related: value 'maybe' is not a boolean")


def test_codes_must_exist_in_their_classification() -> None:
    from ingestion.reference import code_lists
    from tests.conftest import REPO

    references = code_lists(REPO / "dbt_project" / "seeds" / "reference")
    rows = vacancy_rows(5)
    rows[0]["region_code"] = "329999"  # well-formed, never issued
    rows[1]["region_code"] = "320502"  # retired in 2012: still a code (resolves to 320508), loaded
    rows[2]["industry_code"] = "99"  # no such 大类
    rows[3]["occupation_code"] = "6-22-99-99"
    result = apply_contract(_frame(rows), VACANCIES, references)
    assert _reasons(result) == {
        2: (
            "column region_code: value '329999' is not a code of GB/T 2260 行政区划代码 "
            "(any code issued since 1980)"
        ),
        4: "column industry_code: value '99' is not a code of GB/T 4754-2017 国民经济行业分类 (or 三次产业)",
        5: "column occupation_code: value '6-22-99-99' is not a code of 职业分类大典 2022",
    }
    assert result.loaded["region_code"].to_list() == ["320502", "320505"]


def test_text_traits_say_which_cleaning_steps_can_change_a_column() -> None:
    from ingestion.validate import TextTraits, text_traits

    frame = pl.DataFrame(
        {
            "posting_id": ["V1", "V2"],  # ASCII, nothing to clean
            "enterprise_name": ["样例\u3000公司", "x"],  # an ideographic space: non-ASCII, not ASCII space
            "region_code": ["320500.0", "320501"],  # a code: a spreadsheet's .0 is looked for
            "salary_min_cny": ["4200.0", ""],  # not a code: its dot is never stripped; an empty text
            "source": [" job_board", "job_board\t"],
        }
    )
    traits = text_traits(frame, [VACANCIES.column(n) for n in frame.columns])
    assert traits["posting_id"] == TextTraits(non_ascii=False, whitespace=False, dot=False, empty=False)
    assert traits["enterprise_name"] == TextTraits(non_ascii=True, whitespace=False, dot=False, empty=False)
    assert traits["region_code"] == TextTraits(non_ascii=False, whitespace=False, dot=True, empty=False)
    assert traits["salary_min_cny"] == TextTraits(non_ascii=False, whitespace=False, dot=False, empty=True)
    assert traits["source"] == TextTraits(non_ascii=False, whitespace=True, dot=False, empty=False)


def test_non_ascii_whitespace_is_cleaned_without_the_whitespace_trait() -> None:
    """An ideographic space around a code is trimmed and inside it removed: the non-ASCII trait runs the
    steps the whitespace trait would."""
    rows = vacancy_rows(2)
    rows[0]["region_code"] = "\u3000320505"
    rows[1]["region_code"] = "3205\u300006"
    result = apply_contract(_frame(rows), VACANCIES)
    assert result.loaded["region_code"].to_list() == ["320505", "320506"]
