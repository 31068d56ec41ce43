"""End to end on the small sample: inbox → raw zone → dbt → GX gate → published release.

Mart values are checked against an independent computation written here in polars, from the
generated files themselves (not from the warehouse, and not with the marts' SQL).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterator
from functools import reduce
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from core.settings import find_chromium
from devtools.sample import generate
from ingestion.contracts import FEEDS, GRADUATE_DESTINATIONS
from ingestion.vocabulary import EMPLOYED_DESTINATIONS
from publication.whitepaper.pdf import headless_command
from tests.conftest import REPO
from tests.disclosure_check import assert_no_protected_cell_recovered
from tests.postgres_server import Endpoint, embedded_endpoint, server_home

pytestmark = pytest.mark.e2e
SEEDS = REPO / "dbt_project" / "seeds" / "reference"
EMPLOYED = list(EMPLOYED_DESTINATIONS)
CHROMIUM = find_chromium()  # the browser the pipeline prints white papers with (TW_WHITEPAPER_PDF=auto)


class Pipeline:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.inbox = home / "inbox"
        self.endpoint: Endpoint | None = None  # the SQL endpoint (PostgreSQL) the publish step loads into

    def run(self) -> dg.ExecuteInProcessResult:
        from core.settings import load_settings
        from orchestration.definitions import build_definitions

        job = build_definitions(load_settings()).resolve_job_def("refresh")
        with dg.DagsterInstance.ephemeral() as instance:
            return job.execute_in_process(instance=instance, raise_on_error=False)

    @property
    def releases(self) -> Path:
        return self.home / "releases"

    def current(self) -> str | None:
        link = self.releases / "current"
        return link.readlink().name if link.is_symlink() else None

    def query(self, sql: str) -> pl.DataFrame:
        """On the published release (small cells suppressed)."""
        con = duckdb.connect(str(self.releases / "current" / "warehouse.duckdb"), read_only=True)
        try:
            return con.sql(sql).pl()
        finally:
            con.close()

    def build_query(self, sql: str) -> pl.DataFrame:
        """On the internal build database (exact figures)."""
        con = duckdb.connect(str(self.home / "warehouse" / "build.duckdb"), read_only=True)
        try:
            con.execute("set search_path = 'marts,reference'")
            return con.sql(sql).pl()
        finally:
            con.close()


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    with server_home() as home:  # outside pytest's temporary root: the SQL endpoint's server reads it too
        yield from _pipeline(home)


def _pipeline(home: Path) -> Iterator[Pipeline]:
    p = Pipeline(home)
    generate(p.inbox, "small")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TW_HOME", str(home))
        mp.setenv("TW_INBOX_DIR", str(p.inbox))
        mp.setenv("TW_PSEUDONYM_KEY", "e2e-test-key")
        mp.delenv("TW_DEMO", raising=False)
        with embedded_endpoint(home) as endpoint:  # running: the publish step loads the release into it
            p.endpoint = endpoint
            result = p.run()
            assert result.success, [e.message for e in result.all_events if e.is_failure]
            loaded = [m.metadata for m in result.asset_materializations_for_node("postgres_release")]
            assert loaded and loaded[0]["loaded"].value is True, loaded
            yield p


def _graduates(inbox: Path) -> pl.DataFrame:
    """All graduate files as written by the generator, read directly (one year is GB18030 with Chinese
    headers)."""
    folder = inbox / "graduate_destinations"
    frames = [pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))]
    chinese = {c.aliases[0]: c.name for c in GRADUATE_DESTINATIONS.columns}
    for p in sorted(folder.glob("*.csv")):
        df = pl.read_csv(p.read_bytes().decode("gb18030").encode(), infer_schema=False).rename(chinese)
        frames.append(
            df.select(
                pl.col("graduate_id"),
                pl.col("grad_year").cast(pl.Int64),
                "school_code",
                "school_region_code",
                "major_code",
                "level",
                "origin_region_code",
                "destination_type",
                "employer_region_code",
                "employer_industry_code",
                "occupation_code",
                pl.col("employer_is_partner") == "true",
                "employer_enterprise_id",
                pl.col("order_class") == "true",
                pl.col("apprenticeship") == "true",
                pl.col("monthly_salary_cny").cast(pl.Float64),
                pl.col("major_related") == "true",
                pl.col("survey_date").str.to_date(),
            )
        )
    return pl.concat(
        [f.with_columns(pl.col("grad_year").cast(pl.Int64)) for f in frames], how="vertical_relaxed"
    )


def _prefecture() -> dict[str, str]:
    regions = pl.read_csv(SEEDS / "ref_region.csv", infer_schema=False)
    return dict(regions.select("region_code", "prefecture_code").iter_rows())


def test_a_release_is_published_with_its_inputs_and_checks(pipeline: Pipeline) -> None:
    release = pipeline.current()
    assert release is not None
    record = json.loads((pipeline.releases / release / "release.json").read_text())
    inbox_files = {str(p.relative_to(pipeline.inbox)) for p in pipeline.inbox.rglob("*") if p.is_file()}
    assert {i["source_file"] for i in record["inputs"]} == inbox_files
    assert all(len(i["file_sha256"]) == 64 for i in record["inputs"])
    assert all(c["passed"] for c in record["checks"])
    # records per mapping path of their major code (docs/reference.md): the sample is all 2021 codes
    mapping = record["major_code_mapping"]
    assert {"enrolment", "graduate_destinations"} <= set(mapping)
    assert all(set(paths) == {"current"} and paths["current"] > 0 for paths in mapping.values())
    manifest = json.loads((pipeline.releases / release / "manifest.json").read_text())
    for table in manifest["tables"]:  # the Parquet export holds the same rows as the database
        parquet = pipeline.releases / release / table["parquet"]
        assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] == table["rows"]
        assert table["rows"] == pipeline.query(f"select count(*) as n from {table['table']}")["n"][0]
    tables = set(pipeline.query("select table_name from information_schema.tables")["table_name"])
    from transformation.marts import published

    assert {*[d.name for d in published()], "release_info"} <= tables
    docs = list((pipeline.releases / release / "quality").rglob("index.html"))
    assert docs, "GX data docs are kept with the release"
    dbt_docs = (pipeline.releases / release / "docs" / "dbt.html").read_text(encoding="utf-8")
    assert (
        "mart_talent_match" in dbt_docs and r"\u5c97\u4f4d\u4f9b\u9700\u6bd4" in dbt_docs
    )  # 岗位供需比, JSON-escaped
    # the dbt build's results are kept in the logs and its folder under the project's target/ is gone
    from orchestration.resources import dbt_project

    (kept,) = (pipeline.home / "logs").glob("warehouse_dbt_assets-*.run_results.json")
    assert any(r["status"] == "pass" for r in json.loads(kept.read_text())["results"])
    assert not (dbt_project.manifest_path.parent / kept.name.removesuffix(".run_results.json")).exists()


def test_talent_outflow_equals_independent_computation(pipeline: Pipeline) -> None:
    pref = _prefecture()
    g = _graduates(pipeline.inbox).with_columns(
        pl.col("school_region_code").replace_strict(pref).alias("school_pref"),
        pl.col("employer_region_code").replace_strict(pref, default=None).alias("emp_pref"),
        pl.col("destination_type").is_in(EMPLOYED).alias("emp"),
    )
    expected = (
        g.group_by(pl.col("school_pref").alias("region_code"), "major_code", "grad_year")
        .agg(
            pl.len().alias("graduates"),
            pl.col("emp").sum().alias("employed"),
            (pl.col("emp") & (pl.col("emp_pref") == pl.col("school_pref")))
            .sum()
            .alias("employed_in_school_city"),
            (
                pl.col("emp")
                & (
                    pl.col("employer_region_code").str.slice(0, 2)
                    == pl.col("school_region_code").str.slice(0, 2)
                )
            )
            .sum()
            .alias("employed_in_school_province"),
        )
        .with_columns(
            (pl.col("employed_in_school_province") / pl.col("employed")).alias("province_retention_rate")
        )
    )
    got = pipeline.build_query(
        "select region_code, major_code, grad_year, graduates, employed, employed_in_school_city, "
        "employed_in_school_province, province_retention_rate, outflow_rate from mart_talent_outflow "
        "where region_level = 'prefecture'"
    )
    joined = expected.join(
        got.with_columns(pl.col("grad_year").cast(pl.Int64)),
        on=["region_code", "major_code", "grad_year"],
        how="full",
        coalesce=True,
    )
    assert joined.height == expected.height == got.height
    for col in ("graduates", "employed", "employed_in_school_city", "employed_in_school_province"):
        assert (joined[col] == joined[f"{col}_right"]).all(), col
    rates = joined.filter(pl.col("employed") > 0)
    assert ((rates["province_retention_rate"] - rates["province_retention_rate_right"]).abs() < 1e-12).all()
    assert ((rates["province_retention_rate_right"] + rates["outflow_rate"] - 1).abs() < 1e-12).all()


def test_city_retention_rate_is_one_figure_in_both_marts(pipeline: Pipeline) -> None:
    """mart_region_attraction's city_retention_rate (employed_in_school_city ÷ employed) is the rate
    mart_talent_outflow publishes under that name on its prefecture rows, over all majors."""
    got = pipeline.build_query(
        "with outflow as (select region_code, grad_year, sum(employed)::bigint as employed, "
        "sum(employed_in_school_city)::bigint as in_city from mart_talent_outflow "
        "where region_level = 'prefecture' group by all) "
        "select a.region_code, a.grad_year, a.employed, a.employed_in_school_city, a.city_retention_rate, "
        "o.employed, o.in_city from mart_region_attraction as a "
        "left join outflow as o using (region_code, grad_year) where a.employed > 0"
    )
    assert got.height > 0
    assert (got["employed"] == got["employed"]).all()
    assert (got["employed_in_school_city"] == got["in_city"]).all()
    assert ((got["city_retention_rate"] - got["in_city"] / got["employed"]).abs() < 1e-12).all()


def test_talent_match_equals_independent_computation(pipeline: Pipeline) -> None:
    pref = _prefecture()
    pl.read_csv(SEEDS / "major_higher.csv", infer_schema=False)
    bridge = pl.read_csv(SEEDS / "bridge_major_category_industry.csv", infer_schema=False).with_columns(
        pl.col("weight").cast(pl.Float64)
    )
    g = _graduates(pipeline.inbox)
    # 中职 codes are the 高职 code +20 on the first two digits, 职业本科 −20
    head = pl.col("major_code").str.slice(0, 2).cast(pl.Int64)
    g = g.with_columns(
        pl.when(head >= 61)
        .then(head - 20)
        .when(head <= 39)
        .then(head + 20)
        .otherwise(head)
        .cast(pl.Utf8)
        .str.zfill(2)
        .add(pl.col("major_code").str.slice(2, 2))
        .alias("major_category_code"),
        pl.col("school_region_code").replace_strict(pref).alias("region_code"),
        pl.col("grad_year").alias("year"),
    )
    supply = (
        g.join(bridge, on="major_category_code")
        .group_by("region_code", "industry_code", "year")
        .agg(pl.col("weight").sum().alias("supply"))
    )
    vac = pl.concat(
        [pl.read_csv(p, infer_schema=False) for p in sorted((pipeline.inbox / "vacancies").rglob("*.csv"))]
    )
    demand = vac.group_by(
        pl.col("region_code").replace_strict(pref).alias("region_code"),
        pl.col("industry_code").str.slice(0, 2).alias("industry_code"),
        pl.col("posted_date").str.slice(0, 4).cast(pl.Int64).alias("year"),
    ).agg(pl.col("headcount").cast(pl.Int64).sum().alias("demand"))
    employed = (
        g.filter(pl.col("destination_type").is_in(EMPLOYED))
        .group_by(
            pl.col("employer_region_code").replace_strict(pref, default=None).alias("region_code"),
            pl.col("employer_industry_code").str.slice(0, 2).alias("industry_code"),
            "year",
        )
        .agg(pl.len().alias("emp"), pl.col("major_related").sum().alias("related"))
    )
    got = pipeline.build_query(
        "select region_code, industry_code, year, graduates_supplied::double as graduates_supplied, "
        "vacancy_headcount, vacancies_per_graduate, graduates_employed_in_industry, major_fit_rate "
        "from mart_talent_match where region_level = 'prefecture' and industry_level = 'division'"
    ).with_columns(pl.col("year").cast(pl.Int64))
    keys = ["region_code", "industry_code", "year"]
    check = (
        got.join(supply, on=keys, how="left")
        .join(demand, on=keys, how="left")
        .join(employed.filter(pl.col("region_code").is_not_null()), on=keys, how="left")
        .fill_null(0)
    )
    assert ((check["graduates_supplied"] - check["supply"]).abs() <= 0.00005 + 1e-9).all()
    assert (check["vacancy_headcount"] == check["demand"]).all()
    assert (check["graduates_employed_in_industry"] == check["emp"]).all()
    ratio = check.filter(pl.col("supply") > 0)
    assert (
        (ratio["vacancies_per_graduate"] - ratio["vacancy_headcount"] / ratio["graduates_supplied"]).abs()
        < 1e-9
    ).all()
    fit = check.filter(pl.col("emp") > 0)
    assert ((fit["major_fit_rate"] - fit["related"] / fit["emp"]).abs() < 1e-12).all()
    # every cell with supply, demand or employment is in the mart
    assert supply.join(got, on=keys, how="anti").height == 0
    assert demand.join(got, on=keys, how="anti").height == 0


def test_published_marts_are_the_build_marts_with_small_cells_suppressed(pipeline: Pipeline) -> None:
    """Every published count equals the exact one or is NULL and listed; nothing under k=5 is published;
    no additive relation of a published table leaves exactly one masked cell."""
    from publication.disclosure import policies, relations, unsafe_relations

    record = json.loads((pipeline.releases / "current" / "release.json").read_text())
    assert record["disclosure"]["suppression_k"] == 5
    masked_total = 0
    for policy in policies():
        cols = [*policy.counts, *policy.rates]
        exact = pipeline.build_query(f"select * from {policy.table}")
        public = pipeline.query(f"select * from {policy.table}")
        assert exact.height == public.height, policy.table
        assert exact["suppressed_columns"].eq("").all()
        both = exact.join(public, on=list(policy.key), how="inner", suffix="_pub", nulls_equal=True)
        assert both.height == exact.height, policy.table
        listed = both["suppressed_columns_pub"].str.split(",")
        for c in cols:
            is_listed = listed.list.contains(c)
            assert both.filter(is_listed)[f"{c}_pub"].is_null().all(), (policy.table, c)
            kept = both.filter(~is_listed)
            as_number = pl.Float64 if kept[c].dtype.is_numeric() else kept[c].dtype  # a level, a flag
            assert (kept[c].cast(as_number).eq_missing(kept[f"{c}_pub"].cast(as_number))).all(), (
                policy.table,
                c,
            )
        for c, deps in policy.withheld.items():  # a rank or level: withheld exactly when an input is masked
            any_masked = reduce(operator.or_, (listed.list.contains(d) for d in deps))
            assert (listed.list.contains(c) == any_masked).all(), (policy.table, c)
            assert both.filter(any_masked)[f"{c}_pub"].is_null().all(), (policy.table, c)
            kept = both.filter(~any_masked)
            assert kept[c].eq_missing(kept[f"{c}_pub"]).all(), (policy.table, c)
        for c in policy.counts:
            small = both.filter((pl.col(c) > 0) & (pl.col(c) < 5))
            assert small[f"{c}_pub"].is_null().all(), (policy.table, c)
            masked_total += both[f"{c}_pub"].is_null().sum()
        frame = public.with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64))
        cells = (
            frame.select("row_id", *[pl.col(c).cast(pl.Float64) for c in policy.counts])
            .unpivot(index="row_id", variable_name="column", value_name="value")
            .with_columns(masked=pl.col("value").is_null())
        )
        assert unsafe_relations(cells, relations(frame, policy)).is_empty(), policy.table
    assert (
        masked_total
        == sum(t["cells_primary"] + t["cells_secondary"] for t in record["disclosure"]["tables"].values())
        > 0
    )


def test_the_declared_cross_mart_relations_hold_on_the_exact_figures(pipeline: Pipeline) -> None:
    """Every relation the adversary uses (config.meta.disclosure: additive, hierarchies, linked) is true of
    the build's exact figures: a wrong declaration would make the attack and the protection unsound."""
    from publication.disclosure import PublishedMarts, policies, relation_violations

    marts = policies()
    frames = {p.table: pipeline.build_query(f"select rowid as row_id, * from {p.table}") for p in marts}
    violations = relation_violations(PublishedMarts(frames, marts))
    assert violations.is_empty(), violations.head(20)


