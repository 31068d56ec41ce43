"""The edition of a major code (ingestion/major_editions.py) and its link to the 2021 catalogue."""

from pathlib import Path

import polars as pl
import pytest

from ingestion.major_editions import (
    PATHS,
    check_major_codes,
    load_correspondence,
    major_edition,
    mapping_path,
)

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reference"
CORR = load_correspondence(SEEDS)


@pytest.mark.parametrize(
    ("code", "level", "year", "feed", "edition"),
    [
        ("460702", "higher", 2023, "graduates", "2021"),  # 46: only 2021 at level higher
        ("560702", "higher", 2023, "graduates", "higher_2015"),  # 5607 exists only in 2015
        ("560702", "higher", 2026, "graduates", "higher_2015"),  # whatever the year
        ("510201", "higher", 2021, "graduates", "higher_2015"),  # 5102 in both: the year decides
        ("510201", "higher", 2022, "graduates", "2021"),
        ("510201", "higher", 2020, "enrolment", "higher_2015"),
        ("510201", "higher", 2021, "enrolment", "2021"),
        ("610201", "higher", 2022, "graduates", "higher_2015"),  # 61 at level higher: 2015 电子信息大类
        ("610201", "secondary", 2022, "graduates", "2021"),  # 61 at level secondary: 2021 中职 农林牧渔
        ("051400", "secondary", 2019, "graduates", "secondary_2010"),
        ("051400", "higher", 2019, "graduates", None),  # 05 is no 高职 大类 of any edition
        ("710201", "higher", 2019, "graduates", None),
        ("310201", "bachelor", 2023, "graduates", "2021"),
        ("510201", "bachelor", 2023, "graduates", None),
        ("5607", "higher", 2023, "graduates", None),
    ],
)
def test_edition_decided_with_level_and_year(code, level, year, feed, edition):
    assert major_edition(code, level, year, feed, CORR) == edition


def test_mapping_paths():
    assert mapping_path("560702", "higher_2015", CORR) == ("mapped_2015_category", "4607")
    assert mapping_path("610201", "higher_2015", CORR) == ("mapped_2015_category", "5102")
    assert mapping_path("670301", "higher_2015", CORR) == ("mapped_2015_category", "5904")  # 文秘类 moved
    # 人口与计划生育类 has no 2021 专业类: 大类 level only
    assert mapping_path("620701", "higher_2015", CORR) == ("mapped_2015_division", None)
    assert mapping_path("051400", "secondary_2010", CORR) == ("mapped_2010_division", None)
    assert mapping_path("110100", "secondary_2010", CORR) == ("unmapped", None)  # 休闲保健类: no link
    assert mapping_path("460702", "2021", CORR) == ("current", None)


def test_correspondence_seed_is_one_link_per_old_code_with_basis_and_confidence():
    seed = pl.read_csv(SEEDS / "major_code_correspondence.csv", infer_schema=False)
    assert seed.select("old_edition", "link_level", "old_code").is_duplicated().sum() == 0
    linked = seed.filter(pl.col("new_code").is_not_null())
    assert linked["basis"].null_count() == 0
    assert set(linked["confidence"].unique()) <= {"high", "medium", "low"}
    assert set(seed["correspondence_version"].unique()) == {"v1"}
    # every 2015 大类 51–69 is linked at 大类 level to 41–59
    divisions = seed.filter((pl.col("old_edition") == "higher_2015") & (pl.col("link_level") == "division"))
    assert {(int(o) - 10) for o in divisions["old_code"]} == {int(n) for n in divisions["new_code"]}
    assert divisions.height == 19
    # every linked 2021 专业类 exists in the 2021 catalogue table
    categories = set(
        pl.read_csv(SEEDS / "major_category_higher.csv", infer_schema=False)["major_category_code"]
    )
    assert set(linked.filter(pl.col("link_level") == "category")["new_code"]) <= categories


def test_check_quarantines_no_edition_and_counts_paths():
    loaded = pl.DataFrame(
        {
            "source_row": [1, 2, 3, 4, 5],
            "grad_year": [2023, 2023, 2023, 2023, 2019],
            "major_code": ["460702", "560702", "710201", "620701", "110100"],
            "level": ["higher", "higher", "higher", "higher", "secondary"],
        }
    )
    out = check_major_codes(loaded, "graduate_destinations", CORR)
    assert out.loaded["source_row"].to_list() == [1, 2, 4, 5]
    assert out.quarantined["source_row"].to_list() == [3]
    assert "'710201' is a code of no edition" in out.quarantined["reason"][0]
    assert out.paths == {"current": 1, "mapped_2015_category": 1, "mapped_2015_division": 1, "unmapped": 1}
    assert set(out.paths) <= set(PATHS)
    assert any("mapped_2015_category" in w and "'560702'" in w for w in out.warnings)
    assert any("counted as unmapped" in w and "'110100'" in w for w in out.warnings)


def test_release_counts_records_per_path_per_feed():
    from publication.release import major_code_mapping

    inputs = [
        {"feed": "graduate_destinations", "major_mapping_paths": {"current": 5, "mapped_2015_category": 2}},
        {"feed": "graduate_destinations", "major_mapping_paths": {"current": 1, "unmapped": 1}},
        {"feed": "enrolment", "major_mapping_paths": {"current": 3}},
        {"feed": "vacancies"},  # a feed without major paths
    ]
    assert major_code_mapping(inputs) == {
        "enrolment": {"current": 3},
        "graduate_destinations": {"current": 6, "mapped_2015_category": 2, "unmapped": 1},
    }
