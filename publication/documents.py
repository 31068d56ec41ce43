"""The documents a release carries beside its tables (the release report, the white papers, the lists
workbooks): written into
the candidate folder before the atomic switch, listed in ``release.json`` and ``manifest.json`` with their
SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.settings import WhitepaperSettings
from publication.lists import write_lists
from publication.report import write_report
from publication.whitepaper import write_whitepapers

Document = Path | Mapping[str, Any]
"""A file ``finalize`` wrote: its path, or the entry its writer made of it (``path`` relative to the
release folder, and details such as a workbook's ``sheets`` with their rows and masked cells)."""


def document_entries(folder: Path, written: Sequence[Document]) -> list[dict]:
    """``path`` (relative to the release folder), ``kind`` (its suffix), ``bytes`` and ``sha256`` of each,
    with the details its writer gave."""
    entries = []
    for document in written:
        details = {} if isinstance(document, Path) else dict(document)
        path = document if isinstance(document, Path) else folder / details["path"]
        entry = {
            "path": path.relative_to(folder).as_posix(),
            "kind": path.suffix.lstrip("."),
            "bytes": path.stat().st_size,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
        entries.append({**entry, **{k: v for k, v in details.items() if k not in entry}})
    return sorted(entries, key=lambda e: e["path"])


def release_documents(
    whitepaper: WhitepaperSettings, workers: int = 1
) -> Callable[[Path, dict], list[Document]]:
    """What ``publish(finalize=...)`` writes into a release: the report, one white paper and one lists
    workbook per city (``workers``: the workbooks written, the papers printed, that many at once)."""

    def finalize(folder: Path, record: dict) -> list[Document]:
        # a workbook's entry keeps its city and its sheets' rows and masked cells
        return [
            write_report(folder, record),
            *write_whitepapers(folder, record, whitepaper, workers),
            *write_lists(folder, record, workers=workers),
        ]

    return finalize
