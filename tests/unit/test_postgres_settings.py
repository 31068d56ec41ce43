"""Settings of the SQL endpoint (core/settings.py) and the loader's pure parts (publication/postgres.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import ConfigurationError, load_settings
from publication.postgres import PostgresLoadError, declarations_from_manifest, pg_type, release_schema


def test_an_empty_listen_address_is_refused_not_every_interface() -> None:
    assert load_settings({}).sql_host == "127.0.0.1"
    for empty in ("", " ", ",", " , "):
        with pytest.raises(ConfigurationError, match="TW_SQL_HOST is empty"):
            load_settings({"TW_SQL_HOST": empty})
    assert load_settings({"TW_SQL_HOST": " 10.0.0.5 , 127.0.0.1"}).sql_host == "10.0.0.5,127.0.0.1"
    assert load_settings({"TW_SQL_HOST": "*"}).sql_host == "*"


def test_postgres_settings() -> None:
    default = load_settings({}).postgres
    assert (
        default.embedded and default.statement_timeout_seconds == 300 and default.connections_per_user == 10
    )
    s = load_settings(
        {
            "TW_PG_DSN": "host=db dbname=w",
            "TW_PG_STATEMENT_TIMEOUT_SECONDS": "30",
            "TW_PG_RELEASE_GRACE_HOURS": "0.5",
            "TW_PG_PROCESS_MEMORY_MB": "0",
        }
    ).postgres
    assert not s.embedded and s.statement_timeout_seconds == 30 and s.release_grace_hours == 0.5
    assert default.process_memory_mb == 1024 and s.process_memory_mb == 0
    with pytest.raises(ConfigurationError, match="go together"):
        load_settings({"TW_PG_TLS_CERT": "/etc/cert.pem"})
    with pytest.raises(ConfigurationError, match="TW_PG_CONNECTIONS_PER_USER"):
        load_settings({"TW_PG_CONNECTIONS_PER_USER": "-1"})


def test_release_schema_names_and_types() -> None:
    assert release_schema("20261201T071948680270Z-7a3c87b0") == "release_20261201t071948680270z_7a3c87b0"
    with pytest.raises(PostgresLoadError, match="63 characters"):
        release_schema("x" * 60)
    assert [
        pg_type(t) for t in ("VARCHAR", "DECIMAL(18,4)", "BIGINT[]", "TIMESTAMP WITH TIME ZONE", "DOUBLE")
    ] == [
        "text",
        "numeric(18,4)",
        "bigint[]",
        "timestamptz",
        "double precision",
    ]
    with pytest.raises(PostgresLoadError, match="BLOB"):
        pg_type("BLOB")


def test_keys_and_comments_come_from_the_dbt_manifest(tmp_path: Path) -> None:
    def test(name: str, model: str, **extra: object) -> dict:
        return {
            "resource_type": "test",
            "attached_node": f"model.p.{model}",
            "test_metadata": {"name": name},
            **extra,
        }

    manifest = {
        "nodes": {
            "model.p.mart_a": {
                "unique_id": "model.p.mart_a",
                "resource_type": "model",
                "name": "mart_a",
                "description": "甲 A",
                "columns": {
                    "k1": {"description": "key one"},
                    "k2": {"description": "", "config": {"meta": {"caveat": "job boards only"}}},
                },
            },
            "model.p.dim_b": {
                "unique_id": "model.p.dim_b",
                "resource_type": "model",
                "name": "dim_b",
                "columns": {},
            },
            "t1": test(
                "unique_combination_of_columns",
                "mart_a",
                test_metadata={"name": "unique_combination_of_columns", "kwargs": {"columns": ["k1", "k2"]}},
            ),
            "t2": test("unique", "dim_b", column_name="code"),
            "t3": test("unique", "mart_a", column_name="k1"),  # the combination wins
            "t4": test("unique", "not_published", column_name="x"),
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    keys, docs = declarations_from_manifest(path, ["mart_a", "dim_b"])
    assert keys == {"mart_a": ["k1", "k2"], "dim_b": ["code"]}
    assert docs["mart_a"].description == "甲 A" and docs["mart_a"].columns == {
        "k1": "key one",
        "k2": "Caveat: job boards only",
    }
