"""Gathering the white paper's data: pure functions of a read-only connection to the release candidate.

Every function reads published marts as they are in the candidate (after disclosure control) and returns
figures that cite their mart and column; nothing here computes an indicator, sums counts or fills a masked
cell. The sections are listed in :data:`SECTIONS` (title, the marts it reads, its gatherer): a section
whose mart the release lacks, or holds no rows of the city in (the gatherer raises :class:`NoRows`), says so
instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from publication.whitepaper.content import Chart, City, Column, SectionContent, Table
from publication.whitepaper.figures import MASKED_TEXT, Figure, Sentence, figure, masked_columns, sentence

TOP = 10
Row = dict[str, Any]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    rel = con.execute(sql, list(params))
    names = [d[0] for d in rel.description]
    return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]


def tables_of(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    return frozenset(
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    )


def cities(con: duckdb.DuckDBPyConnection) -> list[City]:
    """The cities with schools (prefecture rows of ``mart_talent_outflow``), each with its latest year."""
    found = rows(
        con,
        "select region_code, any_value(region_name) as region_name, max(grad_year) as year "
        "from mart_talent_outflow where region_level = 'prefecture' "
        "group by region_code order by region_code",
    )
    return [City(r["region_code"], r["region_name"] or r["region_code"], int(r["year"])) for r in found]


def latest_year(con: duckdb.DuckDBPyConnection, mart: str, year_column: str, city: City) -> int | None:
    """The latest year of ``mart`` for the city up to the paper's year (a feed may stop a year earlier)."""
    found = con.execute(
        f"select max({year_column}) from {mart} where region_code = ? and {year_column} <= ?",
        [city.code, city.year],
    ).fetchone()
    return None if found is None or found[0] is None else int(found[0])


class NoRows(Exception):
    """The mart a section reads has no rows of the city: the section says so (:func:`section_content`)."""

    def __init__(self, mart: str) -> None:
        super().__init__(mart)
        self.mart = mart


def _section_year(con: duckdb.DuckDBPyConnection, mart: str, year_column: str, city: City) -> int:
    """The year a section reads ``mart`` for (:func:`latest_year`); :class:`NoRows` when it has none."""
    year = latest_year(con, mart, year_column, city)
    if year is None:
        raise NoRows(mart)
    return year


def _found(con: duckdb.DuckDBPyConnection, mart: str, sql: str, params: Sequence[Any]) -> list[Row]:
    """The rows a section reads from ``mart`` (:func:`rows`); :class:`NoRows` when there are none."""
    found = rows(con, sql, params)
    if not found:
        raise NoRows(mart)
    return found


def _year(value: int, mart: str, column: str) -> Figure:
    return Figure(value, mart, column, "year")


