"""Clean the raw reference classifications (a copy of ``shared/reference``) into the project's seed tables.

Run ``tw reference DIR`` to regenerate ``dbt_project/seeds/reference/*.csv`` from a reference folder; a test
checks that the committed seeds equal what this code produces from the raw copies (vendored under
``reference/raw/`` with their provenance and licences), and the dbt seed tests check the tables themselves.
Fixes applied to the raw copies are listed in ``FIXES`` and in docs/reference.md.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

GB2260_HISTORY = "gb2260/areacodes_history.csv"
GB2260_CURRENT = "gb2260/areacodes_2024.txt"
GB4754_FLAT = "gb4754/gb4754_2017_flat.xlsx"
OCCUPATION_TREE = "occupation2022/occupations_2022_tree.json"

MUNICIPALITIES = ("11", "12", "31", "50")  # 直辖市: the province is the city
INDUSTRY_VERSION = "GB/T 4754-2017 with amendment No.1 (2019) as in the flat source"

FIXES: tuple[str, ...] = (
    "gb4754 flat: the second row coded 0711 (海洋石油开采) is 0712; recoded.",
    (
        "gb4754 flat: names and codes are taken from the flat table (2017 + 2019 amendment, e.g. 1363/1364, "
        "9290); the tree file's truncated names are not used."
    ),
    (
        "gb2260 history: '新代码' entries with a [year] suffix are partial transfers while the old code "
        "stayed in use; they are not successors. A retired code resolves to its first listed successor."
    ),
    (
        "gb2260: counties of municipalities and province-administered county-level units roll up to a "
        "prefecture-level unit that is the municipality (e.g. 110000) or the unit itself (e.g. 429004)."
    ),
    (
        "occupation2022: names are OCR from the printed book and kept as published in the source; "
        "8 大类 / 79 中类 / 450 小类 / 1,639 细类 are checked."
    ),
)

LEVELS_ZH = {"省级": "province", "地级": "prefecture", "县级": "county"}


def region_level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def current_regions(reference_dir: Path) -> pl.DataFrame:
    """Codes in force at 2024-12-31 with their province and prefecture-level parents."""
    rows: list[tuple[str, str]] = []
    for line in (reference_dir / GB2260_CURRENT).read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            code, name = line.split(maxsplit=1)
            rows.append((code.strip(), name.strip()))
    codes = {c for c, _ in rows}
    names = dict(rows)
    out = []
    for code, name in rows:
        level = region_level(code)
        province = code[:2] + "0000"
        if level == "province":
            prefecture = None
        elif level == "prefecture":
            prefecture = code
        elif code[:2] in MUNICIPALITIES:
            prefecture = province
        elif code[:4] + "00" in codes:
            prefecture = code[:4] + "00"
        else:  # 省直辖县级行政单位, e.g. 429004 仙桃市
            prefecture = code
        out.append(
            {
                "region_code": code,
                "region_name": name,
                "region_level": level,
                "province_code": province,
                "province_name": names[province],
                "prefecture_code": prefecture,
                "prefecture_name": names.get(prefecture) if prefecture else None,
            }
        )
    return pl.DataFrame(out)


def _successors(text: str) -> list[str]:
    """'130102;130104' -> both; entries with '[year]' are partial transfers, not successors."""
    return [p for p in (s.strip() for s in text.split(";")) if re.fullmatch(r"\d{6}", p)]


def region_history(reference_dir: Path) -> pl.DataFrame:
    """Every code since 1980 with its validity and the code in force today it resolves to."""
    with open(reference_dir / GB2260_HISTORY, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    current = set(current_regions(reference_dir)["region_code"].to_list())
    successor: dict[str, list[str]] = {}
    for r in rows:
        if r["状态"] == "弃用":
            successor.setdefault(r["代码"], _successors(r["新代码"]))

    def resolve(code: str) -> tuple[str | None, str]:
        seen: set[str] = set()
        how = "in_force"
        while code not in current:
            if code in seen or not successor.get(code):
                return None, "unresolved"
            seen.add(code)
            nxt = successor[code]
            how = "successor" if len(nxt) == 1 and how != "split" else "split"
            code = nxt[0]
        return code, how

    out = []
    for r in rows:
        code = r["代码"]
        to_year = int(r["变更/弃用时间"]) if r["变更/弃用时间"] else None
        resolved, how = resolve(code)
        out.append(
            {
                "region_code": code,
                "region_name": r["名称"],
                "region_level": LEVELS_ZH[r["级别"]],
                "status": {"在用": "in_force", "弃用": "retired", "变更": "renamed"}[r["状态"]],
                "valid_from_year": int(r["启用时间"]),
                "valid_to_year": to_year,
                "successor_codes": ";".join(_successors(r["新代码"])) if r["状态"] == "弃用" else None,
                "current_region_code": resolved,
                "resolution": how,
            }
        )
    return pl.DataFrame(out, schema_overrides={"valid_to_year": pl.Int64})


def industries(reference_dir: Path) -> pl.DataFrame:
    df = pl.read_excel(reference_dir / GB4754_FLAT, engine="calamine", infer_schema_length=0)
    df = df.with_columns(pl.col("industry_id").str.strip_chars(), pl.col("parent_id").str.strip_chars())
    # Fix: the second 0711 is 0712 海洋石油开采.
    df = df.with_columns(
        pl.when((pl.col("industry_id") == "0711") & (pl.col("name").str.contains("海洋")))
        .then(pl.lit("0712"))
        .otherwise(pl.col("industry_id"))
        .alias("industry_id")
    )
    level = pl.col("level_type").cast(pl.Int64)
    code = pl.col("industry_id")
    df = df.with_columns(
        level.replace_strict({0: "section", 1: "division", 2: "group", 3: "class"}).alias("industry_level"),
        pl.when(level == 1).then(code).when(level >= 2).then(code.str.slice(0, 2)).alias("division_code"),
    )
    sections = df.filter(level == 0).select(
        pl.col("industry_id").alias("section_code"), pl.col("name").alias("section_name")
    )
    div_to_section = df.filter(level == 1).select(
        pl.col("industry_id").alias("division_code"), pl.col("parent_id").alias("section_code")
    )
    df = (
        df.join(div_to_section, on="division_code", how="left")
        .with_columns(pl.when(level == 0).then(code).otherwise(pl.col("section_code")).alias("section_code"))
        .join(sections, on="section_code", how="left")
    )
    return df.select(
        pl.col("industry_id").alias("industry_code"),
        pl.col("name").str.strip_chars().alias("industry_name"),
        "industry_level",
        pl.col("parent_id").alias("parent_industry_code"),
        "section_code",
        "section_name",
        "division_code",
        pl.lit(INDUSTRY_VERSION).alias("classification_version"),
    ).sort("industry_code")


def _walk_occupations(nodes: list[dict], parent: str | None) -> Iterator[dict]:
    for n in nodes:
        yield {
            "occupation_code": n["seq"].strip(),
            "occupation_name": n["name"].strip(),
            "occupation_level": {1: "major_group", 2: "sub_major_group", 3: "minor_group", 4: "unit"}[
                n["level"]
            ],
            "parent_occupation_code": parent,
            "gbm_code": n.get("gbm"),
        }
        yield from _walk_occupations(n.get("children") or [], n["seq"].strip())


def occupations(reference_dir: Path) -> pl.DataFrame:
    tree = json.loads((reference_dir / OCCUPATION_TREE).read_text(encoding="utf-8"))
    return pl.DataFrame(list(_walk_occupations(tree["data"], None))).sort("occupation_code")


def build_seeds(reference_dir: Path) -> dict[str, pl.DataFrame]:
    return {
        "ref_region": current_regions(reference_dir),
        "ref_region_history": region_history(reference_dir),
        "ref_industry": industries(reference_dir),
        "ref_occupation": occupations(reference_dir),
    }


def write_seeds(reference_dir: Path, seeds_dir: Path) -> dict[str, int]:
    seeds_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, df in build_seeds(reference_dir).items():
        df.write_csv(seeds_dir / f"{name}.csv")
        counts[name] = df.height
    return counts
