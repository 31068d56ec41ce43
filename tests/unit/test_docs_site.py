"""The dbt documentation site is carried over only when its code, manifest and catalog are the same."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from transformation.docs_site import (
    DOCS_FILE,
    catalog_digest,
    docs_key,
    record_key,
    reusable_site,
)


def _build(path: Path, *statements: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.m (region_code varchar, graduates bigint)")
    for statement in statements:
        con.execute(statement)
    con.close()
    return path


def _manifest(path: Path, nodes: dict, generated_at: str = "2026-12-06T08:00:00Z") -> Path:
    path.write_text(
        json.dumps({"metadata": {"generated_at": generated_at}, "nodes": nodes}), encoding="utf-8"
    )
    return path


def test_the_catalog_is_the_schema_not_the_rows(tmp_path: Path) -> None:
    base = catalog_digest(_build(tmp_path / "a.duckdb"))
    assert catalog_digest(_build(tmp_path / "b.duckdb", "insert into marts.m values ('320100', 3)")) == base
    changed = [
        "alter table marts.m add column year integer",
        "alter table marts.m alter graduates type double",
        "comment on column marts.m.graduates is '毕业生人数'",
        "comment on table marts.m is 'a mart'",
        "create view marts.v as select * from marts.m",
        "create table marts.other (x integer)",
    ]
    digests = [catalog_digest(_build(tmp_path / f"c{i}.duckdb", s)) for i, s in enumerate(changed)]
    assert base not in digests and len(set(digests)) == len(changed)


def test_the_key_follows_code_manifest_and_catalog_not_the_manifests_header(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path / "m.json", {"model.m": {"description": "a"}})
    key = docs_key("code", manifest, "catalog")
    later = _manifest(tmp_path / "later.json", {"model.m": {"description": "a"}}, "2026-12-07T00:00:00Z")
    assert docs_key("code", later, "catalog") == key
    other = _manifest(tmp_path / "other.json", {"model.m": {"description": "b"}})
    assert docs_key("code", other, "catalog") != key
    assert docs_key("code 2", manifest, "catalog") != key
    assert docs_key("code", manifest, "catalog 2") != key


def test_a_site_is_reused_only_under_its_own_key(tmp_path: Path) -> None:
    release = tmp_path / "release"
    assert reusable_site(release, "k") is None  # no release
    (release / DOCS_FILE).parent.mkdir(parents=True)
    (release / DOCS_FILE).write_text("<html></html>", encoding="utf-8")
    assert reusable_site(release, "k") is None  # an older release: no key recorded
    record_key(release, "k")
    assert reusable_site(release, "k") == release / DOCS_FILE
    assert reusable_site(release, "other") is None
    (release / DOCS_FILE).unlink()
    assert reusable_site(release, "k") is None  # the key without its site
    (release / DOCS_FILE).write_text("<html></html>", encoding="utf-8")
    (release / "docs" / "dbt.key.json").write_text("not json", encoding="utf-8")
    assert reusable_site(release, "k") is None
