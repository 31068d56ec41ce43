"""Gathering the white paper's data: pure functions of a read-only connection to the release candidate.

Every function reads published marts as they are in the candidate (after disclosure control) and returns
figures that cite their mart and column; nothing here computes an indicator, sums counts or fills a masked
cell. The sections are listed in :data:`SECTIONS` (title, the marts it reads, its gatherer): a section
whose mart the release lacks says so instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def _year(value: int, mart: str, column: str) -> Figure:
    return Figure(value, mart, column, "year")


def _table(mart: str, caption: str, columns: Sequence[Column], data: Sequence[Row]) -> Table:
    return Table(
        mart,
        caption,
        tuple(columns),
        tuple(
            tuple(figure(r, mart, c.column, c.kind) if c.kind else _label(r, c.column) for c in columns)
            for r in data
        ),
    )


def _label(row: Row, column: str) -> str:
    """A name or code; a label disclosure control withheld (a shortage level) is shown as masked."""
    return MASKED_TEXT if column in masked_columns(row) else str(row[column] or "")


def _no_rows(mart: str, city: City) -> SectionContent:
    return SectionContent((sentence("本次发布中{mart}没有{city}的数据。", mart=mart, city=city.name),))


def _one_table(
    said: Sequence[Sentence],
    table: tuple[str, str, Sequence[Column], Sequence[Row]],
    charts: tuple[Chart, ...] = (),
) -> SectionContent:
    """A section of sentences and one table (mart, caption, columns, rows), with its charts."""
    return SectionContent(tuple(said), (_table(*table),), charts)


# --- sections ------------------------------------------------------------------------------------------


def industry_structure(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_industry_structure"
    year = latest_year(con, mart, "year", city)
    if year is None:
        return _no_rows(mart, city)
    data = rows(
        con,
        f"select * from {mart} where region_level = 'prefecture' and region_code = ? and year = ? "
        "order by output_value_100m_cny desc nulls last, industry_code",
        [city.code, year],
    )
    top = data[0]
    said = [
        sentence(
            "{year}年{city}总产值最大的门类是{name}，总产值{output}亿元，占全市各门类产值的{share}。",
            year=_year(year, mart, "year"),
            city=city.name,
            name=top["industry_name"] or top["industry_code"],
            output=figure(top, mart, "output_value_100m_cny", "amount"),
            share=figure(top, mart, "output_share", "share"),
        )
    ]
    if len(data) > 1:
        second = data[1]
        said.append(
            sentence(
                "其次是{name}，总产值{output}亿元，占{share}。",
                name=second["industry_name"] or second["industry_code"],
                output=figure(second, mart, "output_value_100m_cny", "amount"),
                share=figure(second, mart, "output_share", "share"),
            )
        )
    columns = (
        Column("门类 section", "industry_code"),
        Column("名称 name", "industry_name"),
        Column("总产值（亿元）", "output_value_100m_cny", "amount"),
        Column("产值占比", "output_share", "share"),
        Column("增加值（亿元）", "value_added_100m_cny", "amount"),
        Column("增加值占比", "value_added_share", "share"),
        Column("从业人员（万人）", "employment_10k", "amount"),
    )
    return _one_table(
        said,
        (mart, "各门类产值、增加值与从业人员 Output, value added and employment by 门类", columns, data),
        (
            Chart(
                "产值占比 Output share by 门类",
                tuple(f"{r['industry_code']} {r['industry_name'] or ''}" for r in data),
                (("产值占比 output share", tuple(figure(r, mart, "output_share", "share") for r in data)),),
                percent=True,
            ),
        ),
    )


def demand(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_talent_match"
    data = rows(
        con,
        f"select * from {mart} where region_level = 'prefecture' and industry_level = 'division' "
        "and region_code = ? and year = ? and vacancy_headcount > 0 "
        "order by vacancy_headcount desc, industry_code limit ?",
        [city.code, city.year, TOP],
    )
    if not data:
        return _no_rows(mart, city)
    top = data[0]
    said = (
        sentence(
            "{year}年{city}岗位需求人数最多的行业（大类）是{name}，需求{demand}人，岗位{postings}个；"
            "本市院校对应的毕业生供给为{supply}人，岗位供需比{ratio}（每名毕业生对应的岗位需求人数）。",
            year=_year(city.year, mart, "year"),
            city=city.name,
            name=top["industry_name"] or top["industry_code"],
            demand=figure(top, mart, "vacancy_headcount", "count"),
            postings=figure(top, mart, "vacancy_postings", "count"),
            supply=figure(top, mart, "graduates_supplied", "supply"),
            ratio=figure(top, mart, "vacancies_per_graduate", "ratio"),
        ),
    )
    columns = (
        Column("行业代码 code", "industry_code"),
        Column("行业 industry", "industry_name"),
        Column("需求人数 demand", "vacancy_headcount", "count"),
        Column("岗位数 postings", "vacancy_postings", "count"),
        Column("毕业生供给 supply", "graduates_supplied", "supply"),
        Column("岗位供需比 vacancies per graduate", "vacancies_per_graduate", "ratio"),
        Column("专业对口率 fit", "major_fit_rate", "rate"),
    )
    return _one_table(
        said,
        (mart, "需求最多的行业（大类） Industries with the most demand", columns, data),
        (
            Chart(
                "需求与供给 Demand and supply by industry",
                tuple(f"{r['industry_code']} {r['industry_name'] or ''}" for r in data),
                (
                    ("需求人数 demand", tuple(figure(r, mart, "vacancy_headcount", "count") for r in data)),
                    (
                        "毕业生供给 supply",
                        tuple(figure(r, mart, "graduates_supplied", "supply") for r in data),
                    ),
                ),
            ),
        ),
    )


def supply(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_talent_outflow"
    data = rows(
        con,
        "select o.*, coalesce(m.major_category_name, '') as major_category_name, "
        "coalesce(m.major_category_code, '') as major_category_code "
        f"from {mart} as o left join dim_major as m on o.major_code = m.major_code "
        "where o.region_level = 'prefecture' and o.region_code = ? and o.grad_year = ? "
        "order by m.major_category_code nulls last, o.graduates desc nulls last, o.major_code",
        [city.code, city.year],
    )
    if not data:
        return _no_rows(mart, city)
    largest = max(data, key=lambda r: -1 if r["graduates"] is None else r["graduates"])
    said = (
        sentence(
            "{year}届{city}院校毕业生最多的专业是{major}（{category}），毕业生{graduates}人，"
            "初次毕业去向落实率{placement}。",
            year=_year(city.year, mart, "grad_year"),
            city=city.name,
            major=largest["major_name"] or largest["major_code"],
            category=largest["major_category_name"] or largest["major_category_code"] or "专业类未知",
            graduates=figure(largest, mart, "graduates", "count"),
            placement=figure(largest, mart, "initial_placement_rate", "rate"),
        ),
    )
    columns = (
        Column("专业类 category", "major_category_name"),
        Column("专业代码 code", "major_code"),
        Column("专业 major", "major_name"),
        Column("毕业生 graduates", "graduates", "count"),
        Column("初次落实 placed (initial)", "placed_initial", "count"),
        Column("初次落实率 initial rate", "initial_placement_rate", "rate"),
        Column("年终落实率 year-end rate", "year_end_placement_rate", "rate"),
        Column("就业人数 employed", "employed", "count"),
    )
    return _one_table(said, (mart, "按专业类的毕业生 Graduates by major category and major", columns, data))


def flows_and_retention(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_region_attraction"
    found = rows(con, f"select * from {mart} where region_code = ? and grad_year = ?", [city.code, city.year])
    if not found:
        return _no_rows(mart, city)
    r = found[0]
    said = (
        sentence(
            "{year}届{city}院校就业毕业生{employed}人，其中留在本市就业{employed_in_school_city}人，留市率{city_retention_rate}。",
            year=_year(city.year, mart, "grad_year"),
            city=city.name,
            employed=figure(r, mart, "employed", "count"),
            employed_in_school_city=figure(r, mart, "employed_in_school_city", "count"),
            city_retention_rate=figure(r, mart, "city_retention_rate", "rate"),
        ),
        sentence(
            "在外地就读的本市生源回流率{return_rate}，本市就业毕业生中外来人才占{inflow}，"
            "人才吸引力指数{index}。",
            return_rate=figure(r, mart, "return_rate", "rate"),
            inflow=figure(r, mart, "inflow_share", "share"),
            index=figure(r, mart, "attraction_index", "index"),
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
    columns = (
        Column("生源地 origin", "origin_region_name"),
        Column("就业地 employer city", "employer"),
        Column("流向 flow", "flow_type"),
        Column("毕业生 graduates", "graduates", "count"),
    )
    return _one_table(
        said,
        (flows_mart, "本市院校毕业生的主要流向 Main paths of the city's graduates", columns, paths),
    )


LEVELS = {"severe": "严重紧缺 severe", "shortage": "紧缺 shortage"}  # the marts' shortage_level values


@dataclass(frozen=True)
class ShortageRule:
    """The figures a shortage list is ranked by under one ``ranking_basis`` (docs/indicators.md)."""

    gap: str
    demand: str
    supply: str
    supply_kind: str
    ratio: str
    supply_label: str
    ratio_label: str


SHORTAGE_RULES = {  # ranking_basis → its figures; the MOHRSS 最缺工 rule first where it applies
    "job_seekers": ShortageRule(
        "job_seeker_gap",
        "vacancies_with_job_seekers",
        "job_seekers",
        "count",
        "job_vacancy_ratio",
        "求职人数",
        "求人倍率",
    ),
    "graduates_supplied": ShortageRule(
        "shortage_gap",
        "vacancy_headcount",
        "graduates_supplied",
        "supply",
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
            said.append(sentence("本次发布中{mart}没有{city}的数据。", mart=mart, city=city.name))
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
                    sentence(
                        "{year}年{city}缺口最大的{label}是{name}，缺口{gap}人（需求{demand}人，"
                        "{supply_label}{supply}人，{ratio_label}{ratio}），紧缺程度{level}。",
                        year=_year(year, mart, "year"),
                        city=city.name,
                        label=label,
                        name=first[name] or first[code],
                        gap=figure(first, mart, rule.gap, rule.supply_kind),
                        demand=figure(first, mart, rule.demand, "count"),
                        supply_label=rule.supply_label,
                        supply=figure(first, mart, rule.supply, rule.supply_kind),
                        ratio_label=rule.ratio_label,
                        ratio=figure(first, mart, rule.ratio, "ratio"),
                        level=LEVELS.get(first["shortage_level"], _label(first, "shortage_level")),
                    )
                )
            columns = (
                Column("排名 rank", "shortage_rank", "count"),
                Column(f"{label}代码 code", code),
                Column(f"{label}名称 name", name),
                Column("缺口 gap", rule.gap, rule.supply_kind),
                Column("需求人数 demand", rule.demand, "count"),
                Column(f"{rule.supply_label} supply", rule.supply, rule.supply_kind),
                Column(rule.ratio_label, rule.ratio, "ratio"),
                Column("等级 level", "shortage_level"),
            )
            caption = f"紧缺{label}目录（按{rule.supply_label}） Shortage list"
            tables.append(_table(mart, caption, columns, data))
    return SectionContent(tuple(said), tuple(tables))


def partnership_contribution(con: duckdb.DuckDBPyConnection, city: City) -> SectionContent:
    mart = "mart_partnership_contribution"
    year = latest_year(con, mart, "calendar_year", city)
    if year is None:
        return _no_rows(mart, city)
    # names are labels looked up in the scorecards; a partnership whose index is masked is listed after the
    # others, in code order, and no position is printed (a rank of masked inputs would reveal them)
    data = rows(
        con,
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
    if not data:
        return _no_rows(mart, city)
    top = data[0]
    said = (
        sentence(
            "{year}年{city}区域产业贡献度最高的校企合作是{school}与{enterprise}，贡献度{index}："
            "本市就业{local}人，技术服务产值{value}万元，学生岗位适配率{fit}。",
            year=_year(year, mart, "calendar_year"),
            city=city.name,
            school=top["school"],
            enterprise=top["enterprise"],
            index=figure(top, mart, "contribution_index", "index"),
            local=figure(top, mart, "hires_in_school_city", "count"),
            value=figure(top, mart, "technical_service_value_10k_cny", "amount"),
            fit=figure(top, mart, "job_fit_rate", "rate"),
        ),
    )
    columns = (
        Column("学校 school", "school"),
        Column("企业 enterprise", "enterprise"),
        Column("本市就业 hires in the school city", "hires_in_school_city", "count"),
        Column("技术服务产值（万元）", "technical_service_value_10k_cny", "amount"),
        Column("培训人次 person-times", "training_person_times", "count"),
        Column("岗位适配率 fit", "job_fit_rate", "rate"),
        Column("贡献度 index", "contribution_index", "index"),
    )
    return _one_table(said, (mart, "贡献度最高的校企合作 Partnerships contributing most", columns, data))


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
    year = latest_year(con, mart, "grad_year", city)
    if year is None:
        return _no_rows(mart, city)
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
            sentence(
                "预警最重的是{major}，{level}：{reasons}；毕业生{graduates}人，{round}毕业去向落实率"
                "{rate}，专业对口率{fit}，留市率{retention}，所服务行业的岗位供需比{ratio}。",
                major=f"{first['major_name']}（{first['major_code']}）"
                if first["major_name"]
                else first["major_code"],
                level=_label(first, "warning_level_name"),
                reasons=_label(first, "warning_reasons"),
                graduates=figure(first, mart, "graduates", "count"),
                round="年终" if year_end else "初次",
                rate=figure(first, mart, f"{'year_end' if year_end else 'initial'}_placement_rate", "rate"),
                fit=figure(first, mart, "major_fit_rate", "rate"),
                retention=figure(first, mart, "city_retention_rate", "rate"),
                ratio=figure(first, mart, "served_vacancies_per_graduate", "ratio"),
            )
        )
    columns = (
        Column("专业代码 code", "major_code"),
        Column("专业 major", "major_name"),
        Column("毕业生 graduates", "graduates", "count"),
        Column("初次落实率 initial rate", "initial_placement_rate", "rate"),
        Column("年终落实率 year-end rate", "year_end_placement_rate", "rate"),
        Column("专业对口率 fit", "major_fit_rate", "rate"),
        Column("留市率 city retention", "city_retention_rate", "rate"),
        Column("岗位供需比 vacancies per graduate", "served_vacancies_per_graduate", "ratio"),
        Column("等级 level", "warning_level_name"),
        Column("原因 reasons", "warning_reasons"),
    )
    return _one_table(said, (mart, "预警专业（红色、黄色） Majors on warning", columns, data))


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
    content = (
        SectionContent((sentence("本次发布不含{marts}，本节暂缺。", marts="、".join(absent)),), absent=absent)
        if absent
        else section.gather(con, city)
    )
    return replace(content, key=section.key, title=section.title)


@dataclass(frozen=True)
class Paper:
    city: City
    release_id: str
    sections: tuple[SectionContent, ...]


def paper(con: duckdb.DuckDBPyConnection, city: City, release_id: str) -> Paper:
    return Paper(city, release_id, tuple(section_content(con, s, city) for s in SECTIONS))
