"""The documents a release carries beside its tables (the release report, the white papers, the lists
workbooks): written into
the candidate folder before the atomic switch, listed in ``release.json`` and ``manifest.json`` with their
SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from core.settings import WhitepaperSettings
from publication.lists import write_lists
from publication.report import write_report
from publication.whitepaper import write_whitepapers


def document_entries(folder: Path, paths: Sequence[Path]) -> list[dict]:
    """``path`` (relative to the release folder), ``kind`` (its suffix), ``bytes`` and ``sha256`` of each."""
    return [
        {
            "path": p.relative_to(folder).as_posix(),
            "kind": p.suffix.lstrip("."),
            "bytes": p.stat().st_size,
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
        }
        for p in sorted(paths)
    ]


def release_documents(whitepaper: WhitepaperSettings) -> Callable[[Path, dict], list[Path]]:
    """What ``publish(finalize=...)`` writes into a release: the report, one white paper and one lists
    workbook per city."""

    def finalize(folder: Path, record: dict) -> list[Path]:
        workbooks = [folder / d["path"] for d in write_lists(folder, record)]
        return [write_report(folder, record), *write_whitepapers(folder, record, whitepaper), *workbooks]

    return finalize