def test_the_lp_attack_recovers_no_protected_cell(pipeline: Pipeline) -> None:
    """#16 item 1: the adversary of docs/disclosure.md (every masked count an unknown, every relation the
    release exposes, LP min and max per unknown) against the published release: no cell with an exact
    count in (0, k) has an interval narrower than the protection width, and no masked cell is exposed."""
    build = pipeline.home / "warehouse" / "build.duckdb"
    assert_no_protected_cell_recovered(pipeline.releases / "current", build, min_sensitive=1000)


def test_example_queries_run_on_the_release(pipeline: Pipeline) -> None:
    from devtools.analyst_docs import example_queries

    queries = example_queries()
    assert len(queries) >= 9
    for q in queries:
        pipeline.query(q["sql"])  # raises on any error
    from transformation.marts import published_mart_names

    for mart in published_mart_names():  # every published mart holds rows at this scale
        assert pipeline.query(f"select count(*) as n from {mart}")["n"][0] > 0, mart


def test_example_queries_through_the_sql_endpoint_equal_duckdb(pipeline: Pipeline) -> None:
    """The publish step loaded the release into PostgreSQL; psycopg there returns what DuckDB returns on the
    release file."""
    from decimal import Decimal

    import psycopg

    from devtools.analyst_docs import example_queries

    def normalise(rows: list) -> list[tuple]:
        return [tuple(float(v) if isinstance(v, Decimal) else v for v in r) for r in rows]

    queries = example_queries()
    direct = [normalise(pipeline.query(q["sql"]).rows()) for q in queries]
    assert pipeline.endpoint is not None
    with psycopg.connect(pipeline.endpoint.dsn()) as con:
        assert con.execute("select release_id from release_info").fetchone()[0] == pipeline.current()
        for q, expected in zip(queries, direct, strict=True):
            assert normalise(con.execute(q["sql"]).fetchall()) == expected, q["question"]


