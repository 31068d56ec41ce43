"""Which raw-zone parts the feed suites still have to validate.

Every feed expectation is a rule about single rows (not null, in set, between, pattern) or about the file
manifests (no rejected file, quarantine share, reconciliation), and a raw-zone part never changes once its
file's manifest is written (a corrected file is a new version with new parts). So a part that passed the
suites under the current code passes them again: a refresh validates the parts ingested since the last
passing feed gate, plus every manifest. After a code change (the suites are code) everything is validated
again. The record is ``TW_HOME/quality/feeds_validated.json``, written only when the gate passed.

A feed that has no part to validate and whose manifests are those of the last passing gate (the same files,
byte for byte: :func:`manifest_digest`) would give the same outcome again, so its suite is not run
(:func:`feeds_to_validate`): a new or corrected file, a rejected one (a manifest without parts) or a file
taken back changes its manifests. A gate that fails records no part, and the feeds whose suites failed lose
their recorded manifests (:func:`forget_manifests`): they are validated at the next refresh whatever
happened in between (a rejected file removed again leaves the manifests of the last pass, but the results
kept are the failed ones, and they are to be replaced by a passing run).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ingestion.raw_zone import EMPTY_PARTITION


def ingested_parts(raw_dir: Path, feed: str) -> list[str]:
    """Parts of files whose manifest exists (fully ingested), relative to the raw zone; not the schema
    part."""
    manifests = {p.stem for p in (raw_dir / "_manifest" / feed).glob("*.json")}
    parts = []
    for path in sorted((raw_dir / feed).glob("period=*/part-*.parquet")):
        if path.parent.name != f"period={EMPTY_PARTITION}" and path.stem.removeprefix("part-") in manifests:
            parts.append(str(path.relative_to(raw_dir)))
    return parts


def parts_to_validate(raw_dir: Path, feeds: Iterable[str], validated: set[str]) -> dict[str, list[str]]:
    return {feed: [p for p in ingested_parts(raw_dir, feed) if p not in validated] for feed in feeds}


def manifest_digest(raw_dir: Path, feed: str) -> str:
    """A SHA-256 over the feed's file manifests (names and bytes): what the suite's manifest rules read."""
    digest = hashlib.sha256()
    for path in sorted((raw_dir / "_manifest" / feed).glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def feeds_to_validate(
    feeds: Iterable[str],
    todo: Mapping[str, list[str]],
    digests: Mapping[str, str],
    validated: Mapping[str, str],
) -> list[str]:
    """The feeds whose suites must run: those with parts to validate (``todo``) or whose manifests
    (``digests``, :func:`manifest_digest`) differ from those of the last passing gate (``validated``,
    :func:`load_validated_manifests`)."""
    return [f for f in feeds if todo.get(f) or validated.get(f) != digests[f]]


def _record(record: Path, code: str) -> dict:
    if not record.exists():
        return {}
    data = json.loads(record.read_text(encoding="utf-8"))
    return data if data.get("code") == code else {}


def load_validated(record: Path, code: str) -> set[str]:
    return set(_record(record, code).get("parts", []))


def load_validated_manifests(record: Path, code: str) -> dict[str, str]:
    """Per feed, :func:`manifest_digest` at its last passing gate under ``code``."""
    return dict(_record(record, code).get("manifests", {}))


def save_validated(
    record: Path, code: str, parts: set[str], manifests: Mapping[str, str] | None = None
) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_name(f".{record.name}.tmp-{os.getpid()}")
    data = {"code": code, "parts": sorted(parts), "manifests": dict(sorted((manifests or {}).items()))}
    tmp.write_text(json.dumps(data, indent=0), encoding="utf-8")
    os.replace(tmp, record)


def forget_manifests(record: Path, code: str, feeds: Iterable[str]) -> None:
    """After a failed gate: drop the recorded manifests of ``feeds`` (those whose suites failed), so that
    they are validated again at the next refresh (the module's docstring). A record of other code is left:
    under this code everything is validated anyway."""
    data = _record(record, code)
    if not data:
        return
    failed = set(feeds)
    manifests = {f: d for f, d in data.get("manifests", {}).items() if f not in failed}
    save_validated(record, code, set(data.get("parts", [])), manifests)
