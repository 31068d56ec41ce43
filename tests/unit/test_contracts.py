"""The feed contracts load from ingestion/contracts.yml, and a declaration that cannot be one is refused
with the file and the place named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingestion.contracts import CONTRACTS_FILE, FEEDS, ContractError, load_contracts


def _declared() -> dict:
    return yaml.safe_load(CONTRACTS_FILE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, declared: dict) -> Path:
    path = tmp_path / "contracts.yml"
    path.write_text(yaml.safe_dump(declared, allow_unicode=True), encoding="utf-8")
    return path


def test_the_feeds_with_named_patterns_and_the_employed_types_resolved() -> None:
    microdata = ["enrolment", "graduate_destinations", "vacancies", "industry_output"]
    assert [f for f in FEEDS if f in microdata] == microdata
    counts = FEEDS["graduate_destination_counts"]
    assert counts.replaces == ("grad_year", "school_code", "major_code", "level", "survey_date")
    assert set(counts.replaces) < set(counts.key) and not counts.pseudonymised
    assert FEEDS["vacancies"].period_rule == "posted_date formatted as %Y-%m"
    graduates = FEEDS["graduate_destinations"]
    assert graduates.column("school_region_code").pattern == r"^\d{6}$"
    assert graduates.column("level").allowed == ("secondary", "higher", "bachelor")
    rule = next(r for r in graduates.row_rules if r.name == "employed_has_employer_region")
    assert "{employed_destinations}" not in rule.sql and "'employed_contract'" in rule.sql


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["feeds"]["vacancies"]["columns"][0].update(pattern="postcode"),
            "unknown pattern 'postcode'",
        ),
        (lambda d: d["feeds"]["vacancies"]["columns"][0].update(type="money"), "type 'money'"),
        (lambda d: d["feeds"]["vacancies"]["columns"][0].update(colour="red"), "unknown key(s) ['colour']"),
        (lambda d: d["feeds"]["vacancies"].update(key=["no_such_column"]), "['no_such_column']"),
        (
            lambda d: d["feeds"]["graduate_destination_counts"].update(replaces=["graduates"]),
            "replaces column(s) ['graduates'] are not key columns",
        ),
        (lambda d: d["feeds"]["enrolment"]["columns"][0].pop("zh"), "a required key is missing: 'zh'"),
    ],
)
def test_a_declaration_that_is_not_a_contract_is_refused_with_its_place(
    tmp_path: Path, change, message: str
) -> None:
    declared = _declared()
    change(declared)
    with pytest.raises(ContractError) as refused:
        load_contracts(_write(tmp_path, declared))
    assert str(tmp_path / "contracts.yml") in str(refused.value)
    assert message in str(refused.value)
