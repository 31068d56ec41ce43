"""Render the feed contracts into the files that must agree with them.

- ``dbt_project/models/staging/_sources.yml`` (dbt sources over the raw zone),
- ``dbt_project/models/staging/_staging.yml`` (docs and tests of the ``stg_`` models),
- ``docs/feeds.md`` (the feed reference for people who send files).

``tw contracts`` writes them; ``tests/unit/test_generated_files.py`` fails when a committed file is stale.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ingestion.contracts import FEEDS, LINEAGE_COLUMNS, Column, FeedContract
from ingestion.reference import REFERENCE_NAMES

ROOT = Path(__file__).resolve().parent.parent
SOURCES_YML = ROOT / "dbt_project" / "models" / "staging" / "_sources.yml"
STAGING_YML = ROOT / "dbt_project" / "models" / "staging" / "_staging.yml"
FEEDS_MD = ROOT / "docs" / "feeds.md"
HEADER = "# Generated from ingestion/contracts.yml by `tw contracts`; do not edit by hand.\n"
DBT_TYPES = {
    "string": "varchar",
    "int": "bigint",
    "float": "double",
    "bool": "boolean",
    "date": "date",
    "string_list": "varchar[]",
}


def _lineage(contract: FeedContract) -> tuple[Column, ...]:
    return tuple(c for c in LINEAGE_COLUMNS if c.name not in contract.column_names)


QUARANTINE_COLUMNS = (
    ("feed", "Feed name"),
    ("source_file", "File name the row came from"),
    ("source_row", "Row number in the source file (header = row 1)"),
    ("file_sha256", "SHA-256 of the source file"),
    ("reason", "Every rule the row broke, '; '-separated"),
    ("raw_record", "The row's values as text (JSON), identifiers pseudonymised"),
    ("ingested_at", "UTC time of ingestion"),
)


def _describe(col: Column) -> str:
    unit = f" Unit: {col.unit}." if col.unit else ""
    return f"{col.description} ({col.description_zh}).{unit}"


def _column_tests(col: Column, contract: FeedContract) -> list:
    tests: list = []
    if col.required:
        tests.append("not_null")
    if col.allowed:
        tests.append({"accepted_values": {"arguments": {"values": list(col.allowed)}}})
    if contract.key == (col.name,):
        tests.append("unique")
    return tests


def sources_yaml() -> str:
    tables = []
    for contract in FEEDS.values():
        tables.append(
            {
                "name": contract.name,
                "description": f"{contract.title} ({contract.title_zh}), {contract.grain}. Raw zone Parquet "
                f"written by ingestion; rows that broke the contract are in the quarantine.",
                "meta": {"dagster": {"asset_key": ["raw", contract.name]}},
                "columns": [
                    {"name": c.name, "description": _describe(c), "data_type": DBT_TYPES[c.dtype]}
                    for c in (*contract.columns, *_lineage(contract))
                ],
            }
        )
    tables.append(
        {
            "name": "quarantine",
            "description": "Rows refused at ingestion, one per row, with every reason (column, value, rule).",
            "meta": {
                "dagster": {"asset_key": ["raw", "quarantine"]},
                "external_location": 'read_parquet(\'{{ env_var("TW_RAW_DIR", "../var/raw") }}'
                "/_quarantine/*/*.parquet', union_by_name=true)",
            },
            "columns": [{"name": n, "description": d} for n, d in QUARANTINE_COLUMNS],
        }
    )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "description": "The raw zone (TW_RAW_DIR): typed Parquet per feed and period.",
                "meta": {
                    "external_location": 'read_parquet(\'{{ env_var("TW_RAW_DIR", "../var/raw") }}'
                    "/{name}/*/*.parquet', union_by_name=true)"
                },
                "tables": tables,
            }
        ],
    }
    return HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)


def staging_yaml() -> str:
    models = []
    for contract in FEEDS.values():
        columns = [
            {"name": c.name, "description": _describe(c), "data_tests": _column_tests(c, contract)}
            for c in contract.columns
        ]
        columns = [{k: v for k, v in c.items() if v != []} for c in columns]
        columns += [{"name": c.name, "description": c.description} for c in _lineage(contract)]
        model = {
            "name": f"stg_{contract.name}",
            "description": f"{contract.title} ({contract.title_zh}), {contract.grain}: the raw zone renamed "
            f"and cast, one row per key ({', '.join(contract.key)}). A file delivered again under the same "
            f"name with other bytes replaces its earlier version; "
            + (
                f"the most recent delivery of a table slice ({', '.join(contract.replaces)}) replaces every "
                f"row of that slice delivered before."
                if contract.replaces
                else "when a key arrives in several files, the most recently ingested row wins."
            ),
            "columns": columns,
        }
        if len(contract.key) > 1:
            model["data_tests"] = [
                {"unique_combination_of_columns": {"arguments": {"columns": list(contract.key)}}}
            ]
        models.append(model)
    models.append(
        {
            "name": "stg_quarantine",
            "description": "Rows refused at ingestion (隔离区), one row per refused input row, with every "
            "reason. Counts reconcile per file: rows read = rows loaded + rows quarantined.",
            "columns": [
                {"name": n, "description": d, **({"data_tests": ["not_null"]} if n != "raw_record" else {})}
                for n, d in QUARANTINE_COLUMNS
            ],
        }
    )
    return HEADER + yaml.safe_dump(
        {"version": 2, "models": models}, allow_unicode=True, sort_keys=False, width=110
    )


def feeds_markdown() -> str:
    out = [
        "<!-- Generated from ingestion/contracts.yml by `tw contracts`; do not edit by hand. -->",
        "# Feed contracts",
        "",
        (
            "Each feed below comes in as files in the inbox (`TW_INBOX_DIR/<feed>/…`). Accepted formats: "
            "CSV, TXT and TSV (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK; the delimiter `,` "
            "`;` tab or `|` is detected), Excel `.xlsx` `.xlsm` `.xls` `.xlsb` and `.ods` (every sheet is "
            "tried, in order: the first whose header names the feed's required columns is read, and a "
            "warning names it), Parquet. Headers may be the English column names below or any of the "
            "Chinese aliases; header matching ignores case, spaces and full-width forms. The header is "
            "looked for in the first 30 rows (title and note rows above it are passed over) and may span "
            "up to six rows: a merged group heading over its sub-headings, a Chinese line over an English "
            "one, a line of units (`(亿元)`, `(100 million yuan)`) and a yearbook's line of column numbers "
            "(`甲 1 2 3 …`, part of the header but of no column's name). A unit in a header "
            "(`总产值（万元）`, `在校生数（万人）`, or on a line of its own) is converted to the column's "
            "unit (元/千元/万元/亿元, 人/千人/万人); a unit of another kind rejects the file. A file these "
            "rules cannot read alone (a template's own headers, a wide table with one column per industry "
            "or city, a year stated only in its title) is read with a source profile saved beside it, "
            "which `tw inspect FILE` proposes (docs/onboarding.md); a new or edited profile, like a new "
            "file of any type, makes the next `tw run` go ahead. Codes are text: full-width digits and "
            "stray spaces are normalised, a trailing `.0` from a spreadsheet is dropped, but lost leading "
            "zeros are not guessed (the row is quarantined). In numbers a comma is read only as a "
            "thousands separator in groups of three digits (`12,345.6`); any other comma (`12345,6`) "
            "quarantines the row rather than being read ten times too big. Names are read as codes where a "
            "code is asked for (`ingestion/names.py`): regions by name (`温州市`, `温州`, `郑  州  市`: "
            "with or without 市/区/县…, spaces ignored; a name several regions share is resolved within "
            "the province most of the file's other regions are in), industries by 门类 or 大类 name "
            "(`制造业`, `汽车制造业`), occupations by 大典 name, and education levels by their Chinese "
            "names (中职, 中专, 技工, 高职, 高职专科, 专科, 大专, 职业本科, 本科). A name that matches no "
            "code, or several, quarantines the row with the candidates listed. Major codes of an earlier "
            "catalogue edition (2015 高职专科, 大类 51–69, e.g. 560702; 2010 中职, 大类 01–19) are "
            "accepted: the edition is decided with the row's level and year, the row keeps its code, is "
            "loaded with a warning naming its mapping path to the 2021 catalogue and is counted per path "
            "in the file's manifest and the release; a code of no edition for its level is quarantined "
            "(docs/reference.md, Old major codes)."
        ),
        "",
        (
            "A whole file is **rejected** (nothing loaded, the error names the file and column) when it is "
            "empty, unreadable, of a type the readers do not take (every file under the inbox gets a "
            "manifest: none is skipped but hidden dot-files), or lacks a required column (the error shows "
            "the best header candidate it found). Otherwise each row is **loaded** or **quarantined** with "
            "every reason (`column X: value 'v' …`), and `rows read = rows loaded + rows quarantined` for "
            "every file. Rows that are not data are set aside with a warning and not counted as read: "
            "empty rows, footnotes (`注：…`, `资料来源：…`) and total rows (`合计`, `总计`, `小计`, "
            "`全省`…); each total is compared with the rows it covers and a difference over 0.5% is "
            "reported with row, column and both figures. Row numbers are the file's own (the first line is "
            "row 1). Re-delivering identical bytes changes nothing."
        ),
        "",
    ]
    for contract in FEEDS.values():
        out += [
            f"## `{contract.name}` — {contract.title} ({contract.title_zh})",
            "",
            (
                f"Grain: {contract.grain}. Key: `{', '.join(contract.key)}`. Raw-zone partition: "
                f"{contract.period_rule}."
            ),
            "",
        ]
        if contract.replaces:
            out += [
                (
                    f"A table slice is `{', '.join(contract.replaces)}`: the latest delivery of a slice "
                    "replaces every row of it delivered before (a cell a corrected table no longer has is "
                    "gone)."
                ),
                "",
            ]
        if contract.pseudonymised:
            out += [
                (
                    f"Pseudonymised at ingestion (HMAC-SHA256 with `TW_PSEUDONYM_KEY`): "
                    f"`{', '.join(contract.pseudonymised)}`."
                ),
                "",
            ]
        out += [
            "| column | type | required | unit | rule | Chinese headers accepted | description |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in contract.columns:
            rule = []
            if c.pattern:
                rule.append(f"`{c.pattern}`")
            if c.reference:
                rule.append(f"a code of {REFERENCE_NAMES[c.reference]}")
            if c.allowed:
                rule.append(" / ".join(f"`{a}`" for a in c.allowed))
            if c.min_value is not None:
                rule.append(f"≥ {c.min_value:g}")
            if c.max_value is not None:
                rule.append(f"≤ {c.max_value:g}")
            rule_text = "; ".join(rule).replace("|", r"\|")
            out.append(
                f"| `{c.name}` | {c.dtype} | {'yes' if c.required else 'no'} | {c.unit} | "
                f"{rule_text} | {', '.join(c.aliases)} | {c.description} |"
            )
        if contract.row_rules:
            out += ["", "Row rules:"] + [f"- `{r.name}`: {r.message}." for r in contract.row_rules]
        out.append("")
    out += ["## Lineage columns (added to every loaded row)", "", "| column | description |", "|---|---|"]
    out += [f"| `{c.name}` | {c.description} |" for c in LINEAGE_COLUMNS]
    return "\n".join(out) + "\n"


def rendered() -> dict[Path, str]:
    return {SOURCES_YML: sources_yaml(), STAGING_YML: staging_yaml(), FEEDS_MD: feeds_markdown()}


def write_all() -> list[Path]:
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(rendered())
