"""The white paper (publication/whitepaper/) on a hand-made tiny candidate: each section's figures are the
marts' values with their mart and column, masked cells stay masked, an absent mart is said, the documents are
listed with their SHA-256 in the release, a failure publishes nothing, and Chromium prints the PDF."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.settings import ConfigurationError, WhitepaperSettings, find_chromium, load_settings
from publication.documents import release_documents
from publication.release import current_release, publish, published_releases, stage_candidate
from publication.whitepaper import PdfFailed, write_whitepapers
from publication.whitepaper.data import (
    SECTIONS,
    cities,
    demand,
    flows_and_retention,
    industry_structure,
    partnership_contribution,
    section_content,
    shortages,
    supply,
)
from publication.whitepaper.figures import MASKED_TEXT, Figure, sentence
from publication.whitepaper.render import render_html
from tests.databases import candidate_database

SZ, WX = "320500", "320200"
# the hand-made candidate: table -> rows (columns not given are NULL; suppressed_columns '' unless given)
ROWS: dict[str, list[dict[str, Any]]] = {
    "mart_talent_outflow": [
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "region_name": "苏州市",
            "major_code": "460702",
            "major_name": "数控技术",
            "grad_year": 2024,
            "graduates": 120,
            "placed_initial": 114,
            "initial_placement_rate": 0.95,
            "employed": 100,
        },
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "region_name": "苏州市",
            "major_code": "510201",
            "major_name": "计算机应用技术",
            "grad_year": 2024,
            "graduates": None,
            "placed_initial": None,
            "initial_placement_rate": None,
            "employed": 3,
            "suppressed_columns": "graduates,placed_initial,initial_placement_rate",
        },
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "region_name": "苏州市",
            "major_code": "460702",
            "grad_year": 2023,
            "graduates": 90,
        },
        {
            "region_level": "prefecture",
            "region_code": WX,
            "region_name": "无锡市",
            "major_code": "460702",
            "grad_year": 2023,
            "graduates": 50,
        },
        {
            "region_level": "province",
            "region_code": "320000",
            "region_name": "江苏省",
            "major_code": "460702",
            "grad_year": 2024,
            "graduates": 170,
        },
    ],
    "dim_major": [
        {"major_code": "460702", "major_category_code": "4607", "major_category_name": "自动化类"},
        {"major_code": "510201", "major_category_code": "5102", "major_category_name": "计算机类"},
    ],
    "mart_industry_structure": [
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "year": 2024,
            "industry_code": "C",
            "industry_name": "制造业",
            "output_value_100m_cny": 4321.5,
            "output_share": 0.625,
            "value_added_100m_cny": 1200.0,
            "value_added_share": 0.6,
            "employment_10k": 30.5,
        },
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "year": 2024,
            "industry_code": "I",
            "industry_name": "信息传输、软件和信息技术服务业",
            "output_value_100m_cny": 2593.0,
            "output_share": 0.375,
        },
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "year": 2025,
            "industry_code": "C",
            "industry_name": "制造业",
            "output_value_100m_cny": 1.0,
            "output_share": 1.0,
        },  # after the paper's year: not read
    ],
    "mart_talent_match": [
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "industry_level": "division",
            "industry_code": "36",
            "industry_name": "汽车制造业",
            "year": 2024,
            "vacancy_headcount": 880,
            "vacancy_postings": 41,
            "graduates_supplied": 212.5,
            "vacancies_per_graduate": 4.1412,
            "major_fit_rate": 0.5,
        },
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "industry_level": "division",
            "industry_code": "65",
            "industry_name": "软件和信息技术服务业",
            "year": 2024,
            "vacancy_headcount": 300,
            "vacancy_postings": 12,
            "graduates_supplied": None,
            "vacancies_per_graduate": None,
            "suppressed_columns": "graduates_supplied,vacancies_per_graduate",
        },
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "industry_level": "section",
            "industry_code": "C",
            "industry_name": "制造业",
            "year": 2024,
            "vacancy_headcount": 999999,
        },
    ],
    "mart_region_attraction": [
        {
            "region_code": SZ,
            "grad_year": 2024,
            "employed": 103,
            "employed_in_school_city": 70,
            "city_retention_rate": 0.6796,
            "return_rate": None,
            "inflow_share": 0.25,
            "attraction_index": None,
            "suppressed_columns": "return_rate,attraction_index",
        },
    ],
    "mart_graduate_flows": [
        {
            "grad_year": 2024,
            "school_region_code": SZ,
            "school_region_name": "苏州市",
            "origin_region_name": "苏州市",
            "employer_region_code": SZ,
            "employer_region_name": "苏州市",
            "flow_type": "stayed_in_school_city",
            "graduates": 70,
        },
        {
            "grad_year": 2024,
            "school_region_code": SZ,
            "school_region_name": "苏州市",
            "origin_region_name": "南通市",
            "employer_region_code": None,
            "flow_type": "left_province",
            "graduates": None,
            "suppressed_columns": "graduates",
        },
    ],
    "mart_shortage_occupations": [
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "year": 2024,
            "occupation_code": "6-22",
            "occupation_name": "机械制造加工人员",
            "ranking_basis": "graduates_supplied",
            "shortage_rank": 1,
            "shortage_level": "severe",
            "vacancy_headcount": 29,
            "graduates_supplied": 6.0,
            "shortage_gap": 23.0,
            "vacancies_per_graduate": 4.8333,
        },
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "year": 2024,
            "occupation_code": "4-12",
            "occupation_name": "销售人员",
            "ranking_basis": "graduates_supplied",
            "shortage_rank": None,
            "shortage_level": None,
            "vacancy_headcount": 25,
            "graduates_supplied": None,
            "shortage_gap": None,
            "vacancies_per_graduate": None,
            "suppressed_columns": (
                "shortage_rank,shortage_level,graduates_supplied,shortage_gap,vacancies_per_graduate"
            ),
        },
        {  # ranked by the MOHRSS 最缺工 rule (a market table gave job seekers): its own rank 1
            "region_level": "prefecture",
            "region_code": SZ,
            "year": 2024,
            "occupation_code": "2-02",
            "occupation_name": "工程技术人员",
            "ranking_basis": "job_seekers",
            "shortage_rank": 1,
            "shortage_level": "shortage",
            "vacancy_headcount": 500,
            "graduates_supplied": 400.0,
            "shortage_gap": 100.0,
            "vacancies_per_graduate": 1.25,
            "vacancies_with_job_seekers": 300,
            "job_seekers": 120,
            "job_seeker_gap": 180,
            "job_vacancy_ratio": 2.5,
        },
        {
            "region_level": "province",
            "region_code": "320000",
            "year": 2024,
            "occupation_code": "6-22",
            "ranking_basis": "graduates_supplied",
            "shortage_rank": 1,
            "vacancy_headcount": 9999,
        },
    ],
    "mart_shortage_industries": [
        {
            "region_level": "prefecture",
            "region_code": SZ,
            "year": 2024,
            "industry_code": "36",
            "industry_name": "汽车制造业",
            "shortage_rank": 1,
            "shortage_level": "shortage",
            "vacancy_headcount": 880,
            "graduates_supplied": 212.5,
            "shortage_gap": 667.5,
            "vacancies_per_graduate": 4.1412,
        },
    ],
    "mart_partnership_contribution": [
        {
            "school_code": "S1",
            "enterprise_id": "E1",
            "calendar_year": 2024,
            "region_code": SZ,
            "hires_in_school_city": 12,
            "technical_service_value_10k_cny": 85.5,
            "training_person_times": 40,
            "job_fit_rate": 0.75,
            "contribution_index": 0.9,
        },
        {
            "school_code": "S1",
            "enterprise_id": "E2",
            "calendar_year": 2024,
            "region_code": SZ,
            "hires_in_school_city": None,
            "technical_service_value_10k_cny": 300.0,
            "job_fit_rate": None,
            "contribution_index": None,
            "suppressed_columns": "hires_in_school_city,job_fit_rate,contribution_index",
        },
    ],
    "mart_school_scorecard": [{"school_code": "S1", "school_name": "苏州一校", "grad_year": 2024}],
    "mart_partner_scorecard": [
        {"enterprise_id": "E1", "enterprise_name": "甲公司", "year": 2024},
        {"enterprise_id": "E2", "enterprise_name": "乙公司", "year": 2024},
    ],
}


def make_candidate(path: Path, rows: dict[str, list[dict[str, Any]]] = ROWS) -> Path:
    return candidate_database(path, rows)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = make_candidate(tmp_path_factory.mktemp("paper") / "warehouse.duckdb")
    c = duckdb.connect(str(path), read_only=True)
    yield c
    c.close()


def test_one_paper_per_city_with_schools_in_its_latest_year(con: duckdb.DuckDBPyConnection) -> None:
    assert [(c.code, c.name, c.year) for c in cities(con)] == [(WX, "无锡市", 2023), (SZ, "苏州市", 2024)]


def _city(con: duckdb.DuckDBPyConnection, code: str = SZ) -> Any:
    return next(c for c in cities(con) if c.code == code)


def test_industry_structure_reads_the_largest_sections_of_the_papers_year(
    con: duckdb.DuckDBPyConnection,
) -> None:
    content = industry_structure(con, _city(con))
    assert [s.text for s in content.sentences] == [
        "2024年苏州市总产值最大的门类是制造业，总产值4,321.50亿元，占全市各门类产值的62.5%。",
        "其次是信息传输、软件和信息技术服务业，总产值2,593.00亿元，占37.5%。",
    ]
    assert content.sentences[0].sources == (
        "mart_industry_structure.year",
        "mart_industry_structure.output_value_100m_cny",
        "mart_industry_structure.output_share",
    )
    (table,) = content.tables
    assert [r[0] for r in table.rows] == ["C", "I"]
    assert table.rows[1][4] == Figure(None, "mart_industry_structure", "value_added_100m_cny", "amount")
    assert table.rows[1][4].text == "—"  # not given: missing, not masked


def test_demand_reads_divisions_and_keeps_masked_supply_masked(con: duckdb.DuckDBPyConnection) -> None:
    content = demand(con, _city(con))
    assert content.sentences[0].text == (
        "2024年苏州市岗位需求人数最多的行业（大类）是汽车制造业，需求880人，岗位41个；"
        "本市院校对应的毕业生供给为212.5人，岗位供需比4.14（每名毕业生对应的岗位需求人数）。"
    )
    (table,) = content.tables
    assert [r[0] for r in table.rows] == ["36", "65"]  # the 门类 row is not a division
    masked = table.rows[1][4]
    assert (
        masked.masked
        and masked.text == MASKED_TEXT
        and masked.source == "mart_talent_match.graduates_supplied"
    )
    (chart,) = content.charts
    assert [f.value for f in chart.series[1][1]] == [212.5, None]


def test_supply_never_recomputes_a_masked_count(con: duckdb.DuckDBPyConnection) -> None:
    content = supply(con, _city(con))
    assert content.sentences[0].text == (
        "2024届苏州市院校毕业生最多的专业是数控技术（自动化类），毕业生120人，初次毕业去向落实率95.0%。"
    )
    rows = {r[1]: r for r in content.tables[0].rows}
    assert rows["510201"][0] == "计算机类"
    assert [c.text for c in rows["510201"][3:6]] == [MASKED_TEXT] * 3
    assert rows["510201"][7].text == "3"


def test_flows_say_masked_rates_as_masked(con: duckdb.DuckDBPyConnection) -> None:
    content = flows_and_retention(con, _city(con))
    assert [s.text for s in content.sentences] == [
        "2024届苏州市院校就业毕业生103人，其中留在本市就业70人，留市率68.0%。",
        f"在外地就读的本市生源回流率{MASKED_TEXT}，本市就业毕业生中外来人才占25.0%，人才吸引力指数{MASKED_TEXT}。",
    ]
    paths = content.tables[0].rows
    assert paths[0][3].value == 70 and paths[1][3].masked and paths[1][1] == "left_province"


def test_shortages_and_partnerships(con: duckdb.DuckDBPyConnection) -> None:
    content = shortages(con, _city(con))
    assert [s.text for s in content.sentences] == [
        (  # the job-seeker rule's row: its job-seeker gap, 求人倍率 and job seekers, not the graduate figures
            "2024年苏州市缺口最大的职业（中类）是工程技术人员，缺口180人（需求300人，求职人数120人，"
            "求人倍率2.50），紧缺程度紧缺 shortage。"
        ),
        (
            "2024年苏州市缺口最大的职业（中类）是机械制造加工人员，缺口23.0人（需求29人，毕业生供给6.0人，"
            "岗位供需比4.83），紧缺程度严重紧缺 severe。"
        ),
        (
            "2024年苏州市缺口最大的行业（大类）是汽车制造业，缺口667.5人（需求880人，毕业生供给212.5人，"
            "岗位供需比4.14），紧缺程度紧缺 shortage。"
        ),
    ]
    assert len(content.tables) == 3  # occupations by each rule, industries by the graduate rule
    by_job_seekers = content.tables[0]
    assert [r[1] for r in by_job_seekers.rows] == ["2-02"] and by_job_seekers.columns[6].header == "求人倍率"
    occupations = content.tables[1].rows
    assert [r[1] for r in occupations] == ["6-22", "4-12"]  # the province row is not the city's
    withheld = occupations[1]  # rank and level withheld with the masked supply: shown as masked, listed last
    assert withheld[0].masked and withheld[7] == MASKED_TEXT and withheld[4].text == "25"
    content = partnership_contribution(con, _city(con))
    assert content.sentences[0].text == (
        "2024年苏州市区域产业贡献度最高的校企合作是苏州一校与甲公司，贡献度0.90：本市就业12人，"
        "技术服务产值85.50万元，学生岗位适配率75.0%。"
    )
    second = content.tables[0].rows[1]  # masked index: listed after, no rank
    assert second[:2] == ("苏州一校", "乙公司") and second[6].masked and second[3].text == "300.00"


def test_a_mart_absent_from_the_release_is_said_not_failed(con: duckdb.DuckDBPyConnection) -> None:
    section = next(s for s in SECTIONS if s.key == "warnings")
    content = section_content(con, section, _city(con))
    assert content.absent == ("mart_major_warning",)
    assert content.sentences[0].text == "本次发布不含mart_major_warning，本节暂缺。"


def _warning(major: str, level: str | None, **figures: Any) -> dict[str, Any]:
    """A prefecture row of mart_major_warning for 苏州 in 2024 (the rest of its columns NULL)."""
    names = {"red": "红色预警", "yellow": "黄色预警", "green": "绿色", "insufficient_data": "数据不足"}
    return {
        "region_level": "prefecture",
        "region_code": SZ,
        "major_code": major,
        "major_name": f"专业{major}",
        "grad_year": 2024,
        "warning_level": level,
        "warning_level_name": names.get(level or ""),
        **figures,
    }


def test_the_warning_section_tallies_the_levels_and_lists_the_majors_on_warning(tmp_path: Path) -> None:
    """#19 item 3 in the white paper: hand-made rows of one city and year, the most severe major first with
    the rate of the round its rules read; a withheld level is tallied as withheld and not listed."""
    warnings = [
        _warning("460702", "green", graduates=120),
        _warning(
            "510201",
            "yellow",
            graduates=40,
            initial_placement_rate=0.8,
            major_fit_rate=0.45,
            warning_reasons="毕业去向落实率低于85%；专业对口率低于50%",
        ),
        _warning(
            "530802",
            "red",
            graduates=30,
            placement_round="year_end",
            initial_placement_rate=0.7,
            year_end_placement_rate=0.55,
            major_fit_rate=0.6,
            city_retention_rate=0.5,
            served_vacancies_per_graduate=2.25,
            warning_reasons="毕业去向落实率低于60%",
        ),
        _warning("550101", "insufficient_data", graduates=12),
        _warning(
            "540201", None, graduates=None, suppressed_columns="graduates,warning_level,warning_level_name"
        ),
        {**_warning("460702", "red"), "region_level": "province", "region_code": "320000"},  # not the city's
        {**_warning("460702", "red"), "grad_year": 2023},  # not the paper's year
    ]
    path = make_candidate(tmp_path / "warehouse.duckdb", {**ROWS, "mart_major_warning": warnings})
    c = duckdb.connect(str(path), read_only=True)
    try:
        section = next(s for s in SECTIONS if s.key == "warnings")
        content = section_content(c, section, _city(c))
    finally:
        c.close()
    assert [x.text for x in content.sentences] == [
        "2024届苏州市院校的专业中，红色预警1个、黄色预警1个、绿色1个，数据不足不评级1个；因小数抑制不公布等级的1个。",
        (
            "预警最重的是专业530802（530802），红色预警：毕业去向落实率低于60%；毕业生30人，年终毕业去向落实率55.0%，"
            "专业对口率60.0%，留市率50.0%，所服务行业的岗位供需比2.25。"
        ),
    ]
    assert all(f.mart == "mart_major_warning" for x in content.sentences for f in x.figures)
    table = content.tables[0]
    assert [(r[0], r[8]) for r in table.rows] == [("530802", "红色预警"), ("510201", "黄色预警")]
    assert table.rows[1][9] == "毕业去向落实率低于85%；专业对口率低于50%" and table.rows[1][5].text == "45.0%"


def test_a_sentence_writes_no_number_of_its_own() -> None:
    with pytest.raises(ValueError, match="no number of its own"):
        sentence("前{n}名", n="x") and sentence("前10名")
    with pytest.raises(ValueError, match="no number of its own"):
        sentence("排名前3的{name}", name="x")


def test_every_figure_in_the_html_cites_its_mart_and_column(con: duckdb.DuckDBPyConnection) -> None:
    from publication.whitepaper.data import paper

    page = render_html(paper(con, _city(con), "r1"))
    for s in SECTIONS:
        assert f'id="section-{s.key}"' in page and s.title in page
    assert '<code id="release-id">r1</code>' in page
    assert (
        'data-source="mart_industry_structure.output_value_100m_cny" title="mart_industry_structure.' in page
    )
    assert "来源 Source: mart_talent_match (vacancy_headcount, vacancy_postings" in page
    assert page.count('class="chart"') == 2 and 'src="plotly.min.js"' in page


def _gate(tmp_path: Path) -> Path:
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"passed": True, "results_dir": str(tmp_path), "suites": []}))
    return path


def _stage(tmp_path: Path, releases: Path, release_id: str) -> Any:
    build = tmp_path / "build.duckdb"
    if not build.exists():
        make_candidate(tmp_path / "cand.duckdb")
        c = duckdb.connect(str(build))
        c.execute(f"attach '{tmp_path / 'cand.duckdb'}' as cand (read_only); create schema marts")
        for t in ROWS:
            c.execute(f"create table marts.{t} as select * from cand.{t}")
        c.close()
    return stage_candidate(build, releases, release_id, tuple(("marts", t) for t in ROWS))


def test_papers_are_documents_of_the_release_with_their_sha256(tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    record = publish(
        _stage(tmp_path, releases, "r1"),
        releases,
        [],
        [_gate(tmp_path)],
        finalize=release_documents(WhitepaperSettings(pdf="off")),
    )
    folder = releases / "r1"
    paths = {d["path"]: d for d in record["documents"]}
    assert set(paths) == {
        "report.html",
        "whitepaper/plotly.min.js",
        "whitepaper/320200-无锡市-2023.html",
        "whitepaper/320500-苏州市-2024.html",
        # the lists workbook of the one city on a list (no dim_region in the tiny candidate: named by code)
        "lists/320500-320500.xlsx",
    }
    for rel, d in paths.items():
        assert d["sha256"] == hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    assert json.loads((folder / "release.json").read_text())["documents"] == record["documents"]
    assert json.loads((folder / "manifest.json").read_text())["documents"] == record["documents"]
    info = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    assert json.loads(info.execute("select record_json from release_info").fetchone()[0])["documents"]
    info.close()


def test_a_paper_that_cannot_be_printed_publishes_nothing(tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    publish(_stage(tmp_path, releases, "r1"), releases, [], [_gate(tmp_path)])
    with pytest.raises(PdfFailed, match="no Chromium was found"):
        publish(
            _stage(tmp_path, releases, "r2"),
            releases,
            [],
            [_gate(tmp_path)],
            finalize=release_documents(WhitepaperSettings(pdf="required", chromium=None)),
        )
    assert current_release(releases) == "r1" and published_releases(releases) == ["r1"]
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho crashed >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(PdfFailed, match="exit 3"):
        publish(
            _stage(tmp_path, releases, "r3"),
            releases,
            [],
            [_gate(tmp_path)],
            finalize=release_documents(WhitepaperSettings(pdf="auto", chromium=fake)),
        )
    assert current_release(releases) == "r1" and published_releases(releases) == ["r1"]


def test_pdf_settings(tmp_path: Path) -> None:
    assert load_settings({"TW_WHITEPAPER_PDF": "off"}).whitepaper.prints_pdf is False
    with pytest.raises(ConfigurationError, match="TW_WHITEPAPER_PDF"):
        load_settings({"TW_WHITEPAPER_PDF": "sometimes"})
    with pytest.raises(ConfigurationError, match="TW_CHROMIUM"):
        load_settings({"TW_CHROMIUM": str(tmp_path / "none")})
    empty = load_settings({"PATH": str(tmp_path)}).whitepaper
    assert empty.chromium is None and not empty.prints_pdf
    assert load_settings({"PATH": str(tmp_path), "TW_WHITEPAPER_PDF": "required"}).whitepaper.prints_pdf


CHROMIUM = find_chromium()
PDFTOTEXT = shutil.which("pdftotext")


def test_a_paper_prints_to_pdf_in_headless_chromium(tmp_path: Path) -> None:
    if CHROMIUM is None or PDFTOTEXT is None:
        missing = "chromium" if CHROMIUM is None else "pdftotext (poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is not installed, and CI requires this test (.ci/run installs it)")
        pytest.skip(f"{missing} is not installed (.ci/run installs it; CI fails without it)")
    release = tmp_path / "release"
    release.mkdir()
    make_candidate(release / "warehouse.duckdb")
    written = write_whitepapers(
        release,
        {"release_id": "r1"},
        WhitepaperSettings(pdf="required", chromium=CHROMIUM),
    )
    pdf = release / "whitepaper" / "320500-苏州市-2024.pdf"
    assert pdf in written and pdf.stat().st_size > 10_000
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    assert "苏州市产业人口白皮书" in flat
    for s in SECTIONS:
        assert "".join(s.title.split()) in flat, s.title
    # one figure, as the mart holds it: mart_talent_match.vacancy_headcount of 汽车制造业, 苏州, 2024
    assert "需求880人" in flat and "4,321.50" in flat
