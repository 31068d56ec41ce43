from __future__ import annotations

import pytest

from core.settings import DEMO_KEY, ConfigurationError, load_settings


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
