"""What changed in the published contract: the tables and columns a release offers, compared with the release
it replaces, and the changes the project declared (``contract_changes.yml``).

A BI dashboard or a saved query breaks when a published table or column it reads is removed, renamed or
retyped. Every publish lists such differences against the current release in ``release.json`` (``contract``)
and the release report; each one carries the declared change that explains it (version, note, the table or
column that replaces it), or ``declared: false`` when nobody declared it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import yaml

CHANGELOG = Path(__file__).with_name("contract_changes.yml")
# release bookkeeping, not part of the analysts' contract
NOT_CONTRACT = frozenset({"release_info"})
BREAKING = frozenset({"table_removed", "column_removed", "column_type_changed"})

Schema = dict[str, dict[str, str]]  # table → column → type


def changelog(path: Path = CHANGELOG) -> dict[str, Any]:
    """The declared changelog: ``contract_version`` and ``changes`` (newest last)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def published_schema(database: Path) -> Schema:
    """Tables and typed columns of a release's DuckDB file (schema ``main``)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'main' order by table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    schema: Schema = {}
    for table, column, data_type in rows:
        if table not in NOT_CONTRACT:
            schema.setdefault(table, {})[column] = data_type
    return schema


def schema_changes(before: Schema, after: Schema) -> list[dict[str, Any]]:
    """Every difference from ``before`` to ``after``: tables and columns added or removed, types changed."""
    changes: list[dict[str, Any]] = []
    for table in sorted(before.keys() - after.keys()):
        changes.append({"kind": "table_removed", "table": table})
    for table in sorted(after.keys() - before.keys()):
        changes.append({"kind": "table_added", "table": table})
    for table in sorted(before.keys() & after.keys()):
        old, new = before[table], after[table]
        changes += [{"kind": "column_removed", "table": table, "column": c} for c in old if c not in new]
        changes += [{"kind": "column_added", "table": table, "column": c} for c in new if c not in old]
        changes += [
            {"kind": "column_type_changed", "table": table, "column": c, "from": old[c], "to": new[c]}
            for c in old
            if c in new and old[c] != new[c]
        ]
    return changes


def _flat(values: Any) -> set[str]:
    """Column names of ``columns_renamed`` values: a name, or the list of columns that replace one."""
    return {n for v in values for n in ([v] if isinstance(v, str) else v)}


def _explanation(change: dict[str, Any], declared: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest declared change that explains ``change``."""
    for entry in reversed(declared):
        replaced = entry.get("tables_replaced") or {}
        renamed = (entry.get("columns_renamed") or {}).get(change["table"], {})
        if change["kind"] == "table_removed" and change["table"] in replaced:
            return {"replaced_by": replaced[change["table"]]}
        if change["kind"] == "table_added" and any(change["table"] in new for new in replaced.values()):
            return {}
        if change["kind"] == "column_removed" and change["column"] in renamed:
            return {"renamed_to": renamed[change["column"]]}
        if change["kind"] == "column_added" and change["column"] in _flat(renamed.values()):
            return {}
        if change["kind"] == "column_type_changed" and change["column"] in (
            entry.get("columns_retyped") or {}
        ).get(change["table"], []):
            return {}
    return None


def _declared_by(change: dict[str, Any], declared: list[dict[str, Any]]) -> dict[str, Any] | None:
    for entry in reversed(declared):
        if _explanation(change, [entry]) is not None:
            return entry
    return None


def annotate(changes: list[dict[str, Any]], log: dict[str, Any]) -> list[dict[str, Any]]:
    """Each change with ``breaking``, ``declared`` and, where declared, its version, note and replacement."""
    declared = log.get("changes") or []
    out = []
    for change in changes:
        entry = _declared_by(change, declared)
        item = {**change, "breaking": change["kind"] in BREAKING, "declared": entry is not None}
        if entry is not None:
            item |= {
                "version": entry["version"],
                "note": entry["note"],
                **(_explanation(change, [entry]) or {}),
            }
        out.append(item)
    return out


def contract_record(candidate_db: Path, previous_db: Path | None, log: dict[str, Any] | None = None) -> dict:
    """``release.json``'s ``contract``: the version, and the changes since the release it replaces."""
    log = changelog() if log is None else log
    if previous_db is None or not previous_db.exists():
        return {"contract_version": log["contract_version"], "previous_release": None, "changes": []}
    changes = annotate(schema_changes(published_schema(previous_db), published_schema(candidate_db)), log)
    return {
        "contract_version": log["contract_version"],
        "previous_release": previous_db.resolve().parent.name,
        "changes": changes,
        "undeclared_breaking_changes": sum(1 for c in changes if c["breaking"] and not c["declared"]),
    }
