"""Source profiles: onboarding a new delivery template is configuration, not code.

A profile is a YAML file beside the files it describes, in the feed's inbox folder
(``<inbox>/<feed>/<anything>.profile.yml``). It says, for the files its ``files`` pattern matches, what the
readers cannot find alone; everything it leaves out is found as for any other file. ``tw inspect FILE``
proposes one (:mod:`ingestion.onboarding`). Keys::

    files: "江苏*岗位*.xlsx"      # the files of this folder it applies to (a glob on the name); required
    sheet: 岗位需求               # the sheet, by name or 1-based number (default: the first with the table)
    header_rows: [3, 4]           # the header's rows, 1-based (default: found)
    columns:                      # header text (as `tw inspect` shows it) → contract column
      单位编码: enterprise_id
    units:                        # contract column → the unit its values are in, where the header says none
      output_value_100m_cny: 万元
    constants:                    # contract column → one value for every row (a period, a source …)
      period: "2021"
    unpivot:                      # a wide table: each listed column becomes a row
      key: industry_code          #   the column that takes the listed value
      value: value_added_100m_cny #   the column that takes the cell
      columns: {"工业": "C", "建筑业": "E"}
    region_province: "330000"     # names of regions are looked up within this province

A profile is applied by the same code as every other file (:func:`ingestion.readers.read_feed_file`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingestion.contracts import FeedContract
from ingestion.layout import UNITS

SUFFIXES = (".profile.yml", ".profile.yaml")
KEYS = ("files", "sheet", "header_rows", "columns", "units", "constants", "unpivot", "region_province")


class ProfileError(ValueError):
    """A profile that cannot be used (the message names the profile file, the key and what was expected)."""


@dataclass(frozen=True)
class Unpivot:
    key: str
    value: str
    columns: Mapping[str, str]


@dataclass(frozen=True)
class SourceProfile:
    path: Path
    files: str
    sheet: str | int | None = None
    header_rows: tuple[int, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    unpivot: Unpivot | None = None
    region_province: str | None = None

    def applies_to(self, path: Path) -> bool:
        return fnmatch.fnmatch(path.name, self.files)


def is_profile(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def _fail(path: Path, message: str) -> ProfileError:
    return ProfileError(f"{path.name}: {message}")


def _mapping(path: Path, data: Mapping[str, Any], key: str) -> dict[str, str]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise _fail(path, f"{key}: expected a mapping of text to text, found {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def parse_profile(path: Path, text: str, contract: FeedContract) -> SourceProfile:
    """A profile from its YAML text, checked against the feed's contract."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise _fail(path, "expected a mapping of keys (files, sheet, header_rows, columns, …)")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(unknown)}; expected {', '.join(KEYS)}")
    if not data.get("files"):
        raise _fail(path, "files: required (a glob on the file names it applies to, e.g. '*.xlsx')")
    names = set(contract.column_names)
    columns, units, constants = (_mapping(path, data, k) for k in ("columns", "units", "constants"))
    for key, targets in (("columns", columns.values()), ("units", units), ("constants", constants)):
        bad = sorted(set(targets) - names)
        if bad:
            raise _fail(
                path,
                f"{key}: {', '.join(bad)} is not a column of {contract.name} ({', '.join(sorted(names))})",
            )
    bad_units = sorted(u for u in units.values() if u not in UNITS)
    if bad_units:
        raise _fail(path, f"units: {', '.join(bad_units)} is not a unit; expected one of {', '.join(UNITS)}")
    rows = data.get("header_rows") or []
    if isinstance(rows, int):
        rows = [rows]
    if (
        not isinstance(rows, list)
        or not all(isinstance(r, int) and r >= 1 for r in rows)
        or (rows and rows != list(range(rows[0], rows[0] + len(rows))))
    ):
        raise _fail(
            path, f"header_rows: expected consecutive 1-based row numbers, e.g. [2, 3]; found {rows!r}"
        )
    unpivot = None
    if data.get("unpivot"):
        u = data["unpivot"]
        if not isinstance(u, Mapping) or not {"key", "value", "columns"} <= set(u):
            raise _fail(path, "unpivot: expected key, value and columns")
        for k in ("key", "value"):
            if u[k] not in names:
                raise _fail(path, f"unpivot.{k}: {u[k]} is not a column of {contract.name}")
        unpivot = Unpivot(str(u["key"]), str(u["value"]), _mapping(path, u, "columns"))
    sheet = data.get("sheet")
    return SourceProfile(
        path=path,
        files=str(data["files"]),
        sheet=sheet if isinstance(sheet, int) or sheet is None else str(sheet),
        header_rows=tuple(rows),
        columns=columns,
        units=units,
        constants=constants,
        unpivot=unpivot,
        region_province=str(data["region_province"]) if data.get("region_province") else None,
    )


def load_profiles(folder: Path, contract: FeedContract) -> list[SourceProfile]:
    """Every profile of a feed's inbox folder (any depth), in name order."""
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and is_profile(p))
    return [parse_profile(p, p.read_text(encoding="utf-8"), contract) for p in paths]


def profile_for(path: Path, profiles: list[SourceProfile]) -> SourceProfile | None:
    """The profile in ``path``'s folder (or above) whose pattern matches it; two that match are an error."""
    matching = [
        p for p in profiles if p.applies_to(path) and path.resolve().is_relative_to(p.path.parent.resolve())
    ]
    if len(matching) > 1:
        raise ProfileError(
            f"{path.name}: matched by more than one profile ({', '.join(p.path.name for p in matching)})"
        )
    return matching[0] if matching else None
