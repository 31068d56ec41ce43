"""Which raw-zone parts the feed suites still have to validate.

Every feed expectation is a rule about single rows (not null, in set, between, pattern) or about the file
manifests (no rejected file, quarantine share, reconciliation), and a raw-zone part never changes once its
file's manifest is written (a corrected file is a new version with new parts). So a part that passed the
suites under the current code passes them again: a refresh validates the parts ingested since the last
passing feed gate, plus every manifest. After a code change (the suites are code) everything is validated
again. The record is ``TW_HOME/quality/feeds_validated.json``, written only when the gate passed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
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


def load_validated(record: Path, code: str) -> set[str]:
    if not record.exists():
        return set()
    data = json.loads(record.read_text(encoding="utf-8"))
    return set(data.get("parts", [])) if data.get("code") == code else set()


def save_validated(record: Path, code: str, parts: set[str]) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_name(f".{record.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps({"code": code, "parts": sorted(parts)}, indent=0), encoding="utf-8")
    os.replace(tmp, record)