def test_postgres_has_the_keys_references_and_comments_of_the_dbt_yaml(pipeline: Pipeline) -> None:
    """Primary keys from the dbt tests' unique columns, foreign keys of marts to dimensions, and the YAML's
    descriptions as comments, in the endpoint's copy of the release."""
    import psycopg

    assert pipeline.endpoint is not None
    with psycopg.connect(pipeline.endpoint.dsn()) as con:
        keys = dict(
            con.execute(
                "select c.relname, pg_get_constraintdef(k.oid) from pg_constraint k join pg_class c "
                "on c.oid = k.conrelid where k.contype = 'p' and c.relnamespace = 'warehouse'::regnamespace"
            ).fetchall()
        )
        references = {
            r[0]
            for r in con.execute(
                "select c.relname || ' -> ' || f.relname from pg_constraint k "
                "join pg_class c on c.oid = k.conrelid join pg_class f on f.oid = k.confrelid "
                "where k.contype = 'f' and c.relnamespace = 'warehouse'::regnamespace"
            ).fetchall()
        }
        table_comment = con.execute("select obj_description('mart_talent_match'::regclass)").fetchone()[0]
        column_comment = con.execute(
            "select col_description('mart_talent_match'::regclass, attnum) from pg_attribute "
            "where attrelid = 'mart_talent_match'::regclass and attname = 'vacancies_per_graduate'"
        ).fetchone()[0]
        rows = con.execute("select count(*) from mart_talent_match").fetchone()[0]
    assert keys["mart_talent_match"] == (
        "PRIMARY KEY (region_level, region_code, industry_level, industry_code, year)"
    )
    assert keys["dim_region"] == "PRIMARY KEY (region_code)" and "release_info" in keys
    assert {"mart_talent_match -> dim_region", "mart_talent_match -> dim_industry"} <= references
    assert table_comment.startswith("人才供需匹配 Talent match")
    assert column_comment.startswith("岗位供需比 Vacancies per graduate supplied")
    assert "Not the official 求人倍率" in column_comment
    assert rows == pipeline.query("select count(*) as n from mart_talent_match")["n"][0]


