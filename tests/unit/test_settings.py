from __future__ import annotations

import re
from pathlib import Path

import pytest

import core.settings as settings_module
from core.settings import DBT_PROJECT_DIR, DEMO_KEY, ConfigurationError, load_settings
from transformation.build_plan import BuildPlan, dbt_build_env


def test_key_is_required_outside_the_demo() -> None:
    with pytest.raises(ConfigurationError, match="TW_PSEUDONYM_KEY"):
        load_settings({}).require_key()


def test_demo_uses_the_public_demo_key_and_a_real_key_wins() -> None:
    assert load_settings({"TW_DEMO": "1"}).require_key() == DEMO_KEY
    assert load_settings({"TW_DEMO": "1", "TW_PSEUDONYM_KEY": "s3cret"}).require_key() == b"s3cret"


def test_paths_follow_tw_home(tmp_path) -> None:
    s = load_settings({"TW_HOME": str(tmp_path)})
    assert s.raw_dir == tmp_path / "raw" and s.build_db == tmp_path / "warehouse" / "build.duckdb"
    assert s.dbt_env()["TW_RAW_DIR"] == str(tmp_path / "raw")


def test_spark_targets_build_in_the_spark_warehouse(tmp_path) -> None:
    duck = load_settings({"TW_HOME": str(tmp_path)})
    assert not duck.builds_on_spark and not duck.build_exists
    spark = load_settings({"TW_HOME": str(tmp_path), "TW_DBT_TARGET": "spark"})
    assert spark.builds_on_spark and spark.spark_warehouse == tmp_path / "warehouse" / "spark-warehouse"
    assert spark.dbt_env()["TW_SPARK_WAREHOUSE_DIR"] == str(spark.spark_warehouse)
    (spark.spark_warehouse / "marts.db").mkdir(parents=True)
    assert spark.build_exists and not duck.build_exists
    elsewhere = load_settings(
        {"TW_DBT_TARGET": "spark_cluster", "TW_SPARK_WAREHOUSE_DIR": str(tmp_path / "w")}
    )
    assert elsewhere.builds_on_spark and elsewhere.spark_warehouse == tmp_path / "w"


class _Recording(dict[str, str]):
    """An environment that notes every name looked up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
        self.names.add(name)
        return super().get(name, default)

    def __getitem__(self, name: str) -> str:
        self.names.add(name)
        return super().__getitem__(name)


def test_every_variable_read_is_in_the_settings_table() -> None:
    env = _Recording()
    load_settings(env)
    documented = set(re.findall(r"^\| ((?:TW|DAGSTER)_[A-Z_]+|PATH) \|", settings_module.__doc__ or "", re.M))
    assert env.names == documented


ENV_VAR = re.compile(r"""env_var\(\s*['"](\w+)['"]\s*(?:,\s*['"]([^'"]*)['"])?\s*\)""")


def _dbt_env_var_uses() -> list[tuple[str, str, str | None]]:
    uses = []
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        if path.suffix in (".yml", ".sql") and not {"target", "dbt_packages", "logs"} & set(path.parts):
            for name, default in ENV_VAR.findall(path.read_text(encoding="utf-8")):
                uses.append((str(path.relative_to(DBT_PROJECT_DIR)), name, default or None))
    return uses


def test_dbt_reads_only_what_settings_give_it_with_the_same_defaults() -> None:
    """Every env_var() in the dbt project is given by Settings.dbt_env() (or by the refresh's build plan:
    transformation/build_plan.py, dbt_build_env), and its default (for dbt run by hand from dbt_project/)
    is the default of core/settings.py (a full build's): one default per setting."""
    uses = _dbt_env_var_uses()
    assert {"TW_RAW_DIR", "TW_BUILD_DB", "TW_DBT_TARGET", "TW_SPARK_MASTER"} <= {name for _, name, _ in uses}
    given = load_settings({}).dbt_env()
    # besides the settings, what a refresh tells dbt of its build plan, with the value of a full build
    given |= dbt_build_env(BuildPlan("full", (), "by hand"))
    for where, name, default in uses:
        assert name in given, f"{where}: env_var('{name}') is not given by Settings.dbt_env()"
        if default is None:
            continue
        if default.startswith("../"):  # a path, relative to dbt_project/ where dbt runs by hand
            assert (DBT_PROJECT_DIR / default).resolve() == Path(given[name]), (where, name, default)
        else:
            assert default == given[name], (
                f"{where}: {name} defaults to {default!r}, settings to {given[name]!r}"
            )


def test_values_are_checked_with_the_variable_named() -> None:
    with pytest.raises(ConfigurationError, match="TW_SQL_PORT: 'x'"):
        load_settings({"TW_SQL_PORT": "x"})
    assert load_settings({"TW_SQL_PORT": ""}).sql_port == 5433
    assert load_settings({"TW_HOME": "/srv/tw"}).dagster_home == Path("/srv/tw/dagster")
    assert load_settings({"TW_HOME": "/srv/tw", "DAGSTER_HOME": "/srv/d"}).dagster_home == Path("/srv/d")


def test_the_dbt_fork_server_is_on_unless_turned_off() -> None:
    assert load_settings({}).dbt_forkserver
    assert not load_settings({"TW_DBT_FORKSERVER": "0"}).dbt_forkserver
    assert load_settings({"TW_DBT_FORKSERVER": "yes"}).dbt_forkserver
