"""Every indicator against values worked out by hand on a tiny, hand-made delivery.

The fixture (all 2024):

Schools: S1 in 320505 虎丘区 (苏州 320500); S2 in 320205 锡山区 (无锡 320200).
Majors: 460702 (专业类 4607 → industry 36 weight 1; occupations 6-22, 4-12 weight ½ each);
        510201 (5102 → industries 65 and 64, weight ½ each; occupations 4-04, 2-02 ½ each).
Region 320502 沧浪区 was retired in 2012 → 320508 姑苏区 (苏州): records coded with it land in 苏州.

| id | school | major | origin | destination | employer | industry | related | partner | enterprise | order |
|---|---|---|---|---|---|---|---|---|---|---|
| G1 | S1 | 460702 | 320505 | employed_contract | 320506 苏州 | 3612 (36) | true | true | E1 | yes |
| G2 | S1 | 460702 | 320205 | employed_flexible | 320205 无锡 | 36 | false | false | E2 |  |
| G3 | S1 | 510201 | 310101 | employed_contract | 310101 上海 | 65 | true | false |  |  |
| G4 | S1 | 510201 | 320505 | further_study |  |  |  |  |  |  |
| G5 | S1 | 510201 | 320505 | not_employed |  |  |  |  |  |  |
| G6 | S2 | 510201 | 320502* | employed_contract | 320502* 苏州 | 64 | (empty) | false | E1 |  |
| G7 | S2 | 460702 | 320205 | not_seeking |  |  |  |  |  |  |

Vacancies: V1 320505 苏州, 36, 5 people, occupation 6-22-01-01, E1 | V2 320506 苏州, 3612, 3 |
           V3 320205 无锡, 65, 4 | V4 320502* (→ 苏州), 65, 2.
Technical services: P1 S1→E1 30 万元 started 2024-03, completed | P2 S1→E1 12.5 started 2024-09, ongoing |
           P3 S1→E2 100 started 2024-05, terminated | P4 S2→E1 8 started 2023-06 (ends 2024), completed.
Training: C1 S1 for E1, 40 trained, 25 certificates, 2024-07 | C2 S1 open to all, 20 trained, certificates not
           given, 2024-10 | C3 S2 for E1, 15 trained, 15 certificates, 2024-04.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from devtools.dbt_cli import run_dbt
from ingestion.ingest import ingest_inbox

pytestmark = pytest.mark.e2e

# The delivery as the offices' CSV files (surveyed 2024-08-31, the initial round; G5 again on 2024-12-31, the
# year-end round, now in further study; level higher, no salary or occupation given).
GRADUATES_CSV = """\
graduate_id,grad_year,school_code,school_region_code,major_code,level,origin_region_code,destination_type,\
employer_region_code,employer_industry_code,occupation_code,employer_is_partner,employer_enterprise_id,\
monthly_salary_cny,major_related,order_class,apprenticeship,survey_date
G1,2024,S100001,320505,460702,higher,320505,employed_contract,320506,3612,,true,E1,,true,true,,2024-08-31
G2,2024,S100001,320505,460702,higher,320205,employed_flexible,320205,36,,false,E2,,false,,,2024-08-31
G3,2024,S100001,320505,510201,higher,310101,employed_contract,310101,65,,false,,,true,,,2024-08-31
G4,2024,S100001,320505,510201,higher,320505,further_study,,,,,,,,,,2024-08-31
G5,2024,S100001,320505,510201,higher,320505,not_employed,,,,,,,,,,2024-08-31
G6,2024,S200002,320205,510201,higher,320502,employed_contract,320502,64,,false,E1,,,,,2024-08-31
G7,2024,S200002,320205,460702,higher,320205,not_seeking,,,,,,,,,,2024-08-31
G5,2024,S100001,320505,510201,higher,320505,further_study,,,,,,,,,,2024-12-31
"""
VACANCIES_CSV = """\
posting_id,enterprise_id,enterprise_name,region_code,industry_code,occupation_code,required_major_codes,\
required_level,headcount,salary_min_cny,salary_max_cny,posted_date,closed_date,source
V1,E1,甲公司,320505,36,6-22-01-01,460702,higher,5,,,2024-05-01,,job_board
V2,E3,乙公司,320506,3612,,,higher,3,,,2024-05-01,,job_board
V3,E4,丙公司,320205,65,,510201,higher,4,,,2024-05-01,,job_board
V4,E5,丁公司,320502,65,,,higher,2,,,2024-05-01,,job_board
"""
ENROLMENT_CSV = """\
year,school_code,school_name,school_region_code,level,major_code,new_enrolment,enrolled_total,\
expected_graduates,order_class_enrolment,apprenticeship_enrolment
2024,S100001,一校,320505,higher,460702,20,60,2,6,0
2024,S100001,一校,320505,higher,510201,15,40,3,0,0
2024,S200002,二校,320205,higher,510201,10,30,1,0,0
2024,S200002,二校,320205,higher,460702,10,30,1,0,0
"""
TECHNICAL_SERVICES_CSV = """\
project_id,school_code,enterprise_id,enterprise_name,region_code,industry_code,service_type,contract_value_10k_cny,\
start_date,end_date,status
P1,S100001,E1,甲公司,320505,36,equipment_upgrade,30,2024-03-01,2024-12-31,completed
P2,S100001,E1,甲公司,320505,36,process_optimisation,12.5,2024-09-01,,ongoing
P3,S100001,E2,,320205,36,equipment_upgrade,100,2024-05-01,,terminated
P4,S200002,E1,甲公司,320505,36,equipment_upgrade,8,2023-06-01,2024-02-01,completed
"""
TRAINING_CSV = """\
course_id,course_name,school_code,training_type,enterprise_id,occupation_code,region_code,trainees,training_hours,\
certificates_awarded,start_date,end_date
C1,数控技能提升,S100001,upskilling,E1,,320505,40,32,25,2024-07-01,2024-07-10
C2,转岗培训,S100001,job_transfer,,,320505,20,16,,2024-10-01,
C3,订单式培训,S200002,order_training,E1,,320205,15,40,15,2024-04-01,
"""
INDUSTRY_OUTPUT_CSV = """\
period,region_code,industry_code,output_value_100m_cny,value_added_100m_cny,employment_10k
2024,320500,36,300,,3.0
2024,320500,I,100,,1.0
2024,320500,01,100,,
2024Q1,320500,36,999,,9
"""


def _write_fixture(inbox: Path) -> None:
    for feed, text in (
        ("graduate_destinations", GRADUATES_CSV),
        ("vacancies", VACANCIES_CSV),
        ("enrolment", ENROLMENT_CSV),
        ("industry_output", INDUSTRY_OUTPUT_CSV),
        ("technical_services", TECHNICAL_SERVICES_CSV),
        ("training", TRAINING_CSV),
    ):
        (inbox / feed).mkdir(parents=True)
        (inbox / feed / f"{feed}.csv").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("handmade")
    _write_fixture(root / "inbox")
    reports = ingest_inbox(root / "inbox", root / "raw", b"k")
    assert all(r.rows_quarantined == 0 and r.status == "loaded" for r in reports), [
        r.warnings for r in reports
    ]
    run_dbt(
        # thresholds lowered to the fixture's size: shortage demand 3 people and supply 1, a major's warning
        # level from 2 graduates, a new-major candidate from 2 vacancies
        [
            "build",
            "--vars",
            (
                "{shortage_min_headcount: 3, shortage_min_supply: 1, warning_min_graduates: 2, "
                "new_major_min_vacancy_headcount: 2}"
            ),
        ],
        raw_dir=root / "raw",
        build_db=root / "build.duckdb",
        target_dir=root / "target",
    )
    con = duckdb.connect(str(root / "build.duckdb"), read_only=True)
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> dict:
    df = con.sql(sql).pl()
    key = df.columns[0]
    return {r[key]: {k: v for k, v in r.items() if k != key} for r in df.iter_rows(named=True)}


# Queries whose rows were worked out by hand, one case each: (SQL, the rows it returns).
ROWS_BY_HAND = [
    pytest.param(
        # 江苏 320000 × 36: supply 2 + 1 = 3; demand 8; employed G1 + G2 = 2, one related → 0.5; ratio 8/3
        "select graduates_supplied::double, vacancy_headcount, graduates_employed_in_industry, "
        "major_fit_rate, vacancies_per_graduate from marts.mart_talent_match where region_level = 'province' "
        "and region_code = '320000' and industry_level = 'division' and industry_code = '36'",
        [(3.0, 8, 2, 0.5, pytest.approx(8 / 3))],
        id="talent_match_province_rollup",
    ),
    pytest.param(
        # 苏州 × 门类 I (64 + 65): supply 3, demand 2; 门类 C (36): supply 2, demand 8
        "select industry_code, graduates_supplied::double from marts.mart_talent_match "
        "where region_level = 'prefecture' and region_code = '320500' and industry_level = 'section' "
        "order by industry_code",
        [("C", 2.0), ("I", 3.0)],
        id="talent_match_section_rollup",
    ),
    pytest.param(
        # 苏州 × 6-22: supply ½ × (G1, G2) = 1; demand V1 5 → ratio 5
        "select graduates_supplied::double, vacancy_headcount, vacancies_per_graduate "
        "from marts.mart_talent_match_occupation where region_level = 'prefecture' "
        "and region_code = '320500' and occupation_code = '6-22'",
        [(1.0, 5, 5.0)],
        id="talent_match_by_occupation",
    ),
    *(
        pytest.param(
            f"select region_code, {code}, shortage_rank, shortage_level, shortage_gap, "
            f"vacancies_per_graduate from marts.mart_{shortage_list} order by all",
            rows,
            id=shortage_list,
        )
        for shortage_list, code, rows in (
            (
                # built with shortage_min_headcount = 3, shortage_min_supply = 1 (the fixture is tiny):
                # 苏州/36 supply 2 (G1, G2), demand 8 (V1 5 + V2 3): ratio 4 → severe, gap 6
                # 苏州/65 supply 1.5, demand 2 (V4) < 3; 无锡/65 supply 0.5 < 1 (a gap in the offer)
                # 江苏/36 supply 3 (G1, G2, G7), demand 8: ratio 8/3, gap 5, rank 1;
                # 江苏/65 supply 2, demand 6: ratio 3 → severe, gap 4, rank 2
                "shortage_industries",
                "industry_code",
                [
                    ("320000", "36", 1, "shortage", 5, pytest.approx(8 / 3)),
                    ("320000", "65", 2, "severe", 4, 3.0),
                    ("320500", "36", 1, "severe", 6, 4.0),
                ],
            ),
            (
                # 6-22: supply ½ per graduate of 460702 (苏州 G1, G2 → 1; 江苏 + G7 → 1.5), demand V1 5
                "shortage_occupations",
                "occupation_code",
                [
                    ("320000", "6-22", 1, "severe", 3.5, pytest.approx(5 / 1.5)),
                    ("320500", "6-22", 1, "severe", 4, 5.0),
                ],
            ),
        )
    ),
    pytest.param(
        # enrolment 苏州 2024: 460702 60 → C 60; 510201 40 → 64 20 + 65 20 → I 40: shares C .6, I .4
        # output (annual only; the 2024Q1 row is ignored): 36 300 → C, I 100, 01 100 → A: C .6, I .2, A .2
        #   dissimilarity ½ (0 + .2 + .2) = .2 → alignment .8
        # employment: C 3, I 1, A none: C .75, I .25 → ½ (.15 + .15 + 0) = .15 → .85
        "select output_dissimilarity_index, output_alignment_index, employment_dissimilarity_index, "
        "employment_alignment_index, sections_compared from marts.mart_structure_alignment "
        "where region_code = '320500' and year = 2024",
        [(pytest.approx(0.2), pytest.approx(0.8), pytest.approx(0.15), pytest.approx(0.85), 3)],
        id="structure_alignment",
    ),
    pytest.param(
        # E1 is a partner (G1). Hires G1 (local to its school) and G6 (school 无锡, works 苏州): 2 hires,
        # 1 partner, 1 local → .5; fit known only for G1 (true) → 1.0; demand V1 5 → 2/5. E2 hired G2 but is
        # no partner: absent.
        "select enterprise_id, enterprise_name, graduates_hired, partner_hires, partner_schools, "
        "city_retention_rate, major_fit_rate, order_class_hires, vacancy_headcount, hires_per_vacancy "
        "from marts.mart_partner_scorecard",
        [("E1", "甲公司", 2, 1, 1, 0.5, 1.0, 1, 5, pytest.approx(0.4))],
        id="partner_scorecard",
    ),
    pytest.param(
        # with new_major_min_vacancy_headcount = 2 and shortage_min_supply = 1: 无锡/65 has 4 vacancies (V3)
        # and ½ supplied (G6) < 1 → listed, with some local supply; the province supplies 65 with
        # 1.5 (苏州) + ½ = 2.
        # 苏州/36 (2 supplied) and 苏州/65 (1.5) have enough supply: they belong to the shortage lists
        "select region_code, industry_code, candidate_rank, vacancy_headcount, graduates_supplied::double, "
        "has_local_supply, province_graduates_supplied::double, bridged_major_categories > 0 "
        "from marts.mart_new_major_candidates",
        [("320200", "65", 1, 4, 0.5, True, 2.0, True)],
        id="new_major_candidates",
    ),
    # 技术服务 and 社会培训 in the scorecards: a project or course counts in the year of its start_date;
    # terminated projects neither count nor add value
    pytest.param(
        # S1 2024: P1 + P2 (P3 terminated) → 2 projects, 42.5 万元; C1 + C2 → 2 courses, 60 trained,
        # 25 certificates. S2 2024: P4 started in 2023 → none; C3 → 1 course, 15, 15.
        "select school_code, service_projects, technical_service_value_10k_cny, training_courses, "
        "training_person_times, certificates_awarded from marts.mart_school_scorecard where grad_year = 2024 "
        "order by school_code",
        [("S100001", 2, 42.5, 2, 60, 25), ("S200002", 0, 0.0, 1, 15, 15)],
        id="school_scorecard_technical_services_and_training",
    ),
    pytest.param(
        # E1 2024: P1 + P2 from S1 → 2, 42.5; C1 (S1) + C3 (S2) → 2 courses, 55 trained, 40 certificates
        "select enterprise_id, service_projects, technical_service_value_10k_cny, training_courses, "
        "training_person_times, certificates_awarded from marts.mart_partner_scorecard where year = 2024",
        [("E1", 2, 42.5, 2, 55, 40)],
        id="partner_scorecard_technical_services_and_training",
    ),
    pytest.param(
        # the contribution mart reads the same sums (int_partnership_activity): S1–E1 2024 42.5 万元,
        # 2 projects
        "select service_projects, technical_service_value_10k_cny, training_person_times, "
        "certificates_awarded from marts.mart_partnership_contribution "
        "where school_code = 'S100001' and enterprise_id = 'E1' and calendar_year = 2024",
        [(2, 42.5, 40, 25)],
        id="partnership_contribution_technical_services_and_training",
    ),
    pytest.param(
        # 320502 沧浪区 (retired 2012) → 320508 姑苏区
        "select origin_region_code, employer_region_code from intermediate.int_graduates "
        "where school_code = 'S200002' and destination_type = 'employed_contract'",
        [("320508", "320508")],
        id="region_codes_that_changed_resolve_to_todays_code",
    ),
]


@pytest.mark.parametrize(("sql", "rows"), ROWS_BY_HAND)
def test_rows_worked_out_by_hand(marts: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple]) -> None:
    assert marts.sql(sql).fetchall() == rows


def test_talent_match(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        "select region_code || '/' || industry_code as k, graduates_supplied::double as supply, "
        "vacancy_headcount as demand, vacancies_per_graduate as ratio, "
        "graduates_employed_in_industry as emp, major_fit_rate as fit from marts.mart_talent_match "
        "where region_level = 'prefecture' and industry_level = 'division' and year = 2024",
    )
    # 苏州/36: supply G1+G2 = 2; demand V1 5 + V2 3 (3612 → 36) = 8; ratio 8/2 = 4; employed G1, related → 1.0
    assert got["320500/36"] == {"supply": 2.0, "demand": 8, "ratio": 4.0, "emp": 1, "fit": 1.0}
    # 苏州/65: supply ½ × (G3, G4, G5) = 1.5; demand V4 2 (320502 → 苏州); ratio 2/1.5
    assert got["320500/65"]["supply"] == 1.5 and got["320500/65"]["demand"] == 2
    assert got["320500/65"]["ratio"] == pytest.approx(2 / 1.5)
    # 苏州/64: supply 1.5, no demand → ratio 0; G6 employed here (320502 → 苏州) with unknown fit → fit null
    assert got["320500/64"] == {"supply": 1.5, "demand": 0, "ratio": 0.0, "emp": 1, "fit": None}
    # 无锡/65: supply ½ (G6); demand V3 4 → 8.0.  无锡/36: supply G7 = 1; G2 employed here, unrelated → 0.0
    assert got["320200/65"] == {"supply": 0.5, "demand": 4, "ratio": 8.0, "emp": 0, "fit": None}
    assert got["320200/36"] == {"supply": 1.0, "demand": 0, "ratio": 0.0, "emp": 1, "fit": 0.0}
    # 上海/65: no supply (zero denominator → ratio null), G3 employed, related → 1.0
    assert got["310000/65"] == {"supply": 0.0, "demand": 0, "ratio": None, "emp": 1, "fit": 1.0}
    assert len(got) == 7  # 苏州 36/64/65, 无锡 36/64/65, 上海 65


def test_talent_outflow_and_placement(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        "select region_level || '/' || region_code || '/' || major_code as k, graduates, "
        "graduates_initial_survey as initial_n, placed_initial, initial_placement_rate, "
        "graduates_year_end_survey as year_end_n, placed_year_end, year_end_placement_rate, employed, "
        " employed_in_school_city as city, employed_in_school_province as prov, "
        "employed_outside_province as outside, city_retention_rate as city_rate, province_retention_rate, "
        "outflow_rate from marts.mart_talent_outflow where grad_year = 2024",
    )
    # 苏州 × 460702: G1 (苏州), G2 (无锡): both placed and employed, 1 in the city, 2 in the province
    assert got["prefecture/320500/460702"] == {
        "graduates": 2,
        "initial_n": 2,
        "placed_initial": 2,
        "initial_placement_rate": 1.0,
        "year_end_n": 0,
        "placed_year_end": 0,
        "year_end_placement_rate": None,
        "employed": 2,
        "city": 1,
        "prov": 2,
        "outside": 0,
        "city_rate": 0.5,
        "province_retention_rate": 1.0,
        "outflow_rate": 0.0,
    }
    # 苏州 × 510201: G3 (上海), G4 further study (placed, not employed), G5 not employed on 31 Aug and in
    # further study by 31 Dec: initial round 2 of 3 placed; year-end round G5 alone, placed — never pooled
    assert got["prefecture/320500/510201"] == {
        "graduates": 3,
        "initial_n": 3,
        "placed_initial": 2,
        "initial_placement_rate": pytest.approx(2 / 3),
        "year_end_n": 1,
        "placed_year_end": 1,
        "year_end_placement_rate": 1.0,
        "employed": 1,
        "city": 0,
        "prov": 0,
        "outside": 1,
        "city_rate": 0.0,
        "province_retention_rate": 0.0,
        "outflow_rate": 1.0,
    }
    # 无锡 × 460702: G7 not_seeking — no destination yet: not placed, no employed → rates null
    assert got["prefecture/320200/460702"] == {
        "graduates": 1,
        "initial_n": 1,
        "placed_initial": 0,
        "initial_placement_rate": 0.0,
        "year_end_n": 0,
        "placed_year_end": 0,
        "year_end_placement_rate": None,
        "employed": 0,
        "city": 0,
        "prov": 0,
        "outside": 0,
        "city_rate": None,
        "province_retention_rate": None,
        "outflow_rate": None,
    }
    # 江苏 × 510201 = 苏州 (G3 G4 G5) + 无锡 (G6 → 苏州, in province): 4 graduates, 3 placed, 2 employed,
    # 1 out
    p = got["province/320000/510201"]
    assert (
        p["graduates"],
        p["placed_initial"],
        p["employed"],
        p["prov"],
        p["outside"],
        p["province_retention_rate"],
    ) == (
        4,
        3,
        2,
        1,
        1,
        0.5,
    )


def test_graduate_flows(marts: duckdb.DuckDBPyConnection) -> None:
    flows = marts.sql(
        "select origin_region_code, school_region_code, employer_region_code, flow_type, graduates "
        "from marts.mart_graduate_flows"
    ).fetchall()

    def key(r: tuple) -> tuple[str, ...]:
        return tuple("" if x is None else str(x) for x in r)

    assert sorted(flows, key=key) == sorted(
        [
            ("320500", "320500", "320500", "stayed_in_school_city", 1),  # G1
            ("320200", "320500", "320200", "returned_to_origin", 1),  # G2
            ("310000", "320500", "310000", "returned_to_origin", 1),  # G3
            ("320500", "320500", None, "not_employed", 2),  # G4, G5
            ("320500", "320200", "320500", "returned_to_origin", 1),  # G6 (320502 → 苏州 both)
            ("320200", "320200", None, "not_employed", 1),  # G7
        ],
        key=key,
    )


def test_region_attraction(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        "select region_code, city_retention_rate, origin_return_rate, return_rate, inflow_share, "
        "attraction_index from marts.mart_region_attraction where grad_year = 2024",
    )
    # 苏州: S1 employed G1 G2 G3, in the school city G1 → 1/3; origin 苏州 employed G1 G6, both in 苏州 → 1;
    # studied elsewhere G6, returned → 1; employed in 苏州 G1 G6, none came in → 0; index (1/3 + 1 + 0) / 3
    assert got["320500"] == pytest.approx(
        {
            "city_retention_rate": 1 / 3,
            "origin_return_rate": 1.0,
            "return_rate": 1.0,
            "inflow_share": 0.0,
            "attraction_index": 4 / 9,
        }
    )
    # 无锡: S2 employed G6, left → 0; origin 无锡 employed G2, back home → 1, 1; employed in 无锡 G2
    # (from 无锡) → 0
    assert got["320200"] == pytest.approx(
        {
            "city_retention_rate": 0.0,
            "origin_return_rate": 1.0,
            "return_rate": 1.0,
            "inflow_share": 0.0,
            "attraction_index": 1 / 3,
        }
    )
    # 上海 has no school here: city_retention_rate null (zero denominator) → index null
    assert got["310000"]["city_retention_rate"] is None and got["310000"]["attraction_index"] is None


def test_industry_structure(marts: duckdb.DuckDBPyConnection) -> None:
    # 苏州 2024, annual rows only: 36 300 → C, I 100, 01 100 → A (total 500): shares .6, .2, .2;
    # employment C 3, I 1, A none → .75, .25, null; no value added delivered → null
    got = _rows(
        marts,
        "select industry_code, output_value_100m_cny, output_share, employment_10k, employment_share, "
        "value_added_share, divisions_reported from marts.mart_industry_structure "
        "where region_code = '320500' and year = 2024",
    )
    assert got == {
        "A": {
            "output_value_100m_cny": 100,
            "output_share": pytest.approx(0.2),
            "employment_10k": None,
            "employment_share": None,
            "value_added_share": None,
            "divisions_reported": 1,
        },
        "C": {
            "output_value_100m_cny": 300,
            "output_share": pytest.approx(0.6),
            "employment_10k": 3,
            "employment_share": pytest.approx(0.75),
            "value_added_share": None,
            "divisions_reported": 1,
        },
        "I": {
            "output_value_100m_cny": 100,
            "output_share": pytest.approx(0.2),
            "employment_10k": 1,
            "employment_share": pytest.approx(0.25),
            "value_added_share": None,
            "divisions_reported": 0,
        },
    }


def test_school_scorecard(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        "select school_code, graduates, placed_initial, initial_placement_rate, year_end_placement_rate, "
        "employed, employed_in_school_city, "
        "city_retention_rate, partner_hires, partner_hire_rate, major_fit_rate, order_class_graduates, "
        "order_class_partner_hire_rate, apprenticeship_partner_hire_rate, enrolled_total, "
        "expected_graduates, order_class_enrolment from marts.mart_school_scorecard where grad_year = 2024",
    )
    # S1: 5 graduates, 4 placed (G1-G4), 3 employed, 1 local (G1), 1 partner hire (G1), related G1 G3 of
    #     G1-G3, order class G1 hired by a partner → 1.0; no apprentices → null; enrolment 60 + 40,
    #     order class 6, expected graduates 2 + 3
    assert got["S100001"] == pytest.approx(
        {
            "graduates": 5,
            "placed_initial": 4,
            "initial_placement_rate": 0.8,
            "year_end_placement_rate": 1.0,
            "employed": 3,
            "employed_in_school_city": 1,
            "city_retention_rate": 1 / 3,
            "partner_hires": 1,
            "partner_hire_rate": 1 / 3,
            "major_fit_rate": 2 / 3,
            "order_class_graduates": 1,
            "order_class_partner_hire_rate": 1.0,
            "apprenticeship_partner_hire_rate": None,
            "enrolled_total": 100,
            "expected_graduates": 5,  # 2 + 3 of the enrolment returns, beside the 5 graduates counted
            "order_class_enrolment": 6,
        }
    )
    # S2: G6 employed (not local: 苏州), fit unknown → null; G7 not placed
    assert got["S200002"]["initial_placement_rate"] == 0.5 and got["S200002"]["major_fit_rate"] is None
    assert got["S200002"]["city_retention_rate"] == 0.0


def test_major_warning(marts: duckdb.DuckDBPyConnection) -> None:
    got = _rows(
        marts,
        "select region_code || '/' || major_code as k, graduates, initial_placement_rate as placement_rate, "
        "placement_round, major_fit_rate, "
        "city_retention_rate, served_vacancy_headcount as demand, "
        "served_graduates_supplied::double as supply, served_vacancies_per_graduate as ratio, "
        "warning_level as level, warning_reason_codes as reasons "
        "from marts.mart_major_warning where grad_year = 2024",
    )
    # 苏州/460702: G1 G2 placed and employed, fit ½ (not below .5), G1 in 苏州 → ½; 专业类 4607 serves 36:
    # 8 vacancies for 2 supplied → 4: green
    assert got["320500/460702"] == pytest.approx(
        {
            "graduates": 2,
            "placement_rate": 1.0,
            "placement_round": "initial",
            "major_fit_rate": 0.5,
            "city_retention_rate": 0.5,
            "demand": 8,
            "supply": 2.0,
            "ratio": 4.0,
            "level": "green",
            "reasons": "",
        }
    )
    # 苏州/510201: G3 G4 G5, initial round placed G3 G4 → ⅔ < .85 (G5's year-end record is one graduate of the
    # year-end round against three initially: the rules read the initial round); G3 employed in 上海 →
    # retention 0 < .3; fit 1/1;
    # 5102 serves 64 (no demand, 1.5 supplied) and 65 (2, 1.5) → 2 ÷ 3 < 1: three yellow rules → red
    assert got["320500/510201"] == pytest.approx(
        {
            "graduates": 3,
            "placement_rate": 2 / 3,
            "placement_round": "initial",
            "major_fit_rate": 1.0,
            "city_retention_rate": 0.0,
            "demand": 2,
            "supply": 3.0,
            "ratio": 2 / 3,
            "level": "red",
            "reasons": (
                "placement_rate_below_yellow,served_vacancies_per_graduate_low,city_retention_rate_low"
            ),
        }
    )
    # 无锡: one graduate of each major (G6, G7) < 2: no level
    assert got["320200/510201"]["level"] == got["320200/460702"]["level"] == "insufficient_data"
    # 江苏/460702: G1 G2 G7, placed ⅔ → yellow; both employed in the province → 1.0; 36: 8 for 3 → 8/3
    assert got["320000/460702"]["level"] == "yellow"
    assert got["320000/460702"]["reasons"] == "placement_rate_below_yellow"
    assert got["320000/460702"]["ratio"] == pytest.approx(8 / 3)
    # 江苏/510201: G3-G6, placed G3 G4 G6 → .75; G6 in 苏州, G3 in 上海 → ½; 64 + 65: 6 vacancies for 4 → 1.5
    assert got["320000/510201"]["level"] == "yellow" and got["320000/510201"]["ratio"] == 1.5
    assert len(got) == 6


def test_reconciliation_counts_marts_equal_staging(marts: duckdb.DuckDBPyConnection) -> None:
    # every graduate once, however many survey records (G5 has two)
    staged = marts.sql(
        "select count(distinct graduate_id) from staging.stg_graduate_destinations"
    ).fetchall()[0][0]
    outflow = marts.sql(
        "select sum(graduates) from marts.mart_talent_outflow where region_level = 'prefecture'"
    ).fetchall()[0][0]
    flows = marts.sql("select sum(graduates) from marts.mart_graduate_flows").fetchall()[0][0]
    schools = marts.sql("select sum(graduates) from marts.mart_school_scorecard").fetchall()[0][0]
    assert staged == outflow == flows == schools == 7
    demand = marts.sql(
        "select sum(vacancy_headcount) from marts.mart_talent_match where region_level = 'prefecture' "
        "and industry_level = 'division'"
    ).fetchall()[0][0]
    assert demand == 5 + 3 + 4 + 2
