"""The release report: one self-contained HTML page per release (charts, shortage list, checks, inputs).

Charts are plotly figures with plotly.js inlined once, so the page opens offline and renders Chinese text
with the reader's fonts. The figures read mart rows as published — the report computes no indicator of its
own — and the data behind every chart is embedded in the page as JSON (``<script id="report-data">``), so a
test can check that the page says what the marts say.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import duckdb
import plotly.graph_objects as go

TOP = 15

QUERIES = {
    # demand vs supply by industry: the home province (the one whose schools supply most graduates) in the
    # latest year, the 15 industries with most demand
    "demand_supply": """
        select region_code, region_name, industry_code, industry_name,
               graduates_supplied::double as graduates_supplied, vacancy_headcount, vacancies_per_graduate
        from mart_talent_match
        where region_level = 'province' and industry_level = 'division'
          and year = (select max(year) from mart_talent_match)
          and region_code = (select region_code from mart_talent_match where region_level = 'province'
                             group by region_code order by sum(graduates_supplied) desc limit 1)
        order by vacancy_headcount desc, industry_code
        limit 15""",
    # graduate flows between cities: school city → employer city of the latest year, largest paths
    "flows": """
        select school_region_name, coalesce(employer_region_name, '(' || flow_type || ')') as employer,
               sum(graduates) as graduates
        from mart_graduate_flows
        where grad_year = (select max(grad_year) from mart_graduate_flows)
          and flow_type <> 'not_employed'
        group by all
        having sum(graduates) is not null  -- suppressed small paths are not drawn
        order by graduates desc, school_region_name, employer
        limit 40""",
    # 本市就业率 by school city and major: employed in the school's own city (prefecture rows, latest year)
    "retention": """
        select region_name, major_code, coalesce(major_name, major_code) as major, city_retention_rate,
               employed
        from mart_talent_outflow
        where region_level = 'prefecture' and employed >= 10
          and grad_year = (select max(grad_year) from mart_talent_outflow)
        order by region_name, major_code""",
    # the shortage lists: the three largest gaps per city, industries and occupations apart, latest year (a
    # rank withheld by disclosure control is not shown). An occupation row ranked by the MOHRSS rule
    # (ranking_basis job_seekers) shows its job-seeker gap, 求人倍率 and job seekers, the figures it is ranked
    # by, not the graduate figures it also carries for comparison; ranks run per basis.
    "shortage": """
        select region_name, '产业 industry' as classification, 'graduates_supplied' as ranking_basis,
               shortage_rank, industry_code as code,
               industry_name as name, shortage_gap::double as shortage_gap, vacancies_per_graduate as ratio,
               shortage_level, vacancy_headcount, graduates_supplied::double as supply
        from mart_shortage_industries
        where region_level = 'prefecture' and shortage_rank <= 3
          and year = (select max(year) from mart_shortage_industries)
        union all
        select region_name, '职业 occupation', ranking_basis, shortage_rank, occupation_code, occupation_name,
               case ranking_basis when 'job_seekers' then job_seeker_gap::double
                   else shortage_gap::double end,
               case ranking_basis when 'job_seekers' then job_vacancy_ratio
                   else vacancies_per_graduate end,
               shortage_level,
               case ranking_basis when 'job_seekers' then vacancies_with_job_seekers
                   else vacancy_headcount end,
               case ranking_basis when 'job_seekers' then job_seekers::double
                   else graduates_supplied::double end
        from mart_shortage_occupations
        where region_level = 'prefecture' and shortage_rank <= 3
          and year = (select max(year) from mart_shortage_occupations)
        order by region_name, classification, ranking_basis, shortage_rank""",
}


def report_data(database: Path) -> dict[str, list[dict]]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        data = {}
        for name, sql in QUERIES.items():
            rel = con.sql(sql)
            data[name] = [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]
        return data
    finally:
        con.close()


def _demand_supply(rows: list[dict]) -> go.Figure:
    labels = [f"{r['industry_code']} {r['industry_name']}" for r in rows]
    fig = go.Figure(
        [
            go.Bar(
                name="岗位需求 vacancy headcount",
                y=labels,
                x=[r["vacancy_headcount"] for r in rows],
                orientation="h",
            ),
            go.Bar(
                name="毕业生供给 graduates supplied",
                y=labels,
                x=[r["graduates_supplied"] for r in rows],
                orientation="h",
            ),
        ]
    )
    fig.update_layout(
        barmode="group",
        height=560,
        yaxis={"autorange": "reversed"},
        title="供需对比 Demand vs supply by industry "
        f"({rows[0]['region_name'] if rows else ''}, latest year)",
    )
    return fig


def _flows(rows: list[dict]) -> go.Figure:
    sources = sorted({r["school_region_name"] for r in rows if r["school_region_name"]})
    targets = sorted({r["employer"] for r in rows if r["employer"]})
    nodes = [f"{s} (学校)" for s in sources] + [f"{t} (就业)" for t in targets]
    fig = go.Figure(
        go.Sankey(
            node={"label": nodes, "pad": 12},
            link={
                "source": [sources.index(r["school_region_name"]) for r in rows],
                "target": [len(sources) + targets.index(r["employer"]) for r in rows],
                "value": [r["graduates"] for r in rows],
            },
        )
    )
    fig.update_layout(height=620, title="人才流向 Graduate flows: school city → employer city (latest year)")
    return fig


def _retention(rows: list[dict]) -> go.Figure:
    regions = sorted({r["region_name"] for r in rows})
    majors = sorted({r["major"] for r in rows})
    z = [[None] * len(majors) for _ in regions]
    for r in rows:
        z[regions.index(r["region_name"])][majors.index(r["major"])] = r["city_retention_rate"]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=majors, y=regions, zmin=0, zmax=1, colorscale="Blues", colorbar={"title": "本市就业率"}
        )
    )
    fig.update_layout(
        height=560,
        title="本市就业率 Employed in the school's city, by city and major (latest year, ≥10 employed)",
    )
    return fig


SUPPRESSED = "<abbr title='小数抑制 suppressed: a small count of persons'>✱</abbr>"


def _number(value: float | None, spec: str) -> str:
    return SUPPRESSED if value is None else format(value, spec)


# the shortage lists' ranking_basis (docs/indicators.md, Shortage lists)
BASES = {
    "graduates_supplied": "毕业生供给 graduates (our variant)",
    "job_seekers": "求职人数 job seekers (MOHRSS 最缺工)",
}


def _shortage_table(rows: list[dict]) -> str:
    head = (
        "<tr><th>城市 city</th><th>分类 classification</th><th>排名 rank</th><th>代码 code</th>"
        "<th>名称 name</th><th>口径 basis</th><th>缺口 gap</th>"
        "<th>岗位供需比 vacancies per graduate / 求人倍率 (MOHRSS)</th><th>等级 level</th>"
        "<th>需求 demand</th>"
        "<th>供给 supply (毕业生 graduates / 求职人数 job seekers)</th></tr>"
    )
    body = "".join(
        f"<tr><td>{html.escape(str(r['region_name']))}</td><td>{r['classification']}</td>"
        f"<td>{r['shortage_rank']}</td>"
        f"<td>{html.escape(str(r['code']))}</td><td>{html.escape(str(r['name'] or ''))}</td>"
        f"<td>{BASES.get(r['ranking_basis'], r['ranking_basis'])}</td>"
        f"<td>{_number(r['shortage_gap'], '.1f')}</td><td>{_number(r['ratio'], '.2f')}</td>"
        f"<td>{r['shortage_level']}</td>"
        f"<td>{r['vacancy_headcount']}</td>"
        f"<td>{_number(r['supply'], '.1f')}</td></tr>"
        for r in rows
    )
    return f"<table class='data' id='shortage-list'>{head}{body}</table>"


def _checks_and_inputs(record: dict) -> str:
    checks = "".join(
        f"<tr><td>{html.escape(s['suite'])}</td><td class='{'ok' if s['success'] else 'bad'}'>"
        f"{'passed' if s['success'] else 'FAILED'}"
        + (
            f" (not run: the table is as when release {html.escape(s['carried_from'])}'s checks ran)"
            if s.get("carried_from")
            else ""
        )
        + "</td></tr>"
        for c in record.get("checks", [])
        for s in c.get("suites", [])
    ) + "".join(
        f"<tr><td>{html.escape(name)}</td><td class='ok'>not run: nothing new since it last passed</td></tr>"
        for c in record.get("checks", [])
        for name in c.get("not_run", [])
    )
    inputs = "".join(
        f"<tr><td>{html.escape(i.get('feed', ''))}</td><td>{html.escape(i.get('source_file', ''))}</td>"
        f"<td>{i.get('rows_read', '')}</td><td>{i.get('rows_loaded', '')}</td>"
        f"<td>{i.get('rows_quarantined', '')}</td>"
        f"<td><code>{i.get('file_sha256', '')[:16]}…</code></td></tr>"
        for i in record.get("inputs", [])
    )
    disclosure = record.get("disclosure", {})
    cells = sum(
        t["cells_primary"] + t["cells_secondary"] + t["cells_rate"]
        for t in disclosure.get("tables", {}).values()
    )
    note = (
        f"<p id='disclosure'>小数抑制 Small-cell suppression: counts of persons under k = "
        f"{disclosure.get('suppression_k', 0):g} are masked ({SUPPRESSED}), with the cells that would reveal "
        f"them; {cells} cells masked in this release.</p>"
    )
    flags = (
        "".join(
            f"<tr><td>{html.escape(f['suite'])}</td><td>{html.escape(f['check'])}</td><td>{f['rows']}</td>"
            f"<td>{html.escape('; '.join(f['sample'][:3]))}</td></tr>"
            for c in record.get("checks", [])
            for f in c.get("plausibility_flags", [])
        )
        or "<tr><td colspan='4'>none</td></tr>"
    )
    partial = (
        "".join(
            f"<tr><td>{html.escape(mart)}</td><td>{html.escape(g['feed'])}</td><td>{g['rows_loaded']:,}</td>"
            f"<td>{html.escape(g['reason'])}</td></tr>"
            for mart, gaps in sorted(record.get("coverage", {}).items())
            for g in gaps
        )
        or "<tr><td colspan='4'>none: every mart covers every delivered feed</td></tr>"
    )
    mapping = (
        "".join(
            f"<tr><td>{html.escape(feed)}</td><td>{html.escape(path)}</td><td>{rows:,}</td></tr>"
            for feed, paths in sorted(record.get("major_code_mapping", {}).items())
            for path, rows in sorted(paths.items())
        )
        or "<tr><td colspan='3'>no feed with major codes</td></tr>"
    )
    return (
        "<h2>专业代码映射 Major codes per mapping path (docs/reference.md, Old major codes)</h2>"
        "<table class='data' id='major-code-mapping'>"
        f"<tr><th>feed</th><th>path</th><th>records loaded</th></tr>{mapping}</table>"
        "<h2>覆盖范围 Coverage (marts that leave out rows of a delivered feed)</h2>"
        "<table class='data' id='coverage'>"
        f"<tr><th>table</th><th>feed left out</th><th>rows delivered</th><th>why</th></tr>{partial}</table>"
        f"{note}<h2>质量检查 Checks</h2><table class='data' id='checks'>"
        f"<tr><th>suite</th><th>result</th></tr>{checks}</table>"
        "<h2>合理性提示 Plausibility flags (published, to be questioned)</h2>"
        "<table class='data' id='plausibility'>"
        "<tr><th>table</th><th>check</th><th>rows</th><th>sample</th></tr>"
        f"{flags}</table>"
        "<h2>输入文件 Input files</h2><table class='data' id='inputs'>"
        f"<tr><th>feed</th><th>file</th><th>read</th><th>loaded</th><th>quarantined</th><th>SHA-256</th></tr>{inputs}</table>"
    )


UNDECLARED = "NOT DECLARED in publication/contract_changes.yml"


def _successors(change: dict) -> str:
    """What replaces a removed table or column: a list (``columns_renamed`` may map a column to several)."""
    found = change.get("replaced_by") or change.get("renamed_to") or []
    return ", ".join([found] if isinstance(found, str) else found)


def _contract_changes(record: dict) -> str:
    """The published tables and columns that changed since the release this one replaces."""
    contract = record.get("contract") or {}
    rows = "".join(
        f"<tr><td>{html.escape(c['kind'])}</td><td>{html.escape(c['table'])}</td>"
        f"<td>{html.escape(c.get('column', ''))}</td>"
        f"<td class='{'bad' if c['breaking'] else 'ok'}'>{'breaking' if c['breaking'] else 'added'}</td>"
        f"<td>{html.escape(_successors(c))}</td>"
        f"<td>{html.escape(c.get('note', '') if c['declared'] else UNDECLARED)}</td></tr>"
        for c in contract.get("changes", [])
    )
    return (
        f"<h2>接口变更 Contract changes (version {contract.get('contract_version', '?')}, since release "
        f"{html.escape(str(contract.get('previous_release') or 'none'))})</h2>"
        "<table class='data' id='contract-changes'><tr><th>change</th><th>table</th><th>column</th>"
        "<th>effect</th><th>replaced by</th><th>note</th></tr>"
        f"{rows or '<tr><td colspan=6>none</td></tr>'}</table>"
    )


def render_report(database: Path, record: dict) -> str:
    data = report_data(database)
    figures = [_demand_supply(data["demand_supply"]), _flows(data["flows"]), _retention(data["retention"])]
    charts = "".join(
        f.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"chart-{i}")
        for i, f in enumerate(figures)
    )
    payload = json.dumps(data, ensure_ascii=False, default=str).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>人才供需发布报告 Release {html.escape(record["release_id"])}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; margin: 2em; }}
table.data {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
table.data td, table.data th {{ border: 1px solid #ccc; padding: 3px 8px; }}
td.ok {{ color: #18794e; }} td.bad {{ color: #c62828; font-weight: bold; }}
</style></head><body>
<h1>人才供需信息平台 · 发布报告</h1>
<p>Release <code id="release-id">{html.escape(record["release_id"])}</code>, published
{html.escape(record.get("published_at", ""))}. Figures are read from the published marts;
formulas in docs/indicators.md.</p>
{charts}
<h2>紧缺人才目录 Shortage lists (the three largest gaps per city, latest year; docs/indicators.md)</h2>
<p>缺口 = 需求人数 − 供给人数: for a row of basis 毕业生供给, supply is the year's vocational graduates
(bridge-weighted) and the ratio is 岗位供需比, vacancies per graduate supplied — not the public employment
service's 求人倍率 (vacancies per registered job seeker); for a row of basis 求职人数 (occupations, where a
public employment service table delivers job seekers), supply is those job seekers and the ratio is the MOHRSS
求人倍率. Ranks run per classification and basis.</p>
{_shortage_table(data["shortage"])}
{_contract_changes(record)}
{_checks_and_inputs(record)}
<script type="application/json" id="report-data">{payload}</script>
</body></html>
"""


def write_report(release_dir: Path, record: dict) -> Path:
    target = release_dir / "report.html"
    target.write_text(render_report(release_dir / "warehouse.duckdb", record), encoding="utf-8")
    return target