# The kind of figure each mart column the paper cites is, in sentences, tables and charts alike: how it is
# written (figures.FORMATS). A column not listed is a label (a name, a code).
KINDS = {
    "output_value_100m_cny": "amount",
    "output_share": "share",
    "value_added_100m_cny": "amount",
    "value_added_share": "share",
    "employment_10k": "amount",
    "vacancy_headcount": "count",
    "vacancy_postings": "count",
    "graduates_supplied": "supply",
    "vacancies_per_graduate": "ratio",
    "major_fit_rate": "rate",
    "graduates": "count",
    "placed_initial": "count",
    "initial_placement_rate": "rate",
    "year_end_placement_rate": "rate",
    "employed": "count",
    "employed_in_school_city": "count",
    "city_retention_rate": "rate",
    "return_rate": "rate",
    "inflow_share": "share",
    "attraction_index": "index",
    "shortage_rank": "count",
    "shortage_gap": "supply",
    "job_seeker_gap": "count",
    "vacancies_with_job_seekers": "count",
    "job_seekers": "count",
    "job_vacancy_ratio": "ratio",
    "hires_in_school_city": "count",
    "technical_service_value_10k_cny": "amount",
    "training_person_times": "count",
    "job_fit_rate": "rate",
    "contribution_index": "index",
    "served_vacancies_per_graduate": "ratio",
}
# How a table or chart heads a column, unless it heads it otherwise (``headers``: where a section names a
# column after its own grain or rule).
HEADERS = {
    "industry_code": "行业代码 code",
    "industry_name": "行业 industry",
    "output_value_100m_cny": "总产值（亿元）",
    "output_share": "产值占比",
    "value_added_100m_cny": "增加值（亿元）",
    "value_added_share": "增加值占比",
    "employment_10k": "从业人员（万人）",
    "vacancy_headcount": "需求人数 demand",
    "vacancy_postings": "岗位数 postings",
    "graduates_supplied": "毕业生供给 supply",
    "vacancies_per_graduate": "岗位供需比 vacancies per graduate",
    "major_fit_rate": "专业对口率 fit",
    "major_category_name": "专业类 category",
    "major_code": "专业代码 code",
    "major_name": "专业 major",
    "graduates": "毕业生 graduates",
    "placed_initial": "初次落实 placed (initial)",
    "initial_placement_rate": "初次落实率 initial rate",
    "year_end_placement_rate": "年终落实率 year-end rate",
    "employed": "就业人数 employed",
    "city_retention_rate": "留市率 city retention",
    "origin_region_name": "生源地 origin",
    "employer": "就业地 employer city",
    "flow_type": "流向 flow",
    "shortage_rank": "排名 rank",
    "shortage_gap": "缺口 gap",
    "job_seeker_gap": "缺口 gap",
    "vacancies_with_job_seekers": "需求人数 demand",
    "shortage_level": "等级 level",
    "school": "学校 school",
    "enterprise": "企业 enterprise",
    "hires_in_school_city": "本市就业 hires in the school city",
    "technical_service_value_10k_cny": "技术服务产值（万元）",
    "training_person_times": "培训人次 person-times",
    "job_fit_rate": "岗位适配率 fit",
    "contribution_index": "贡献度 index",
    "served_vacancies_per_graduate": "岗位供需比 vacancies per graduate",
    "warning_level_name": "等级 level",
    "warning_reasons": "原因 reasons",
}


def _columns(names: Sequence[str], headers: Mapping[str, str] | None = None) -> tuple[Column, ...]:
    """The named columns with their headers (``headers``, else :data:`HEADERS`) and kinds (:data:`KINDS`)."""
    headers = headers or {}
    return tuple(Column(headers[n] if n in headers else HEADERS[n], n, KINDS.get(n)) for n in names)


def _figure(row: Row, mart: str, column: str) -> Figure:
    """``row[column]`` of ``mart`` as a figure of the column's kind (:data:`KINDS`)."""
    return figure(row, mart, column, KINDS[column])


def _citing(row: Row, mart: str, template: str, figures: Mapping[str, str], **text: str | Figure) -> Sentence:
    """``template`` with its ``figures`` fields ({field: column}) citing one row of ``mart`` and ``text``
    filling the others (names, the year)."""
    return sentence(template, **text, **{field: _figure(row, mart, c) for field, c in figures.items()})


def _name(row: Row, name: str, code: str) -> str:
    """What a row is called: its name, else its code."""
    return str(row[name] or row[code])


def _table(
    mart: str,
    caption: str,
    data: Sequence[Row],
    names: Sequence[str],
    headers: Mapping[str, str] | None = None,
) -> Table:
    """The rows of ``mart`` in the named columns: figures, or labels for names and codes."""
    columns = _columns(names, headers)
    return Table(
        mart,
        caption,
        columns,
        tuple(
            tuple(figure(r, mart, c.column, c.kind) if c.kind else _label(r, c.column) for c in columns)
            for r in data
        ),
    )


def _industry_chart(
    title: str,
    mart: str,
    data: Sequence[Row],
    series: Sequence[str],
    headers: Mapping[str, str] | None = None,
    percent: bool = False,
) -> Chart:
    """A bar chart of the rows of ``mart``, one bar per industry (``code name``) in each series (a column)."""
    return Chart(
        title,
        tuple(f"{r['industry_code']} {r['industry_name'] or ''}" for r in data),
        tuple((c.header, tuple(_figure(r, mart, c.column) for r in data)) for c in _columns(series, headers)),
        percent=percent,
    )


def _label(row: Row, column: str) -> str:
    """A name or code; a label disclosure control withheld (a shortage level) is shown as masked."""
    return MASKED_TEXT if column in masked_columns(row) else str(row[column] or "")


def _no_data(mart: str, city: City) -> Sentence:
    return sentence("本次发布中{mart}没有{city}的数据。", mart=mart, city=city.name)


# --- sections ------------------------------------------------------------------------------------------


