"""The project's own dbt generic tests (dbt_project/macros/tests) return rows exactly when the rule is broken.

The test bodies are rendered with Jinja as dbt would (``model`` and the arguments as relation names) and run
in DuckDB against small tables; the end-to-end suites run them inside ``dbt build`` on real builds.
"""

from __future__ import annotations

import re

import duckdb
import jinja2
import pytest

from tests.conftest import REPO

TESTS_DIR = REPO / "dbt_project" / "macros" / "tests"


def render(name: str, **arguments: object) -> str:
    text = (TESTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
    body = re.search(r"{%\s*test\s+" + name + r"\(.*?\)\s*%}(.*?){%\s*endtest\s*%}", text, re.DOTALL)
    assert body, f"no test block in {name}.sql"
    return jinja2.Template(body.group(1)).render(**arguments)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table parent as select range as id from range(5)")
    con.execute("create table lookup as select range as id, 'x' as name from range(5)")
    return con


def test_one_row_per_row_of_passes_a_one_to_one_projection(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create view model as select p.id, l.name from parent p left join lookup l using (id)")
    assert con.execute(render("one_row_per_row_of", model="model", parent="parent")).fetchall() == []


def test_one_row_per_row_of_fails_when_a_lookup_matches_twice(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("insert into lookup values (3, 'y')")  # a key of the lookup twice: row 3 is doubled
    con.execute("create view model as select p.id, l.name from parent p left join lookup l using (id)")
    assert con.execute(render("one_row_per_row_of", model="model", parent="parent")).fetchall() == [(6, 5)]


def test_one_row_per_row_of_fails_when_rows_are_lost(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create view model as select p.id from parent p join lookup l using (id) where l.id < 4")
    assert con.execute(render("one_row_per_row_of", model="model", parent="parent")).fetchall() == [(4, 5)]


def test_unique_combination_of_columns_finds_a_repeated_key(con: duckdb.DuckDBPyConnection) -> None:
    sql = render("unique_combination_of_columns", model="lookup", columns=["id"])
    assert con.execute(sql).fetchall() == []
    con.execute("insert into lookup values (3, 'y')")
    assert con.execute(sql).fetchall() == [(3, 2)]