def _png_is_not_blank(png: bytes) -> bool:
    """Decode the PNG's pixel data (zlib) and check it holds more than one colour's worth of bytes."""
    import struct
    import zlib

    pos, idat = 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(idat)
    return len(set(pixels[:: max(1, len(pixels) // 200_000)])) > 20


def test_release_report_says_what_the_marts_say(pipeline: Pipeline) -> None:
    import re

    page = (pipeline.releases / "current" / "report.html").read_text(encoding="utf-8")
    data = json.loads(
        re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, flags=re.DOTALL)
        .group(1)
        .replace("<\\/", "</")
    )
    assert data["demand_supply"] and data["retention"]
    # paths of the latest year drawn exactly when the release publishes some (on the small sample the
    # linked disclosure protection masks every path: docs/disclosure.md)
    published_paths = pipeline.query(
        "select count(graduates) as n from mart_graduate_flows where flow_type <> 'not_employed' "
        "and grad_year = (select max(grad_year) from mart_graduate_flows)"
    )["n"][0]
    assert bool(data["flows"]) == (published_paths > 0)
    for row in data["demand_supply"]:
        mart = pipeline.query(
            "select vacancy_headcount, graduates_supplied::double as s from mart_talent_match "
            f"where region_level = 'province' and region_code = '{row['region_code']}' "
            "and industry_level = 'division' "
            f"and industry_code = '{row['industry_code']}' "
            "and year = (select max(year) from mart_talent_match)"
        )
        assert (mart["vacancy_headcount"][0], mart["s"][0]) == (
            row["vacancy_headcount"],
            row["graduates_supplied"],
        )
    for row in data["retention"]:
        mart = pipeline.query(
            "select city_retention_rate from mart_talent_outflow where region_level = 'prefecture' and "
            f"region_name = '{row['region_name']}' and major_code = '{row['major_code']}' "
            "and grad_year = (select max(grad_year) from mart_talent_outflow)"
        )
        assert mart["city_retention_rate"][0] == row["city_retention_rate"]
    flows_total = sum(r["graduates"] for r in data["flows"])
    assert (
        flows_total
        <= pipeline.query(
            "select coalesce(sum(graduates), 0) as n from mart_graduate_flows where flow_type <> "
            "'not_employed' and grad_year = (select max(grad_year) "
            "from mart_graduate_flows)"
        )["n"][0]
    )
    release_id = pipeline.current()
    assert f'<code id="release-id">{release_id}</code>' in page and "FAILED" not in page


def _shown_in_workbook(value: object, labels: dict, masked: bool) -> object:
    """What the workbook must show for a published value: the release's mask, a label, 是/否, a number."""
    import datetime as dt
    from decimal import Decimal

    if masked:
        return "*"
    if value is None:
        return None
    if value in labels:
        return labels[value]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, int | float | Decimal):
        return round(float(value), 9)
    return value


def test_lists_workbooks_read_back_equal_the_published_marts(pipeline: Pipeline) -> None:
    """Each city's workbook (lists/<code>-<name>.xlsx), read back with openpyxl: listed in release.json and
    manifest.json with its SHA-256, its sheets and Chinese headers as declared, every sheet's cells equal to
    the published (suppressed) mart rows of that city, masked cells shown masked, codes as text."""
    import hashlib

    import openpyxl

    from publication.lists import load_workbook_declaration

    release = pipeline.releases / "current"
    record = json.loads((release / "release.json").read_text(encoding="utf-8"))
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    book = load_workbook_declaration()
    assert record["documents"] and record["documents"] == manifest["documents"]
    # the workbooks among the release's documents (report, white papers, lists): lists/<city code>-<name>.xlsx
    documents = [
        {**d, "city_code": Path(d["path"]).stem.split("-", 1)[0]}
        for d in record["documents"]
        if d["path"].startswith("lists/")
    ]

    def filters(sheet: object) -> str:  # the sheet's declared equality filters (e.g. prefecture rows only)
        return "".join(f" and {c} = '{v}'" for c, v in sheet.where.items())  # type: ignore[attr-defined]

    cities = set()
    for sheet in book.sheets:
        cities |= set(
            pipeline.query(
                f"select distinct {sheet.city_column} as c from {sheet.table} where true{filters(sheet)}"
            )["c"].drop_nulls()
        )
    assert {d["city_code"] for d in documents} == cities
    masked_seen = 0
    leading_zero_codes = 0
    for document in documents:
        path = release / document["path"]
        name = pipeline.query(
            f"select region_name from dim_region where region_code = '{document['city_code']}'"
        )
        assert document["path"] == f"lists/{document['city_code']}-{name['region_name'][0]}.xlsx"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == document["sha256"]
        workbook = openpyxl.load_workbook(path)
        assert workbook.sheetnames == [book.about_sheet, *(s.sheet for s in book.sheets)]
        about = " ".join(
            str(v) for row in workbook[book.about_sheet].iter_rows(values_only=True) for v in row if v
        )
        assert record["release_id"] in about and record["published_at"][:10] in about
        for sheet in book.sheets:
            ws = workbook[sheet.sheet]
            assert ws.freeze_panes == "A2"
            cells = list(ws.iter_rows())
            assert [c.value for c in cells[0]] == [c.header for c in sheet.columns]
            assert all(re.search(r"[\u4e00-\u9fff]", c.header) for c in sheet.columns)
            columns = ", ".join(c.column for c in sheet.columns)
            published = pipeline.query(
                f"select {columns}, suppressed_columns from {sheet.table} "
                f"where {sheet.city_column} = '{document['city_code']}'{filters(sheet)}"
            )
            expected = [
                tuple(
                    _shown_in_workbook(
                        row[c.column],
                        dict(c.labels),
                        c.column in (row["suppressed_columns"] or "").split(","),
                    )
                    for c in sheet.columns
                )
                for row in published.iter_rows(named=True)
            ]
            shown = [
                tuple(round(float(c.value), 9) if isinstance(c.value, int | float) else c.value for c in row)
                for row in cells[1:]
            ]
            assert len(expected) <= sheet.max_rows  # whole lists here (the cap: tests/unit/test_lists.py)
            assert sorted(shown, key=repr) == sorted(expected, key=repr), sheet.sheet
            masked_seen += sum(v == "*" for row in shown for v in row)
            for j, column in enumerate(sheet.columns):
                if published.schema[column.column] == pl.String and not column.labels:
                    assert all(row[j].data_type == "s" for row in cells[1:] if row[j].value is not None)
                    leading_zero_codes += sum(
                        1
                        for row in cells[1:]
                        if column.column.endswith("_code") and str(row[j].value).startswith("0")
                    )
    # the masks shown are the masks the release lists (the small sample's lists happen to have none since the
    # shortage lists require a supply of 5 or more; tests/unit/test_lists.py writes and reads masked cells)
    assert masked_seen == sum(s["masked_cells"] for d in documents for s in d["sheets"])
    assert leading_zero_codes > 0  # e.g. industry 06 stays "06"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_release_report_renders_in_headless_chromium(pipeline: Pipeline, tmp_path: Path) -> None:
    import subprocess

    assert CHROMIUM is not None
    shot = tmp_path / "report.png"
    subprocess.run(
        headless_command(
            CHROMIUM,
            tmp_path / "profile",
            "--hide-scrollbars",
            "--window-size=1280,2000",
            "--virtual-time-budget=5000",
            f"--screenshot={shot}",
            (pipeline.releases / "current" / "report.html").resolve().as_uri(),
        ),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 20_000
    assert _png_is_not_blank(shot.read_bytes())


def test_no_raw_graduate_id_anywhere_the_run_wrote(pipeline: Pipeline) -> None:
    """Every table of every DuckDB file and Parquet file, and every text file under TW_HOME (the inbox
    aside)."""
    raw_ids = set(_graduates(pipeline.inbox)["graduate_id"].to_list())
    assert len(raw_ids) > 1000
    ids = pl.DataFrame({"raw_id": sorted(raw_ids)})
    scanned = {"duckdb_tables": 0, "parquet_files": 0, "text_files": 0}
    for path in pipeline.home.rglob("*"):
        if not path.is_file() or pipeline.inbox in path.parents:
            continue
        if path.suffix == ".duckdb":
            con = duckdb.connect(str(path), read_only=True)
            tables = con.sql(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where data_type = 'VARCHAR'"
            ).fetchall()
            con.register("raw_ids", ids)
            for schema, table, column in tables:
                hits = con.sql(
                    f'select count(*) from "{schema}"."{table}" where "{column}"::varchar in '
                    f"(select raw_id from raw_ids)"
                ).fetchall()[0][0]
                assert hits == 0, f"{path}: {schema}.{table}.{column}"
                scanned["duckdb_tables"] += 1
            con.close()
        elif path.suffix == ".parquet":
            con = duckdb.connect()
            con.register("raw_ids", ids)
            columns = con.sql(f"describe select * from read_parquet('{path}')").fetchall()
            for column, dtype, *_ in columns:
                if dtype == "VARCHAR":
                    hits = con.sql(
                        f"select count(*) from read_parquet('{path}') where \"{column}\" in "
                        f"(select raw_id from raw_ids)"
                    ).fetchall()[0][0]
                    assert hits == 0, f"{path}: {column}"
            con.close()
            scanned["parquet_files"] += 1
        elif path.suffix in (".json", ".html", ".csv", ".log", ".txt", ".yml", ".md"):
            text = path.read_text(encoding="utf-8", errors="ignore")
            sample = next(iter(raw_ids))
            assert sample not in text and not any(i in text for i in list(raw_ids)[:2000]), path
            scanned["text_files"] += 1
    assert scanned["duckdb_tables"] > 20 and scanned["parquet_files"] > 10 and scanned["text_files"] > 10, (
        scanned
    )


def test_a_refresh_under_the_same_code_and_schema_carries_the_dbt_docs_over(pipeline: Pipeline) -> None:
    before = pipeline.current()
    assert before is not None
    result = pipeline.run()  # nothing new: the job runs all the same (`tw run` would stop before it)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    (staged,) = [m.metadata for m in result.asset_materializations_for_node("release_candidate")]
    assert staged["dbt_docs_reused"].value is True
    after = pipeline.current()
    assert after is not None and after != before
    # no feed got a new part or file: no feed suite ran, each feed's check passed as "not run", and the
    # release record says so (quality/increments.py)
    feed_checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name.startswith("gx_feed_")
    }
    assert sorted(feed_checks) == sorted(f"gx_feed_{f}" for f in FEEDS)
    assert all(c.passed and c.metadata["parts_validated"].value == 0 for c in feed_checks.values())
    record = json.loads((pipeline.releases / after / "release.json").read_text(encoding="utf-8"))
    (feed_gate,) = [c for c in record["checks"] if Path(c["results_dir"]).name == "feeds"]
    assert feed_gate["passed"] and feed_gate["suites"] == []
    assert sorted(feed_gate["not_run"]) == sorted(f"feed_{f}" for f in FEEDS)
    # nor did any mart suite: every table is as when the first release's gate ran it (quality/mart_gate.py);
    # its outcome, plausibility flags included, and its results file are carried over
    (mart_gate,) = [c for c in record["checks"] if c is not feed_gate]
    first = json.loads((pipeline.releases / before / "release.json").read_text(encoding="utf-8"))
    (first_mart_gate,) = [c for c in first["checks"] if Path(c["results_dir"]).name != "feeds"]
    assert mart_gate["passed"] and {s["carried_from"] for s in mart_gate["suites"]} == {before}
    assert sorted(s["suite"] for s in mart_gate["suites"]) == sorted(
        s["suite"] for s in first_mart_gate["suites"]
    )
    assert mart_gate["plausibility_flags"] == first_mart_gate["plausibility_flags"]
    for s in mart_gate["suites"]:
        assert (pipeline.releases / after / "quality" / f"{s['suite']}.json").exists(), s["suite"]
    for name in ("dbt.html", "dbt.key.json"):
        assert (pipeline.releases / after / "docs" / name).read_bytes() == (
            pipeline.releases / before / "docs" / name
        ).read_bytes()
    # the same marts, protected with the audits remembered from the first (publication/disclosure_memo.py):
    # the same cells masked in every published table
    disclosure = [
        json.loads((pipeline.releases / r / "disclosure.json").read_text()) for r in (before, after)
    ]
    assert disclosure[0] == disclosure[1]
    from transformation.marts import published

    con = duckdb.connect()
    for r, alias in ((before, "b"), (after, "a")):
        con.execute(f"attach '{pipeline.releases / r / 'warehouse.duckdb'}' as {alias} (read_only)")
    for mart in published():
        assert con.execute(
            f"select count(*) from ((from b.main.{mart.name} except all from a.main.{mart.name}) "
            f"union all (from a.main.{mart.name} except all from b.main.{mart.name}))"
        ).fetchone() == (0,), mart.name
    con.close()


def test_failing_gate_blocks_publication_and_keeps_the_previous_release(pipeline: Pipeline) -> None:
    before = pipeline.current()
    before_bytes = (pipeline.releases / before / "warehouse.duckdb").read_bytes()
    bad = pipeline.inbox / "vacancies" / "2025" / "vacancies_2025-01.csv"
    bad.parent.mkdir(parents=True)
    rows = pl.read_csv(next((pipeline.inbox / "vacancies").rglob("*.csv")), infer_schema=False).head(40)
    rows.with_columns(  # 10 of 40 rows lose a digit of their region code: 25% quarantined > the 5% limit
        pl.when(pl.int_range(pl.len()) < 10)
        .then(pl.col("region_code").str.slice(0, 5))
        .otherwise(pl.col("region_code"))
        .alias("region_code"),
        ("X" + pl.col("posting_id")).alias("posting_id"),
        pl.col("posted_date").str.replace(r"^\d{4}-\d{2}", "2025-01"),
        pl.lit(None).alias("closed_date"),
    ).write_csv(bad)
    result = pipeline.run()
    assert not result.success
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["gx_feed_vacancies"] is False
    assert checks["gx_feed_enrolment"] is True  # nothing new there: not run (quality/increments.py)
    gate = json.loads((pipeline.home / "quality" / "feeds" / "gate.json").read_text(encoding="utf-8"))
    assert [s["suite"] for s in gate["suites"]] == ["feed_vacancies"] and "feed_enrolment" in gate["not_run"]
    # the failed feed is validated at the next refresh, even if the bad file is gone by then
    validated = json.loads((pipeline.home / "quality" / "feeds_validated.json").read_text(encoding="utf-8"))
    assert "vacancies" not in validated["manifests"] and "enrolment" in validated["manifests"]
    skipped_or_absent = {e.step_key for e in result.all_events if e.is_step_success}
    assert "published_release" not in skipped_or_absent
    assert pipeline.current() == before
    assert (pipeline.releases / before / "warehouse.duckdb").read_bytes() == before_bytes
    q = pl.read_parquet(pipeline.home / "raw" / "_quarantine" / "vacancies" / "*.parquet")
    q = q.filter(pl.col("source_file") == "vacancies/2025/vacancies_2025-01.csv")
    assert q.height == 10 and sorted(q["source_row"].to_list()) == list(range(2, 12))
    assert q["reason"].str.contains("column region_code: value '").all()


def test_white_papers_one_per_city_listed_with_their_sha256(pipeline: Pipeline) -> None:
    import hashlib
    import re

    folder = (pipeline.releases / "current").resolve()
    record = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    documents = {d["path"]: d for d in record["documents"]}
    assert (
        json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["documents"] == record["documents"]
    )
    cities = pipeline.query(
        "select region_code, any_value(region_name) as name, max(grad_year) as year from mart_talent_outflow "
        "where region_level = 'prefecture' group by region_code order by region_code"
    )
    assert cities.height >= 2
    suffixes = ("html", "pdf") if CHROMIUM is not None else ("html",)
    for city in cities.iter_rows(named=True):
        for suffix in suffixes:
            rel = f"whitepaper/{city['region_code']}-{city['name']}-{city['year']}.{suffix}"
            assert rel in documents, (rel, sorted(documents))
            assert documents[rel]["sha256"] == hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    # the demand sentence's headcount is the mart's largest 大类 headcount of the city and year
    city = cities.row(0, named=True)
    page = (folder / f"whitepaper/{city['region_code']}-{city['name']}-{city['year']}.html").read_text(
        "utf-8"
    )
    said = re.search(r'data-source="mart_talent_match.vacancy_headcount"[^>]*>([\d,]+)<', page)
    assert said is not None
    top = pipeline.query(
        "select max(vacancy_headcount) as n from mart_talent_match where region_level = 'prefecture' and "
        f"industry_level = 'division' and region_code = '{city['region_code']}' and year = {city['year']}"
    )["n"][0]
    assert int(said.group(1).replace(",", "")) == top
    assert (
        "本次发布不含" not in page.split('id="section-warnings"')[0]
    )  # every section before warnings has data