def industry_structure(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_industry_structure"
    year = _section_year(con, mart, "year", city)
    data = rows(
        con,
        f"select * from {mart} where region_level = 'prefecture' and region_code = ? and year = ? "
        "order by output_value_100m_cny desc nulls last, industry_code",
        [city.code, year],
    )
    top = data[0]
    cited = {"output": "output_value_100m_cny", "share": "output_share"}
    said = [
        _citing(
            top,
            mart,
            "{year}年{city}总产值最大的门类是{name}，总产值{output}亿元，占全市各门类产值的{share}。",
            cited,
            year=_year(year, mart, "year"),
            city=city.name,
            name=_name(top, "industry_name", "industry_code"),
        )
    ]
    if len(data) > 1:
        second = data[1]
        said.append(
            _citing(
                second,
                mart,
                "其次是{name}，总产值{output}亿元，占{share}。",
                cited,
                name=_name(second, "industry_name", "industry_code"),
            )
        )
    table = _table(
        mart,
        "各门类产值、增加值与从业人员 Output, value added and employment by 门类",
        data,
        (
            "industry_code",
            "industry_name",
            "output_value_100m_cny",
            "output_share",
            "value_added_100m_cny",
            "value_added_share",
            "employment_10k",
        ),
        headers={"industry_code": "门类 section", "industry_name": "名称 name"},
    )
    chart = _industry_chart(
        "产值占比 Output share by 门类",
        mart,
        data,
        ("output_share",),
        headers={"output_share": "产值占比 output share"},
        percent=True,
    )
    return SectionContent(tuple(said), (table,), (chart,))


def demand(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_talent_match"
    data = _found(
        con,
        mart,
        f"select * from {mart} where region_level = 'prefecture' and industry_level = 'division' "
        "and region_code = ? and year = ? and vacancy_headcount > 0 "
        "order by vacancy_headcount desc, industry_code limit ?",
        [city.code, city.year, TOP],
    )
    top = data[0]
    said = (
        _citing(
            top,
            mart,
            "{year}年{city}岗位需求人数最多的行业（大类）是{name}，需求{demand}人，岗位{postings}个；"
            "本市院校对应的毕业生供给为{supply}人，岗位供需比{ratio}（每名毕业生对应的岗位需求人数）。",
            {
                "demand": "vacancy_headcount",
                "postings": "vacancy_postings",
                "supply": "graduates_supplied",
                "ratio": "vacancies_per_graduate",
            },
            year=_year(city.year, mart, "year"),
            city=city.name,
            name=_name(top, "industry_name", "industry_code"),
        ),
    )
    table = _table(
        mart,
        "需求最多的行业（大类） Industries with the most demand",
        data,
        (
            "industry_code",
            "industry_name",
            "vacancy_headcount",
            "vacancy_postings",
            "graduates_supplied",
            "vacancies_per_graduate",
            "major_fit_rate",
        ),
    )
    chart = _industry_chart(
        "需求与供给 Demand and supply by industry", mart, data, ("vacancy_headcount", "graduates_supplied")
    )
    return SectionContent(said, (table,), (chart,))


def supply(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_talent_outflow"
    data = _found(
        con,
        mart,
        "select o.*, coalesce(m.major_category_name, '') as major_category_name, "
        "coalesce(m.major_category_code, '') as major_category_code "
        f"from {mart} as o left join dim_major as m on o.major_code = m.major_code "
        "where o.region_level = 'prefecture' and o.region_code = ? and o.grad_year = ? "
        "order by m.major_category_code nulls last, o.graduates desc nulls last, o.major_code",
        [city.code, city.year],
    )
    largest = max(data, key=lambda r: -1 if r["graduates"] is None else r["graduates"])
    said = (
        _citing(
            largest,
            mart,
            "{year}届{city}院校毕业生最多的专业是{major}（{category}），毕业生{graduates}人，"
            "初次毕业去向落实率{placement}。",
            {"graduates": "graduates", "placement": "initial_placement_rate"},
            year=_year(city.year, mart, "grad_year"),
            city=city.name,
            major=_name(largest, "major_name", "major_code"),
            category=largest["major_category_name"] or largest["major_category_code"] or "专业类未知",
        ),
    )
    table = _table(
        mart,
        "按专业类的毕业生 Graduates by major category and major",
        data,
        (
            "major_category_name",
            "major_code",
            "major_name",
            "graduates",
            "placed_initial",
            "initial_placement_rate",
            "year_end_placement_rate",
            "employed",
        ),
    )
    return SectionContent(said, (table,))


def flows_and_retention(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_region_attraction"
    r = _found(
        con, mart, f"select * from {mart} where region_code = ? and grad_year = ?", [city.code, city.year]
    )[0]
    said = (
        _citing(
            r,
            mart,
            "{year}届{city}院校就业毕业生{employed}人，其中留在本市就业{employed_in_school_city}人，留市率{city_retention_rate}。",
            {
                "employed": "employed",
                "employed_in_school_city": "employed_in_school_city",
                "city_retention_rate": "city_retention_rate",
            },
            year=_year(city.year, mart, "grad_year"),
            city=city.name,
        ),
        _citing(
            r,
            mart,
            "在外地就读的本市生源回流率{return_rate}，本市就业毕业生中外来人才占{inflow}，"
            "人才吸引力指数{index}。",
            {"return_rate": "return_rate", "inflow": "inflow_share", "index": "attraction_index"},
        ),
    )
    flows_mart = "mart_graduate_flows"
    paths = rows(
        con,
        f"select *, coalesce(employer_region_name, flow_type) as employer from {flows_mart} "
        "where school_region_code = ? and grad_year = ? and flow_type <> 'not_employed' "
        "order by graduates desc nulls last, employer_region_code nulls last, origin_region_code, flow_type "
        "limit ?",
        [city.code, city.year, TOP],
    )
    table = _table(
        flows_mart,
        "本市院校毕业生的主要流向 Main paths of the city's graduates",
        paths,
        ("origin_region_name", "employer", "flow_type", "graduates"),
    )
    return SectionContent(said, (table,))


LEVELS = {"severe": "严重紧缺 severe", "shortage": "紧缺 shortage"}  # the marts' shortage_level values


@dataclass(frozen=True)
class ShortageRule:
    """The figures a shortage list is ranked by under one ``ranking_basis`` (docs/indicators.md)."""

    gap: str
    demand: str
    supply: str
    ratio: str
    supply_label: str
    ratio_label: str


SHORTAGE_RULES = {  # ranking_basis → its figures; the MOHRSS 最缺工 rule first where it applies
    "job_seekers": ShortageRule(
        "job_seeker_gap",
        "vacancies_with_job_seekers",
        "job_seekers",
        "job_vacancy_ratio",
        "求职人数",
        "求人倍率",
    ),
    "graduates_supplied": ShortageRule(
        "shortage_gap",
        "vacancy_headcount",
        "graduates_supplied",
        "vacancies_per_graduate",
        "毕业生供给",
        "岗位供需比",
    ),
}
SHORTAGE_LISTS = (  # mart, code and name columns, what a row is, the rule a row is ranked by (SQL)
    ("mart_shortage_occupations", "occupation_code", "occupation_name", "职业（中类）", "ranking_basis"),
    # the industry list has no ranking_basis: every row is ranked by the graduate rule
    ("mart_shortage_industries", "industry_code", "industry_name", "行业（大类）", "'graduates_supplied'"),
)


def shortages(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    """The city's shortage lists (紧缺人才目录), ranked by the marts: occupations and industries apart, and
    within the occupation list each ``ranking_basis`` apart (the ranks run within it; the MOHRSS 最缺工
    rule's rows with their job seekers and 求人倍率, the others with graduate supply and 岗位供需比).
    A rank or level withheld with a masked count stays withheld, and those rows come after the ranked ones."""
    said, tables = [], []
    for mart, code, name, label, ranking_basis in SHORTAGE_LISTS:
        year = latest_year(con, mart, "year", city)
        if year is None:
            said.append(_no_data(mart, city))
            continue
        for basis, rule in SHORTAGE_RULES.items():
            data = rows(
                con,
                f"select * from {mart} where region_level = 'prefecture' and region_code = ? and year = ? "
                f"and {ranking_basis} = ? order by shortage_rank nulls last, {code} limit ?",
                [city.code, year, basis, TOP],
            )
            if not data:  # no row of the city's list is ranked by this rule
                continue
            first = next((r for r in data if r["shortage_rank"] == 1), None)
            if first is not None:
                said.append(
                    _citing(
                        first,
                        mart,
                        "{year}年{city}缺口最大的{label}是{name}，缺口{gap}人（需求{demand}人，"
                        "{supply_label}{supply}人，{ratio_label}{ratio}），紧缺程度{level}。",
                        {"gap": rule.gap, "demand": rule.demand, "supply": rule.supply, "ratio": rule.ratio},
                        year=_year(year, mart, "year"),
                        city=city.name,
                        label=label,
                        name=_name(first, name, code),
                        supply_label=rule.supply_label,
                        ratio_label=rule.ratio_label,
                        level=LEVELS.get(first["shortage_level"], _label(first, "shortage_level")),
                    )
                )
            tables.append(
                _table(
                    mart,
                    f"紧缺{label}目录（按{rule.supply_label}） Shortage list",
                    data,
                    (
                        "shortage_rank",
                        code,
                        name,
                        rule.gap,
                        rule.demand,
                        rule.supply,
                        rule.ratio,
                        "shortage_level",
                    ),
                    # the list's grain names its code and name, its rule its supply and ratio
                    headers={
                        code: f"{label}代码 code",
                        name: f"{label}名称 name",
                        rule.supply: f"{rule.supply_label} supply",
                        rule.ratio: rule.ratio_label,
                    },
                )
            )
    return SectionContent(tuple(said), tuple(tables))


def partnership_contribution(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_partnership_contribution"
    year = _section_year(con, mart, "calendar_year", city)
    # names are labels looked up in the scorecards; a partnership whose index is masked is listed after the
    # others, in code order, and no position is printed (a rank of masked inputs would reveal them)
    data = _found(
        con,
        mart,
        "select c.*, coalesce(s.school_name, c.school_code) as school, "
        "coalesce(p.enterprise_name, c.enterprise_id) as enterprise "
        f"from {mart} as c "
        "left join (select school_code, any_value(school_name) as school_name from mart_school_scorecard "
        "group by school_code) as s on c.school_code = s.school_code "
        "left join (select enterprise_id, any_value(enterprise_name) as enterprise_name "
        "from mart_partner_scorecard group by enterprise_id) as p on c.enterprise_id = p.enterprise_id "
        "where c.region_code = ? and c.calendar_year = ? "
        "order by c.contribution_index desc nulls last, c.school_code, c.enterprise_id limit ?",
        [city.code, year, TOP],
    )
    top = data[0]
    said = (
        _citing(
            top,
            mart,
            "{year}年{city}区域产业贡献度最高的校企合作是{school}与{enterprise}，贡献度{index}："
            "本市就业{local}人，技术服务产值{value}万元，学生岗位适配率{fit}。",
            {
                "index": "contribution_index",
                "local": "hires_in_school_city",
                "value": "technical_service_value_10k_cny",
                "fit": "job_fit_rate",
            },
            year=_year(year, mart, "calendar_year"),
            city=city.name,
            school=top["school"],
            enterprise=top["enterprise"],
        ),
    )
    table = _table(
        mart,
        "贡献度最高的校企合作 Partnerships contributing most",
        data,
        (
            "school",
            "enterprise",
            "hires_in_school_city",
            "technical_service_value_10k_cny",
            "training_person_times",
            "job_fit_rate",
            "contribution_index",
        ),
    )
    return SectionContent(said, (table,))


# the mart's warning_level values, most severe first: how the section orders and names them
WARNING_LEVELS = {
    "red": "红色预警",
    "yellow": "黄色预警",
    "green": "绿色",
    "insufficient_data": "数据不足",
}


def major_warnings(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    """专业预警 of the city's schools in the latest graduation year: how many majors the mart puts at each
    level (a tally of published rows; a level withheld with a masked count is tallied as withheld, never
    guessed), the most severe major with its reasons, and the majors on warning (red first, then yellow, by
    code) with the figures the rules read. The full list is the lists workbook's 专业预警名单 sheet."""
    mart = "mart_major_warning"
    year = _section_year(con, mart, "grad_year", city)
    where = "region_level = 'prefecture' and region_code = ? and grad_year = ?"
    tally = {
        r["warning_level"]: r["majors"]
        for r in rows(
            con,
            f"select warning_level, count(*) as majors from {mart} where {where} group by warning_level",
            [city.code, year],
        )
    }
    order = " ".join(f"when '{level}' then {i}" for i, level in enumerate(WARNING_LEVELS))
    data = rows(
        con,
        f"select * from {mart} where {where} and warning_level in ('red', 'yellow') "
        f"order by case warning_level {order} end, major_code limit ?",
        [city.code, year, 2 * TOP],
    )

    def majors(level: str | None) -> Figure:
        return Figure(tally.get(level, 0), mart, "warning_level", "count")

    said = [
        sentence(
            "{year}届{city}院校的专业中，红色预警{red}个、黄色预警{yellow}个、绿色{green}个，"
            "数据不足不评级{insufficient}个；因小数抑制不公布等级的{withheld}个。",
            year=_year(year, mart, "grad_year"),
            city=city.name,
            red=majors("red"),
            yellow=majors("yellow"),
            green=majors("green"),
            insufficient=majors("insufficient_data"),
            withheld=majors(None),
        )
    ]
    if data:
        first = data[0]
        # the rate the rules read: that of placement_round (统计轮次), the rounds never pooled
        year_end = first["placement_round"] == "year_end"
        said.append(
            _citing(
                first,
                mart,
                "预警最重的是{major}，{level}：{reasons}；毕业生{graduates}人，{round}毕业去向落实率"
                "{rate}，专业对口率{fit}，留市率{retention}，所服务行业的岗位供需比{ratio}。",
                {
                    "graduates": "graduates",
                    "rate": f"{'year_end' if year_end else 'initial'}_placement_rate",
                    "fit": "major_fit_rate",
                    "retention": "city_retention_rate",
                    "ratio": "served_vacancies_per_graduate",
                },
                major=f"{first['major_name']}（{first['major_code']}）"
                if first["major_name"]
                else first["major_code"],
                level=_label(first, "warning_level_name"),
                reasons=_label(first, "warning_reasons"),
                round="年终" if year_end else "初次",
            )
        )
    table = _table(
        mart,
        "预警专业（红色、黄色） Majors on warning",
        data,
        (
            "major_code",
            "major_name",
            "graduates",
            "initial_placement_rate",
            "year_end_placement_rate",
            "major_fit_rate",
            "city_retention_rate",
            "served_vacancies_per_graduate",
            "warning_level_name",
            "warning_reasons",
        ),
    )
    return SectionContent(tuple(said), (table,))


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    marts: tuple[str, ...]  # what it reads; absent from the release: the section says so
    gather: Callable[[duckdb.DuckDBPyConnection, City], SectionContent]
    labels: tuple[str, ...] = ()  # tables it looks names up in (required as well)


SECTIONS: tuple[Section, ...] = (
    Section("industry", "产业结构 Industry structure", ("mart_industry_structure",), industry_structure),
    Section("demand", "岗位需求 Demand", ("mart_talent_match",), demand),
    Section("supply", "毕业生供给 Supply", ("mart_talent_outflow", "dim_major"), supply),
    Section(
        "flows",
        "人才流向与留存 Flows and retention",
        ("mart_region_attraction", "mart_graduate_flows"),
        flows_and_retention,
    ),
    Section(
        "shortages",
        "紧缺人才 Shortages",
        ("mart_shortage_occupations", "mart_shortage_industries"),
        shortages,
    ),
    Section(
        "partnership",
        "校企合作贡献 Partnership contribution",
        ("mart_partnership_contribution",),
        partnership_contribution,
        labels=("mart_school_scorecard", "mart_partner_scorecard"),
    ),
    Section("warnings", "专业预警 Major warnings", ("mart_major_warning",), major_warnings),
)


def section_content(con: duckdb.DuckDBPyConnection, section: Section, city: City) -> SectionContent:
    present = tables_of(con)
    absent = tuple(m for m in (*section.marts, *section.labels) if m not in present)
    if absent:
        content = SectionContent(
            (sentence("本次发布不含{marts}，本节暂缺。", marts="、".join(absent)),), absent=absent
        )
    else:
        try:
            content = section.gather(con, city)
        except NoRows as none:
            content = SectionContent((_no_data(none.mart, city),))
    return replace(content, key=section.key, title=section.title)


@dataclass(frozen=True)
class Paper:
    city: City
    release_id: str
    sections: tuple[SectionContent, ...]


def paper(con: duckdb.DuckDBPyConnection, city: City, release_id: str) -> Paper:
    return Paper(city, release_id, tuple(section_content(con, s, city) for s in SECTIONS))
