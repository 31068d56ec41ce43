"""When a release can carry the current release's dbt documentation site instead of generating it again.

``dbt docs generate --static --no-compile`` writes one HTML file from two inputs: dbt's manifest (the
project's code, parsed with the values dbt reads from the environment) and the catalog, which dbt-duckdb
reads from the build database's schema alone (tables and views, their columns, types and comments: no row
counts or other statistics). The site is therefore the same, but for its generation time, whenever
:func:`docs_key` is: the code fingerprint (transformation/fingerprint.py: the dbt project, the Python
packages, the versions of dbt and DuckDB, the target), the manifest but for its header (what dbt parsed,
with the values it read from the environment) and the build database's catalog. A release records the key
beside its site (``docs/dbt.key.json``); the next one copies the site when its key is the same. Generating
it takes 5-7 s of a processor at M, beside the disclosure protection on a 2-core machine.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

DOCS_FILE = Path("docs") / "dbt.html"
KEY_FILE = Path("docs") / "dbt.key.json"

# what dbt-duckdb's catalog macro (duckdb__get_catalog) reads: the relations, their columns and comments
_CATALOG_SQL = """
select 'column' as kind, schema_name, table_name, column_name, column_index, data_type, coalesce(comment, '')
from duckdb_columns() where database_name = ?
union all
select 'table', schema_name, table_name, null, null, null, coalesce(comment, '')
from duckdb_tables() where database_name = ?
union all
select 'view', schema_name, view_name, null, null, null, coalesce(comment, '')
from duckdb_views() where database_name = ? and not internal
order by all
"""


def catalog_digest(build_db: Path) -> str:
    """SHA-256 of the schema of ``build_db`` as dbt-duckdb's catalog reads it (opened read-only)."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        name = con.execute("select current_database()").fetchone()
        rows = con.execute(_CATALOG_SQL, [name[0] if name else ""] * 3).fetchall()
    finally:
        con.close()
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, ensure_ascii=False, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


def docs_key(code_fingerprint: str, manifest: Path, catalog: str) -> str:
    """What the documentation site is a function of (the module's docstring); ``manifest``: dbt's
    ``manifest.json``, read without its ``metadata`` (when and by which invocation it was written)."""
    parsed = json.loads(manifest.read_text(encoding="utf-8"))
    parsed.pop("metadata", None)
    h = hashlib.sha256()
    h.update(f"code|{code_fingerprint}\n".encode())
    h.update(b"manifest|")
    h.update(json.dumps(parsed, sort_keys=True, ensure_ascii=False).encode())
    h.update(f"\ncatalog|{catalog}\n".encode())
    return h.hexdigest()


def reusable_site(release_dir: Path, key: str) -> Path | None:
    """The documentation site of the release in ``release_dir`` when it was generated under ``key``."""
    site, recorded = release_dir / DOCS_FILE, release_dir / KEY_FILE
    try:
        same = json.loads(recorded.read_text(encoding="utf-8")).get("key") == key
    except (OSError, ValueError, AttributeError):  # none recorded (an older release), or unreadable
        return None
    return site if same and site.is_file() else None


def record_key(release_dir: Path, key: str) -> None:
    """Write ``key`` beside the site in ``release_dir`` (a release candidate)."""
    path = release_dir / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": key}), encoding="utf-8")
