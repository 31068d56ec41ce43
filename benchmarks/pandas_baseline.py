"""What an analyst would write today: the published marts in pandas, from the raw zone the pipeline wrote.

A straightforward script: read the columns it needs from the raw zone's Parquet files into DataFrames, keep
the latest delivery of each key, resolve region codes, then merges and group-bys, one function per mart,
following the definitions in the dbt models (docs/indicators.md). The reference tables (code lists,
bridges) are read ready-made from the pipeline's build database, as the floor copies its seeds: they are
small, and cleaning them is not what is being compared; the vocabulary (destination types, levels, service
and training types, project statuses, 三次产业) comes from ingestion/vocabulary.py, the seeds' own files.
Bridge weights are summed in millionths as integers (the models use decimals for the same reason: float sums
depend on the order of addition). Graduates and vacancies are read at either grain, as the models read them:
the microdata and postings, and the tables of counts (graduate_destination_counts, vacancy_counts) for the
slices those do not describe; every count is a sum of the rows' graduates (1 for a graduate of the
microdata, the cell's count for a counted cell).

The harness (benchmarks/run.py) times this script and compares each mart with the pipeline's, row for row
(`benchmarks.floor.compare`); the columns that are dbt variables (bridge_version, weighting_rule,
listing_rule, warning_rule) and the published-only suppressed_columns are not computed here.

    python -m benchmarks.pandas_baseline RAW_DIR BUILD_DB OUT_DIR      # writes OUT_DIR/<mart>.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from core.settings import DBT_PROJECT_DIR
from ingestion.contracts import FEEDS
from ingestion.vocabulary import (
    EMPLOYED_DESTINATIONS,
    PLACED_DESTINATIONS,
    industry_sectors,
    labelled_values,
    major_levels,
    section_sectors,
)

EMPLOYED = list(EMPLOYED_DESTINATIONS)
PLACED = list(PLACED_DESTINATIONS)
NOT_COMPUTED = {"bridge_version", "weighting_rule", "listing_rule", "warning_rule", "suppressed_columns"}
REFERENCES = [
    "dim_region",
    "dim_region_code_map",
    "dim_industry",
    "dim_occupation",
    "dim_major",
    "bridge_major_industry",
    "bridge_major_occupation",
]
DELIVERY = ["source_file", "source_row", "ingested_at"]
FIGURES = ["output_value_100m_cny", "value_added_100m_cny", "employment_10k"]  # of the industry-output feed
UNMAPPED_NAMES = {  # macros/talent_match.sql, unmapped_name: the row of supply the bridge cannot place
    "industry": "未能对应行业的毕业生 (graduates the major→industry bridge cannot place)",
    "occupation": "未能对应职业的毕业生 (graduates the major→occupation bridge cannot place)",
}


# ---------------------------------------------------------------------------------------------- inputs


def delivered(raw_dir: Path, feed: str, columns: list[str]) -> pd.DataFrame:
    """The rows of the latest version of each file of a feed (a file delivered again replaces its earlier
    version), with their delivery columns."""
    files = sorted((raw_dir / feed).glob("period=*/*.parquet"))
    frames = [pd.read_parquet(f, columns=[*columns, *DELIVERY]) for f in files]
    df = pd.concat(
        [f for f in frames if len(f)] or frames[:1], ignore_index=True
    )  # an empty feed: its schema
    latest = df.groupby("source_file")["ingested_at"].transform("max")
    return df[df["ingested_at"] == latest]


def read_feed(raw_dir: Path, feed: str, columns: list[str], key: list[str]) -> pd.DataFrame:
    """One row per key: the latest version of each file, then the latest delivered row of each key."""
    df = delivered(raw_dir, feed, columns)
    df = df.sort_values(["ingested_at", "source_file", "source_row"]).drop_duplicates(key, keep="last")
    return df.drop(columns=DELIVERY).reset_index(drop=True)


def read_table(raw_dir: Path, feed: str) -> pd.DataFrame:
    """A feed of counts (a contract with ``replaces``): every column, the cells of the latest delivery of
    each table slice (the latest version of each file, then the latest file of a slice replaces all its
    cells)."""
    contract = FEEDS[feed]
    df = delivered(raw_dir, feed, contract.column_names).sort_values(["ingested_at", "source_file"])
    last = df.groupby(list(contract.replaces), dropna=False)[["ingested_at", "source_file"]].transform("last")
    df = df[(df["ingested_at"] == last["ingested_at"]) & (df["source_file"] == last["source_file"])]
    return df.drop(columns=DELIVERY).reset_index(drop=True)


def described(rows: pd.DataFrame, by: pd.DataFrame) -> np.ndarray:
    """Whether each row of ``rows`` has the values of a row of ``by`` (the same columns): a counted cell of a
    slice the finer grain describes, which the models leave out (described_at_finer_grain)."""
    columns = list(by.columns)
    return pd.MultiIndex.from_frame(rows[columns]).isin(pd.MultiIndex.from_frame(by.drop_duplicates()))


def read_references(build_db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        return {t: con.execute(f"select * from reference.{t}").df() for t in REFERENCES}
    finally:
        con.close()


def higher_major_category(major_code: pd.Series) -> pd.Series:
    division = major_code.str[:2].astype(int)
    shifted = division.copy()
    for level in major_levels():  # ingestion/vocabulary.py: the 大类 ranges and their offsets
        within = division.between(level.division_from, level.division_to)
        shifted = shifted.where(~within, division + level.higher_offset)
    return pd.Series(shifted, index=major_code.index).astype(str).str.zfill(2) + major_code.str[2:4]


def activity_codes(
    industry: pd.Series, occupation: pd.Series, industry_prefix: str = ""
) -> dict[str, pd.Series]:
    """The codes derived from a row's industry and occupation (the dbt macro activity_codes): the GB/T 4754
    大类 (``<industry_prefix>industry_division_code``), the 大典 中类 and 大类 of the occupation."""
    return {
        f"{industry_prefix}industry_division_code": industry.str[:2],
        "occupation_sub_major_group_code": occupation.str[:4],
        "occupation_major_group_code": occupation.str.split("-").str[0],
    }


def resolve(codes: pd.Series, code_map: pd.DataFrame, column: str) -> pd.Series:
    return codes.map(code_map.set_index("region_code")[column])


def survey_round(records: pd.DataFrame) -> pd.Series:
    """The survey round of each record: 'initial' (初次) up to 31 Aug of grad_year, 'year_end' (年终) up to 31
    Dec, null after."""
    day = pd.to_datetime(records["survey_date"])
    year = records["grad_year"].astype(int).astype(str)
    rounds = pd.Series(pd.NA, index=records.index, dtype="string")
    rounds[day <= pd.to_datetime(year + "-12-31")] = "year_end"
    rounds[day <= pd.to_datetime(year + "-08-31")] = "initial"
    return rounds


def _latest_with_rounds(records: pd.DataFrame) -> pd.DataFrame:
    """Each graduate's latest survey record, with whether the latest record of each round (初次 up to 31 Aug,
    年终 up to 31 Dec of grad_year) is placed (null without a record in the round)."""
    r = records.assign(survey_round=survey_round(records))
    r["record_is_placed"] = r["destination_type"].isin(PLACED)
    r = r.sort_values(["graduate_id", "survey_date"])
    rounds = (
        r[r["survey_round"].notna()]
        .drop_duplicates(["graduate_id", "survey_round"], keep="last")
        .pivot(index="graduate_id", columns="survey_round", values="record_is_placed")
        .reindex(columns=["initial", "year_end"])
        .astype("boolean")
        .rename(columns={"initial": "initial_is_placed", "year_end": "year_end_is_placed"})
    )
    latest = r.drop_duplicates("graduate_id", keep="last").drop(columns=["survey_round", "record_is_placed"])
    return latest.merge(rounds, left_on="graduate_id", right_index=True, how="left").reset_index(drop=True)


ROUND_COUNTS = ["graduates_initial_survey", "placed_initial", "graduates_year_end_survey", "placed_year_end"]
GRADUATE_SLICE = ["grad_year", "school_code", "major_code", "level"]


def counted_graduates(raw_dir: Path, microdata: pd.DataFrame) -> pd.DataFrame:
    """The cells of graduate_destination_counts as int_graduates counts them: only slices (school × major ×
    level × grad_year) no microdata describes; a cell of the slice's latest tabulation counts its graduates,
    and in each round's placement the cells of that round's latest tabulation; a cell that counts nobody in
    any measure is left out."""
    c = read_table(raw_dir, "graduate_destination_counts")
    c = c[~described(c, microdata[GRADUATE_SLICE])]
    rounds = survey_round(c)
    latest = c["survey_date"] == c.groupby(GRADUATE_SLICE, dropna=False)["survey_date"].transform("max")
    in_round = c["survey_date"] == c.groupby([*GRADUATE_SLICE, rounds], dropna=False)[
        "survey_date"
    ].transform("max")
    placed = c["destination_type"].isin(PLACED)
    for name in ("initial", "year_end"):
        surveyed = (rounds == name).fillna(False) & in_round
        c[f"graduates_{name}_survey"] = c["graduates"].where(surveyed, 0)
        c[f"placed_{name}"] = c["graduates"].where(surveyed & placed, 0)
    c["graduates"] = c["graduates"].where(latest, 0)
    return c[c[["graduates", "graduates_initial_survey", "graduates_year_end_survey"]].gt(0).any(axis=1)]


def graduates(raw_dir: Path, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Graduates by destination from either grain (int_graduates): one row per graduate of the microdata
    (described by the latest record; graduates = 1, each round's placement by that round's latest record) and
    one per counted cell (graduates = the cell's count), with the measures every mart sums."""
    feed = "graduate_destinations"
    needed = [c for c in FEEDS[feed].column_names if c != "monthly_salary_cny"]  # no published mart reads it
    g = read_feed(raw_dir, feed, needed, list(FEEDS[feed].key))
    g = _latest_with_rounds(g)
    g = g.assign(
        graduates=1,
        graduates_initial_survey=g["initial_is_placed"].notna().astype("int64"),
        placed_initial=g["initial_is_placed"].fillna(False).astype("int64"),
        graduates_year_end_survey=g["year_end_is_placed"].notna().astype("int64"),
        placed_year_end=g["year_end_is_placed"].fillna(False).astype("int64"),
    ).drop(columns=["initial_is_placed", "year_end_is_placed"])
    g = pd.concat([g, counted_graduates(raw_dir, g)], ignore_index=True)
    code_map = ref["dim_region_code_map"]
    for who in ("school", "origin", "employer"):
        for level in ("prefecture", "province"):
            g[f"{who}_{level}_code"] = resolve(g[f"{who}_region_code"], code_map, f"{level}_code")
    g["higher_major_category_code"] = higher_major_category(g["major_code"])
    g["is_employed"] = g["destination_type"].isin(EMPLOYED)
    g["is_placed"] = g["destination_type"].isin(PLACED)
    g = g.assign(**activity_codes(g["employer_industry_code"], g["occupation_code"], "employer_"))
    g["major_related"] = g["major_related"].astype("boolean")  # unknown stays null: not in fit_known
    for flag in ("employer_is_partner", "order_class", "apprenticeship"):  # null counts as false, as in SQL
        g[flag] = g[flag].astype("boolean").fillna(False).astype(bool)
    return g


def vacancies(raw_dir: Path, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    v = read_feed(
        raw_dir,
        "vacancies",
        [
            "posting_id",
            "enterprise_id",
            "enterprise_name",
            "region_code",
            "industry_code",
            "occupation_code",
            "required_level",
            "headcount",
            "salary_min_cny",
            "salary_max_cny",
            "posted_date",
            "source",
        ],
        ["posting_id"],
    )
    code_map = ref["dim_region_code_map"]
    v["prefecture_code"] = resolve(v["region_code"], code_map, "prefecture_code")
    v["province_code"] = resolve(v["region_code"], code_map, "province_code")
    v = v.assign(**activity_codes(v["industry_code"], v["occupation_code"]))
    v["posted_date"] = pd.to_datetime(v["posted_date"])
    v["posted_year"] = v["posted_date"].dt.year
    return v


def vacancy_demand(v: pd.DataFrame, raw_dir: Path, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Vacancy demand of the talent match from either grain (int_vacancy_counts), one row per posting whose
    workplace resolves to a city (its headcount, one posting) and per counted cell of vacancy_counts of a
    year × city × source no posting describes (people wanted, no posting; job seekers where the table has
    them, and the people wanted of those cells)."""
    postings = v[v["prefecture_code"].notna()].assign(year=v["posted_year"].astype("int64"))
    c = read_table(raw_dir, "vacancy_counts")
    code_map = ref["dim_region_code_map"]
    c = c.assign(
        prefecture_code=resolve(c["region_code"], code_map, "prefecture_code"),
        province_code=resolve(c["region_code"], code_map, "province_code"),
        year=c["period"].str[:4].astype("int64"),
    )
    slices = ["year", "prefecture_code", "source"]
    c = c[c["prefecture_code"].notna() & ~described(c, postings[slices])]
    cells = c.assign(
        **activity_codes(c["industry_code"], c["occupation_code"]),
        headcount=c["vacancies"],
        postings=0,
        vacancies_with_job_seekers=c["vacancies"].where(c["job_seekers"].notna()),
    )
    grain = [
        "prefecture_code",
        "province_code",
        "industry_division_code",
        "occupation_code",
        "occupation_sub_major_group_code",
        "occupation_major_group_code",
        "year",
        "headcount",
        "postings",
    ]
    return pd.concat(
        [postings.assign(postings=1)[grain], cells[[*grain, "job_seekers", "vacancies_with_job_seekers"]]],
        ignore_index=True,
    )


def whole_feed(raw_dir: Path, feed: str) -> pd.DataFrame:
    """Every column of a small feed (its contract's), the latest delivery of each key of its contract."""
    return read_feed(raw_dir, feed, FEEDS[feed].column_names, list(FEEDS[feed].key))


# ---------------------------------------------------------------------------------------------- helpers


def rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator ÷ denominator, null where the denominator is 0 or null."""
    den = denominator.astype("float64")
    return (numerator.astype("float64") / den).where(den.fillna(0) != 0)


def with_rates(df: pd.DataFrame, **rates: tuple[str, str]) -> pd.DataFrame:
    """Add each ``name=(numerator column, denominator column)`` as :func:`rate`."""
    return df.assign(**{name: rate(df[num], df[den]) for name, (num, den) in rates.items()})


def micro(weight: pd.Series) -> pd.Series:
    return (weight * 1_000_000).round().astype("int64")


def from_micro_rounded(total: pd.Series) -> pd.Series:
    """A sum of weights in millionths, rounded half up to 4 places, as a float."""
    return ((total + 50) // 100) / 10_000


def rollups(
    df: pd.DataFrame,
    fine: str,
    coarse: str,
    fine_name: str,
    coarse_name: str,
    prefix: str,
    aggregations: dict,
) -> pd.DataFrame:
    """The four roll-ups of a region × classification count: prefecture|province × fine|coarse."""
    out = []
    for region_level, region in (("prefecture", "prefecture_code"), ("province", "province_code")):
        for level, code in ((fine_name, fine), (coarse_name, coarse)):
            part = df.groupby([region, code, "year"], dropna=False).agg(**aggregations).reset_index()
            part = part.rename(columns={region: "region_code", code: f"{prefix}_code"})
            out.append(part.assign(region_level=region_level, **{f"{prefix}_level": level}))
    return pd.concat(out, ignore_index=True)


def outer(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    merged = frames[0]
    for f in frames[1:]:
        merged = merged.merge(f, on=keys, how="outer")
    return merged


def names(df: pd.DataFrame, dim: pd.DataFrame, on: str, columns: dict[str, str]) -> pd.DataFrame:
    return df.merge(dim[[on, *columns]].rename(columns=columns), on=on, how="left")


def joined(parts: list[tuple[pd.Series, str]], separator: str) -> pd.Series:
    """The texts of ``parts`` whose condition holds, in order, joined by ``separator`` ('' if none does)."""
    out = pd.Series("", index=parts[0][0].index, dtype="object")
    for condition, text in parts:
        out = out + np.where(condition & (out != ""), separator, "") + np.where(condition, text, "")
    return out


# ---------------------------------------------------------------------------------------------- marts


def school_region_counts(g: pd.DataFrame, measures: tuple[str, ...] = ()) -> pd.DataFrame:
    """Graduates of schools in a known prefecture-level city by school region (prefecture and province) ×
    major × grad_year: the survey-round counts, the employed and where they work (at province level "the
    school's city" is any city of the province), and the flag columns ``measures`` of ``g`` summed besides;
    what mart_talent_outflow publishes and mart_major_warning shares (the dbt macro school_region_counts)."""
    g = g[g["school_prefecture_code"].notna()]
    employed, graduates = g["is_employed"], g["graduates"]
    flags = pd.DataFrame(
        {
            "school_prefecture_code": g["school_prefecture_code"],
            "school_province_code": g["school_province_code"],
            "major_code": g["major_code"],
            "grad_year": g["grad_year"],
            "graduates": graduates,
            **{c: g[c] for c in ROUND_COUNTS},
            "employed": graduates * employed,
            "in_city": graduates
            * (employed & (g["employer_prefecture_code"] == g["school_prefecture_code"])),
            "employed_in_school_province": graduates
            * (employed & (g["employer_province_code"] == g["school_province_code"])),
            "employed_outside_province": graduates
            * (
                employed
                & g["employer_province_code"].notna()
                & (g["employer_province_code"] != g["school_province_code"])
            ),
            "employed_region_unknown": graduates * (employed & g["employer_province_code"].isna()),
            **{m: graduates * g[m] for m in measures},
        }
    )
    counts = [
        "graduates",
        *ROUND_COUNTS,
        "employed",
        "in_city",
        "employed_in_school_province",
        "employed_outside_province",
        "employed_region_unknown",
        *measures,
    ]
    city = flags.groupby(["school_prefecture_code", "major_code", "grad_year"])[counts].sum().reset_index()
    city = city.rename(
        columns={"school_prefecture_code": "region_code", "in_city": "employed_in_school_city"}
    )
    province = flags.groupby(["school_province_code", "major_code", "grad_year"])[counts].sum().reset_index()
    province = province.rename(columns={"school_province_code": "region_code"}).drop(columns="in_city")
    province["employed_in_school_city"] = province["employed_in_school_province"]  # any city of the province
    return pd.concat(
        [city.assign(region_level="prefecture"), province.assign(region_level="province")], ignore_index=True
    )


def with_school_region_rates(counts: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A school region's counts named (region, major), with the rates mart_talent_outflow and
    mart_major_warning publish alike: 初次 / 年终毕业去向落实率 and 留市率."""
    counts = names(counts, ref["dim_region"], "region_code", {"region_name": "region_name"})
    counts = names(counts, ref["dim_major"], "major_code", {"major_name": "major_name"})
    return with_rates(
        counts,
        initial_placement_rate=("placed_initial", "graduates_initial_survey"),
        year_end_placement_rate=("placed_year_end", "graduates_year_end_survey"),
        city_retention_rate=("employed_in_school_city", "employed"),
    )


def talent_outflow(g: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    out = with_rates(
        with_school_region_rates(school_region_counts(g), ref),
        province_retention_rate=("employed_in_school_province", "employed"),
        outflow_rate=("employed_outside_province", "employed"),
        region_unknown_rate=("employed_region_unknown", "employed"),
    )
    return out.assign(rate_denominator="employed graduates")


def match_counts(
    g: pd.DataFrame,
    bridge: pd.DataFrame,
    demand: pd.DataFrame,
    employment: pd.DataFrame,
    levels: tuple[str, str],
    prefix: str,
    unmapped: str,
) -> pd.DataFrame:
    """Supply, demand and employment of one classification (industry or occupation), rolled up to
    prefecture|province × fine|coarse code × year; NaN where a side has no rows. ``bridge`` maps
    higher_major_category_code to fine_code and coarse_code with a weight; a graduate whose 专业类 is not in
    it counts whole under the code ``unmapped`` at both levels. ``demand`` (rows of :func:`vacancy_demand`)
    and ``employment`` (rows of ``g``) hold prefecture_code, province_code, fine_code, coarse_code and
    year."""
    with_school = g[g["school_prefecture_code"].notna() & (g["graduates"] > 0)]
    supply = with_school[
        [
            "school_prefecture_code",
            "school_province_code",
            "higher_major_category_code",
            "grad_year",
            "graduates",
        ]
    ].merge(bridge, on="higher_major_category_code", how="left")
    placed = supply["higher_major_category_code"].isin(set(bridge["higher_major_category_code"]))
    supply = supply.assign(
        fine_code=supply["fine_code"].where(placed, unmapped),
        coarse_code=supply["coarse_code"].where(placed, unmapped),
        weight=supply["weight"].where(placed, 1.0),
    )
    supply = supply[supply["coarse_code"].notna()]  # a link to an industry not in dim_industry counts nowhere
    supply = pd.DataFrame(
        {
            "prefecture_code": supply["school_prefecture_code"],
            "province_code": supply["school_province_code"],
            "fine_code": supply["fine_code"],
            "coarse_code": supply["coarse_code"],
            "year": supply["grad_year"],
            "weight_micro": micro(supply["weight"]) * supply["graduates"],
        }
    )
    employment = employment.assign(
        fit_known=employment["graduates"] * employment["major_related"].notna(),
        related=employment["graduates"] * employment["major_related"].fillna(False),
    )
    args = ("fine_code", "coarse_code", *levels, prefix)
    return outer(
        [
            rollups(supply, *args, {"supplied_micro": ("weight_micro", "sum")}),
            rollups(
                demand,
                *args,
                {
                    "demand": ("headcount", "sum"),
                    "postings": ("postings", "sum"),
                    "job_seekers": ("job_seekers", "sum"),
                    "vacancies_with_job_seekers": ("vacancies_with_job_seekers", "sum"),
                },
            ),
            rollups(
                employment,
                *args,
                {
                    "employed": ("graduates", "sum"),
                    "fit_known": ("fit_known", "sum"),
                    "related": ("related", "sum"),
                },
            ),
        ],
        ["region_level", "region_code", f"{prefix}_level", f"{prefix}_code", "year"],
    )


def unmapped_row(counts: pd.DataFrame, classification: str, unmapped: str) -> pd.DataFrame:
    """The row of supply the bridge cannot place named as such, without a ratio (no demand is classified
    there)."""
    is_unmapped = counts[f"{classification}_code"] == unmapped
    counts[f"{classification}_name"] = counts[f"{classification}_name"].where(
        ~is_unmapped, UNMAPPED_NAMES[classification]
    )
    counts["vacancies_per_graduate"] = counts["vacancies_per_graduate"].where(~is_unmapped)
    return counts


def industry_counts(
    g: pd.DataFrame, d: pd.DataFrame, ref: dict[str, pd.DataFrame], unmapped: str
) -> pd.DataFrame:
    """The talent match's additive counts by industry (int_talent_match_counts, classification industry):
    region × 大类|门类 × year, 0 where a side has no rows, the supply in millionths (supplied_micro); read by
    mart_talent_match, mart_major_warning and mart_new_major_candidates."""
    sections = ref["dim_industry"][["industry_code", "section_code"]]
    bridge = ref["bridge_major_industry"].merge(sections, on="industry_code", how="left")
    bridge = bridge.rename(columns={"industry_code": "fine_code", "section_code": "coarse_code"})
    demand = d.merge(sections, left_on="industry_division_code", right_on="industry_code")
    demand = demand.rename(columns={"industry_division_code": "fine_code", "section_code": "coarse_code"})
    employment = g[g["is_employed"] & g["employer_prefecture_code"].notna() & (g["graduates"] > 0)].merge(
        sections, left_on="employer_industry_division_code", right_on="industry_code"
    )
    employment = employment.rename(
        columns={
            "employer_prefecture_code": "prefecture_code",
            "employer_province_code": "province_code",
            "employer_industry_division_code": "fine_code",
            "section_code": "coarse_code",
            "grad_year": "year",
        }
    )
    keys = ["region_level", "region_code", "industry_level", "industry_code", "year"]
    counts = match_counts(g, bridge, demand, employment, ("division", "section"), "industry", unmapped)
    counts = counts.fillna({c: 0 for c in counts.columns if c not in keys})
    counts = counts.rename(
        columns={
            "demand": "vacancy_headcount",
            "postings": "vacancy_postings",
            "employed": "graduates_employed_in_industry",
            "related": "employed_major_related",
        }
    )
    return counts.assign(supplied_micro=counts["supplied_micro"].astype("int64"))


def talent_match(counts: pd.DataFrame, ref: dict[str, pd.DataFrame], unmapped: str) -> pd.DataFrame:
    counts = with_rates(
        counts.assign(graduates_supplied=from_micro_rounded(counts["supplied_micro"])),
        vacancies_per_graduate=("vacancy_headcount", "graduates_supplied"),
        job_vacancy_ratio=("vacancies_with_job_seekers", "job_seekers"),
        major_fit_rate=("employed_major_related", "fit_known"),
    )
    counts = names(
        counts,
        ref["dim_region"],
        "region_code",
        {"region_name": "region_name", "province_code": "province_code"},
    )
    counts = names(
        counts,
        ref["dim_industry"],
        "industry_code",
        {"industry_name": "industry_name", "section_code": "section_code"},
    )
    counts["section_code"] = counts["section_code"].where(counts["industry_code"] != unmapped, unmapped)
    return unmapped_row(counts, "industry", unmapped).drop(columns=["supplied_micro", "fit_known"])


def talent_match_occupation(
    g: pd.DataFrame, d: pd.DataFrame, ref: dict[str, pd.DataFrame], unmapped: str
) -> pd.DataFrame:
    bridge = ref["bridge_major_occupation"].rename(columns={"occupation_code": "fine_code"})
    bridge["coarse_code"] = bridge["fine_code"].str.split("-").str[0]
    occupation_codes = {
        "occupation_sub_major_group_code": "fine_code",
        "occupation_major_group_code": "coarse_code",
    }
    demand = d[d["occupation_code"].notna()].rename(columns=occupation_codes)
    employment = g[
        g["is_employed"]
        & g["employer_prefecture_code"].notna()
        & g["occupation_code"].notna()
        & (g["graduates"] > 0)
    ].rename(
        columns={
            "employer_prefecture_code": "prefecture_code",
            "employer_province_code": "province_code",
            **occupation_codes,
            "grad_year": "year",
        }
    )
    counts = match_counts(
        g, bridge, demand, employment, ("sub_major_group", "major_group"), "occupation", unmapped
    )
    supplied = from_micro_rounded(counts["supplied_micro"].astype("Int64")).astype("float64")
    counts["graduates_supplied"] = supplied.fillna(0.0)
    counts["vacancy_headcount"] = counts["demand"].fillna(0)
    counts["vacancies_per_graduate"] = rate(counts["vacancy_headcount"], supplied)  # null without supply
    counts = counts.fillna({"job_seekers": 0, "vacancies_with_job_seekers": 0})
    counts["job_vacancy_ratio"] = rate(counts["vacancies_with_job_seekers"], counts["job_seekers"])
    counts["graduates_employed_in_occupation"] = counts["employed"].fillna(0)
    counts["employed_major_related"] = counts["related"].fillna(0)
    counts["major_fit_rate"] = rate(counts["related"], counts["fit_known"])
    counts = names(counts, ref["dim_region"], "region_code", {"region_name": "region_name"})
    counts = names(counts, ref["dim_occupation"], "occupation_code", {"occupation_name": "occupation_name"})
    counts = unmapped_row(counts, "occupation", unmapped)
    return counts.drop(columns=["supplied_micro", "demand", "postings", "employed", "fit_known", "related"])


def shortage_list(match: pd.DataFrame, classification: str, variables: dict) -> pd.DataFrame:
    """One shortage list from a talent-match mart's cells (``classification`` 'industry' or 'occupation').

    Graduate rule: enough supply, demand and vacancies per graduate. The occupation list ranks a cell that
    delivers job seekers by the job-seeker rule instead (MOHRSS 最缺工: enough job seekers, enough people
    wanted with them and more than the job seekers), each rule ranked on its own (ranking_basis)."""
    level = {"industry": "division", "occupation": "sub_major_group"}[classification]
    c = match[match[f"{classification}_level"] == level].copy()
    c["shortage_gap"] = c["vacancy_headcount"] - c["graduates_supplied"]
    with_job_seekers = classification == "occupation"
    if with_job_seekers:
        has_job_seekers = (c["job_seekers"] > 0) | (c["vacancies_with_job_seekers"] > 0)
    else:
        has_job_seekers = pd.Series(False, index=c.index)
    by_graduates = c[
        ~has_job_seekers
        & (c["graduates_supplied"] >= float(variables["shortage_min_supply"]))
        & (c["vacancy_headcount"] >= int(variables["shortage_min_headcount"]))
        & (c["vacancies_per_graduate"] >= float(variables["shortage_min_ratio"]))
    ].assign(ranking_basis="graduates_supplied")
    by_graduates["job_seeker_gap"] = pd.Series(pd.NA, index=by_graduates.index, dtype="Int64")
    by_graduates["job_vacancy_ratio"] = np.nan
    by_graduates["ranking_gap"] = by_graduates["shortage_gap"].astype("float64")
    by_graduates["ranking_ratio"] = by_graduates["vacancies_per_graduate"]
    by_job_seekers = c[
        has_job_seekers
        & (c["job_seekers"] >= int(variables["shortage_min_job_seekers"]))
        & (c["vacancies_with_job_seekers"] >= int(variables["shortage_min_headcount"]))
        & (c["vacancies_with_job_seekers"] > c["job_seekers"])
    ].assign(ranking_basis="job_seekers")
    by_job_seekers["job_seeker_gap"] = (
        by_job_seekers["vacancies_with_job_seekers"] - by_job_seekers["job_seekers"]
    ).astype("Int64")
    by_job_seekers["ranking_gap"] = by_job_seekers["job_seeker_gap"].astype("float64")
    by_job_seekers["ranking_ratio"] = by_job_seekers["job_vacancy_ratio"]
    listed = pd.concat([by_graduates, by_job_seekers], ignore_index=True)
    code = f"{classification}_code"
    rank_within = ["region_level", "region_code", "year", "ranking_basis"]
    listed = listed.sort_values(
        [*rank_within, "ranking_gap", "ranking_ratio", code], ascending=[True] * 4 + [False, False, True]
    )
    listed["shortage_rank"] = listed.groupby(rank_within).cumcount() + 1
    listed["shortage_level"] = np.where(
        listed["ranking_ratio"] >= float(variables["shortage_severe_ratio"]), "severe", "shortage"
    )
    listed = listed.drop(columns=["ranking_gap", "ranking_ratio"])
    if not with_job_seekers:  # the industry list publishes neither the basis nor the job-seeker columns
        listed = listed.drop(
            columns=[
                "ranking_basis",
                "job_seekers",
                "vacancies_with_job_seekers",
                "job_seeker_gap",
                "job_vacancy_ratio",
            ]
        )
    return listed


def enrolment(raw_dir: Path) -> pd.DataFrame:
    return read_feed(
        raw_dir,
        "enrolment",
        [
            "year",
            "school_code",
            "school_name",
            "school_region_code",
            "level",
            "major_code",
            "enrolled_total",
            "expected_graduates",
            "order_class_enrolment",
            "apprenticeship_enrolment",
        ],
        ["year", "school_code", "major_code", "level"],
    )


def structure_alignment(
    e: pd.DataFrame, structure: pd.DataFrame, ref: dict[str, pd.DataFrame], variables: dict
) -> pd.DataFrame:
    """专业结构与产业结构匹配度 per city × year: the enrolment's mix of 门类 (through the bridge) against the
    output's and employment's, as the model reads them from the industry structure's city rows."""
    code_map, industry = ref["dim_region_code_map"], ref["dim_industry"][["industry_code", "section_code"]]
    e = e.copy()
    e["region_code"] = resolve(e["school_region_code"], code_map, "prefecture_code")
    e["higher_major_category_code"] = higher_major_category(e["major_code"])
    e = (
        e[e["region_code"].notna()]
        .merge(ref["bridge_major_industry"], on="higher_major_category_code")
        .merge(industry, on="industry_code")
    )
    e["enrolled_micro"] = e["enrolled_total"] * micro(e["weight"])
    enrolment = e.groupby(["region_code", "year", "section_code"])["enrolled_micro"].sum().reset_index()
    # the cities' rows of the industry structure (门类 as reported or summed from their 大类, and 三次产业)
    structure = structure.loc[
        structure["region_level"] == "prefecture",
        ["region_code", "year", "industry_grain", "industry_code", "output_100m_cny", *FIGURES],
    ]
    sections = structure[structure["industry_grain"] == "section"]
    # the output measure of a city and year, over its 门类 with an output figure: gross output where every one
    # has it, else value added where every one has that, else the one more of them have
    m = (
        sections[sections["output_100m_cny"].notna()]
        .groupby(["region_code", "year"])
        .agg(
            n=("output_100m_cny", "size"),
            gross=("output_value_100m_cny", "count"),
            added=("value_added_100m_cny", "count"),
        )
        .reset_index()
    )
    m["output_measure"] = np.where(
        m["gross"] == m["n"],
        "gross_output",
        np.where(
            m["added"] == m["n"],
            "value_added",
            np.where(m["gross"] >= m["added"], "gross_output", "value_added"),
        ),
    )

    def in_measure(rows: pd.DataFrame) -> pd.DataFrame:
        """``rows`` with output_value, their figure in the measure of their city and year (value added
        where it has none)."""
        rows = rows.merge(
            m[["region_code", "year", "output_measure"]], on=["region_code", "year"], how="left"
        )
        gross = rows["output_measure"] == "gross_output"
        return rows.assign(
            output_value=rows["output_value_100m_cny"].where(gross, rows["value_added_100m_cny"])
        )

    output = in_measure(sections).rename(
        columns={"industry_code": "section_code", "employment_10k": "employment"}
    )
    output = output[["region_code", "year", "section_code", "output_value", "employment"]]
    sector_output = (
        in_measure(structure[structure["industry_grain"] == "sector"])
        .groupby(["region_code", "year"])["output_value"]
        .sum(min_count=1)
        .rename("sector_output")
    )
    j = enrolment.merge(output, on=["region_code", "year", "section_code"], how="outer")
    j = j.fillna({"enrolled_micro": 0})
    j["enrolled"] = j["enrolled_micro"].astype("int64") / 1_000_000
    totals = j.groupby(["region_code", "year"])[["enrolled", "output_value", "employment"]].transform("sum")
    for share, column in (
        ("enrolment_share", "enrolled"),
        ("output_share", "output_value"),
        ("employment_share", "employment"),
    ):
        j[share] = rate(j[column], totals[column])
    j["output_gap"] = (j["enrolment_share"].fillna(0) - j["output_share"].fillna(0)).abs()
    j["employment_gap"] = (j["enrolment_share"].fillna(0) - j["employment_share"].fillna(0)).abs()
    x = (
        j.groupby(["region_code", "year"])
        .agg(
            enrolled_micro=("enrolled_micro", "sum"),
            output_value_100m_cny=("output_value", lambda v: v.sum(min_count=1)),
            employment_10k=("employment", lambda v: v.sum(min_count=1)),
            sections_compared=("section_code", "size"),
            output_sections_compared=("output_value", "count"),
            has_enrolment=("enrolment_share", "count"),
            has_output=("output_share", "count"),
            has_employment=("employment_share", "count"),
            output_gap=("output_gap", "sum"),
            employment_gap=("employment_gap", "sum"),
        )
        .reset_index()
    )
    x["enrolled_total"] = from_micro_rounded(x["enrolled_micro"].astype("int64"))
    x = x.merge(m[["region_code", "year", "output_measure"]], on=["region_code", "year"], how="left")
    x = x.merge(sector_output.reset_index(), on=["region_code", "year"], how="left")
    whole = x[["output_value_100m_cny", "sector_output"]].max(axis=1)
    x["output_coverage_share"] = rate(x["output_value_100m_cny"], whole)
    minimum = float(variables["alignment_min_output_coverage"])
    reason = pd.Series(None, index=x.index, dtype="object")
    reason = reason.mask(x["output_coverage_share"] < minimum, "low_output_coverage")
    reason = reason.mask(x["output_value_100m_cny"].fillna(0) == 0, "no_output")
    reason = reason.mask(x["enrolled_micro"] == 0, "no_enrolment")
    x["output_alignment_null_reason"] = reason
    output_comparable = (
        (x["has_enrolment"] > 0) & (x["has_output"] > 0) & x["output_alignment_null_reason"].isna()
    )
    employment_comparable = (x["has_enrolment"] > 0) & (x["has_employment"] > 0)
    x["output_dissimilarity_index"] = (0.5 * x["output_gap"]).where(output_comparable)
    x["output_alignment_index"] = (1 - 0.5 * x["output_gap"]).where(output_comparable)
    x["employment_dissimilarity_index"] = (0.5 * x["employment_gap"]).where(employment_comparable)
    x["employment_alignment_index"] = (1 - 0.5 * x["employment_gap"]).where(employment_comparable)
    x = names(x, ref["dim_region"], "region_code", {"region_name": "region_name"})
    return x.drop(
        columns=[
            "enrolled_micro",
            "has_enrolment",
            "has_output",
            "has_employment",
            "output_gap",
            "employment_gap",
            "sector_output",
        ]
    )


def school_scorecard(g: pd.DataFrame, e: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    emp, partner, local = (
        g["is_employed"],
        g["employer_is_partner"],
        (g["employer_prefecture_code"] == g["school_prefecture_code"]),
    )
    graduates_where = {  # the graduates of the rows where each holds
        "employed": emp,
        "employed_in_school_city": emp & local,
        "partner_hires": emp & partner,
        "partner_hires_in_school_city": emp & partner & local,
        "fit_known": emp & g["major_related"].notna(),
        "employed_major_related": emp & g["major_related"].fillna(False),
        "order_class_graduates": g["order_class"],
        "order_class_partner_hires": g["order_class"] & emp & partner,
        "apprenticeship_graduates": g["apprenticeship"],
        "apprenticeship_partner_hires": g["apprenticeship"] & emp & partner,
    }
    flags = pd.DataFrame(
        {
            "school_code": g["school_code"],
            "grad_year": g["grad_year"],
            "region_code": g["school_prefecture_code"],
            "graduates": g["graduates"],
            **{c: g[c] for c in ROUND_COUNTS},
            **{name: g["graduates"] * holds for name, holds in graduates_where.items()},
        }
    )
    sums = [c for c in flags.columns if c not in ("school_code", "grad_year", "region_code")]
    s = (
        flags.groupby(["school_code", "grad_year"])
        .agg(region_code=("region_code", "min"), **{c: (c, "sum") for c in sums})
        .reset_index()
    )
    by_school = (
        e.groupby(["school_code", "year"])
        .agg(
            school_name=("school_name", "min"),
            enrolled_total=("enrolled_total", "sum"),
            expected_graduates=("expected_graduates", "sum"),
            order_class_enrolment=("order_class_enrolment", "sum"),
            apprenticeship_enrolment=("apprenticeship_enrolment", "sum"),
        )
        .reset_index()
    )
    s = s.merge(by_school.rename(columns={"year": "grad_year"}), on=["school_code", "grad_year"], how="left")
    s = names(s, ref["dim_region"], "region_code", {"region_name": "region_name"})
    s = with_rates(
        s,
        initial_placement_rate=("placed_initial", "graduates_initial_survey"),
        year_end_placement_rate=("placed_year_end", "graduates_year_end_survey"),
        city_retention_rate=("employed_in_school_city", "employed"),
        partner_hire_rate=("partner_hires", "employed"),
        major_fit_rate=("employed_major_related", "fit_known"),
        order_class_partner_hire_rate=("order_class_partner_hires", "order_class_graduates"),
        apprenticeship_partner_hire_rate=("apprenticeship_partner_hires", "apprenticeship_graduates"),
    )
    return s.drop(columns="fit_known")


def enterprise_hires(g: pd.DataFrame, keys: dict[str, str]) -> pd.DataFrame:
    """The graduates an enterprise hired (employed, employer_enterprise_id known) by ``keys`` (column of
    ``g`` → name), as the dbt macro enterprise_hires: hired, of them as a partner of their school, employed
    in their school's city (本地就业), of known and of related fit (岗位适配), from order classes and
    apprenticeships."""
    h = g[g["is_employed"] & g["employer_enterprise_id"].notna()]
    flags = pd.DataFrame(
        {
            **{name: h[column] for column, name in keys.items()},
            "graduates_hired": h["graduates"],
            "partner_hires": h["graduates"] * h["employer_is_partner"],
            "hires_in_school_city": h["graduates"]
            * (h["employer_prefecture_code"] == h["school_prefecture_code"]),
            "fit_known": h["graduates"] * h["major_related"].notna(),
            "employed_major_related": h["graduates"] * h["major_related"].fillna(False),
            "order_class_hires": h["graduates"] * h["order_class"],
            "apprenticeship_hires": h["graduates"] * h["apprenticeship"],
        }
    )
    return flags.groupby(list(keys.values())).sum().reset_index()


def partner_scorecard(g: pd.DataFrame, v: pd.DataFrame) -> pd.DataFrame:
    hires = enterprise_hires(g, {"employer_enterprise_id": "enterprise_id", "grad_year": "year"})
    named = g[g["employer_is_partner"] & g["employer_enterprise_id"].notna()]
    hires = hires[hires["enterprise_id"].isin(set(named["employer_enterprise_id"]))]
    schools = (
        named[named["is_employed"]].groupby(["employer_enterprise_id", "grad_year"])["school_code"].nunique()
    )
    at = pd.MultiIndex.from_frame(hires[["enterprise_id", "year"]])
    hires["partner_schools"] = schools.reindex(at).fillna(0).to_numpy()
    by_city = (
        v.groupby(["enterprise_id", "posted_year", "prefecture_code"], dropna=False)
        .agg(headcount=("headcount", "sum"), enterprise_name=("enterprise_name", "max"))
        .reset_index()
    )
    # the city where the enterprise posted the most headcount that year; ties: the lowest code
    by_city["city_order"] = -pd.to_numeric(by_city["prefecture_code"])
    top = by_city.sort_values(["headcount", "city_order"], ascending=False).drop_duplicates(
        ["enterprise_id", "posted_year"]
    )
    demand = (
        top[["enterprise_id", "posted_year", "enterprise_name", "prefecture_code"]]
        .merge(
            by_city.groupby(["enterprise_id", "posted_year"])["headcount"]
            .sum()
            .rename("vacancy_headcount")
            .reset_index(),
            on=["enterprise_id", "posted_year"],
        )
        .rename(columns={"posted_year": "year", "prefecture_code": "region_code"})
    )
    out = hires.merge(demand, on=["enterprise_id", "year"], how="left")
    out = with_rates(
        out,
        city_retention_rate=("hires_in_school_city", "graduates_hired"),
        major_fit_rate=("employed_major_related", "fit_known"),
        hires_per_vacancy=("graduates_hired", "vacancy_headcount"),
    )
    out["vacancy_headcount"] = out["vacancy_headcount"].fillna(0)
    return out.drop(columns="fit_known")


ACTIVITY = [
    "service_projects",
    "technical_service_value_10k_cny",
    "training_courses",
    "training_person_times",
    "certificates_awarded",
]


def activity(services: pd.DataFrame, courses: pd.DataFrame) -> pd.DataFrame:
    """技术服务 and 社会培训 per school × enterprise × calendar year of the start date
    (int_partnership_activity): terminated projects are neither counted nor valued, but keep their
    school–enterprise pair (with zeros); a course open to all has no enterprise."""
    counted = services["status"].notna() & (services["status"] != "terminated")
    projects = pd.DataFrame(
        {
            "school_code": services["school_code"],
            "enterprise_id": services["enterprise_id"],
            "year": pd.to_datetime(services["start_date"]).dt.year,
            "service_projects": counted.astype("int64"),
            "technical_service_value_10k_cny": services["contract_value_10k_cny"]
            .astype(float)
            .where(counted, 0.0)
            .fillna(0.0),
        }
    )
    trainings = pd.DataFrame(
        {
            "school_code": courses["school_code"],
            "enterprise_id": courses["enterprise_id"],
            "year": pd.to_datetime(courses["start_date"]).dt.year,
            "training_courses": 1,
            "training_person_times": courses["trainees"].fillna(0),
            "certificates_awarded": courses["certificates_awarded"].fillna(0),
        }
    )
    both = pd.concat([projects, trainings], ignore_index=True)
    both[ACTIVITY] = both[ACTIVITY].fillna(0)
    return both


def with_activity(df: pd.DataFrame, a: pd.DataFrame, keys: dict[str, str]) -> pd.DataFrame:
    """``df`` with the activity columns summed over ``a`` by ``keys`` (activity column → df column), 0 where
    there is none."""
    summed = a.groupby(list(keys))[ACTIVITY].sum().reset_index().rename(columns=keys)
    for target in keys.values():
        summed[target] = summed[target].astype(df[target].dtype)
    out = df.merge(summed, on=list(keys.values()), how="left")
    out[ACTIVITY] = out[ACTIVITY].fillna(0)
    return out


def region_attraction(g: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    e = g[g["is_employed"] & (g["graduates"] > 0)]
    school, origin, employer = (
        e["school_prefecture_code"],
        e["origin_prefecture_code"],
        e["employer_prefecture_code"],
    )
    school_is_not_origin = school.ne(origin) | school.isna()  # "is distinct from": null differs from a code
    school_is_not_employer = school.ne(employer) | school.isna()
    origin_is_not_employer = origin.ne(employer) | origin.isna()

    def count(mask: pd.Series, region: pd.Series, name: str) -> pd.DataFrame:
        return (
            pd.DataFrame(
                {"region_code": region[mask], "grad_year": e["grad_year"][mask], name: e["graduates"][mask]}
            )
            .groupby(["region_code", "grad_year"])[name]
            .sum()
            .reset_index()
        )

    everyone = pd.Series(True, index=e.index)
    counts = outer(
        [
            count(everyone, school, "employed"),
            count(school == employer, school, "employed_in_school_city"),
            count(everyone, origin, "origin_graduates_employed"),
            count(origin == employer, origin, "employed_in_origin"),
            count(school_is_not_origin, origin, "studied_elsewhere_employed"),
            count(school_is_not_origin & (origin == employer), origin, "returned"),
            count(everyone, employer, "employed_in_region"),
            count(school_is_not_employer & origin_is_not_employer, employer, "came_in"),
        ],
        ["region_code", "grad_year"],
    )
    counts = counts.fillna(0)
    counts = with_rates(
        counts,
        city_retention_rate=("employed_in_school_city", "employed"),
        origin_return_rate=("employed_in_origin", "origin_graduates_employed"),
        return_rate=("returned", "studied_elsewhere_employed"),
        inflow_share=("came_in", "employed_in_region"),
    )
    counts["attraction_index"] = (
        counts["city_retention_rate"] + counts["return_rate"] + counts["inflow_share"]
    ) / 3.0
    return names(
        counts,
        ref["dim_region"],
        "region_code",
        {"region_name": "region_name", "province_code": "province_code"},
    )


def graduate_flows(g: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    g = g[g["school_prefecture_code"].notna() & (g["graduates"] > 0)]
    employed = g["is_employed"]
    f = pd.DataFrame(
        {
            "grad_year": g["grad_year"],
            "origin_region_code": g["origin_prefecture_code"],
            "origin_province_code": g["origin_province_code"],
            "school_region_code": g["school_prefecture_code"],
            "school_province_code": g["school_province_code"],
            "employer_region_code": g["employer_prefecture_code"].where(employed),
            "employer_province_code": g["employer_province_code"].where(employed),
        }
    )
    f["flow_type"] = np.select(
        [
            ~employed,
            f["employer_region_code"].isna(),
            f["employer_region_code"] == f["school_region_code"],
            f["employer_region_code"] == f["origin_region_code"],
            f["employer_province_code"] == f["school_province_code"],
        ],
        [
            "not_employed",
            "employer_region_unknown",
            "stayed_in_school_city",
            "returned_to_origin",
            "moved_within_province",
        ],
        "left_province",
    )
    # the published grain: outside the home provinces (those of the schools), origin and employer by province
    home = set(g["school_province_code"].dropna())
    for who in ("origin", "employer"):
        known = f[f"{who}_region_code"].notna()
        at_home = f[f"{who}_province_code"].isin(home)
        f[f"{who}_region_level"] = pd.Series(
            np.where(at_home, "prefecture", "province"), index=f.index
        ).where(known)
        f[f"{who}_region_code"] = f[f"{who}_region_code"].where(at_home | ~known, f[f"{who}_province_code"])
    flows = (
        f.assign(graduates=g["graduates"])
        .groupby(list(f.columns), dropna=False)["graduates"]
        .sum()
        .reset_index()
    )
    region = ref["dim_region"]
    for who in ("origin", "school", "employer"):
        flows = names(
            flows.rename(columns={f"{who}_region_code": "region_code"}),
            region,
            "region_code",
            {"region_name": f"{who}_region_name"},
        ).rename(columns={"region_code": f"{who}_region_code"})
    return flows


def partnership_contribution(g: pd.DataFrame, a: pd.DataFrame, variables: dict) -> pd.DataFrame:
    """区域产业贡献度 per school × enterprise × calendar year: the partnerships graduates' records name, and
    those with technical services or training; each part scaled to the best partnership of the school's
    city and year, weighted by the dbt vars contribution_weight_* over the parts that are defined."""
    keys = ["school_code", "enterprise_id", "calendar_year"]
    hires = enterprise_hires(
        g,
        {
            "school_code": "school_code",
            "employer_enterprise_id": "enterprise_id",
            "grad_year": "calendar_year",
        },
    )
    with_enterprise = a[a["enterprise_id"].notna()]
    partnerships = pd.concat(
        [
            hires.loc[hires["partner_hires"] > 0, keys],
            with_enterprise[["school_code", "enterprise_id", "year"]].rename(
                columns={"year": "calendar_year"}
            ),
        ],
        ignore_index=True,
    ).drop_duplicates()
    partnerships["calendar_year"] = partnerships["calendar_year"].astype("int64")
    p = with_activity(
        partnerships,
        with_enterprise,
        {"school_code": "school_code", "enterprise_id": "enterprise_id", "year": "calendar_year"},
    ).merge(hires, on=keys, how="left")
    p["region_code"] = p["school_code"].map(g.groupby("school_code")["school_prefecture_code"].min())
    p["job_fit_rate"] = rate(p["employed_major_related"], p["fit_known"])
    p = p.fillna(dict.fromkeys(("graduates_hired", "hires_in_school_city", "employed_major_related"), 0))
    parts = {
        "hires_in_school_city": "hires_in_school_city_score",
        "technical_service_value_10k_cny": "technical_service_value_score",
    }
    best = p.groupby(["region_code", "calendar_year"], dropna=False)[list(parts)].transform("max")
    for part, score in parts.items():
        p[score] = rate(p[part], best[part])
    weights = {
        "hires_in_school_city_score": float(variables["contribution_weight_hires_in_school_city"]),
        "technical_service_value_score": float(variables["contribution_weight_technical_service_value"]),
        "job_fit_rate": float(variables["contribution_weight_job_fit"]),
    }
    weighted = sum(w * p[c].fillna(0.0) for c, w in weights.items())
    # the model adds the weights as decimals: their sum is exact (0.4 + 0.2 is 0.6, not 0.6000000000000001)
    defined = sum(w * p[c].notna() for c, w in weights.items()).round(9)
    p["contribution_index"] = rate(weighted, defined).round(9)
    return p.drop(columns=["partner_hires", "fit_known", "order_class_hires", "apprenticeship_hires"])


def enterprise_demand(v: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """企业需求清单: an enterprise's postings of one workplace city, industry 大类, occupation, level asked
    and posting year as one line; postings whose workplace resolves to no city are on no list."""
    lines = (
        v[v["prefecture_code"].notna()]
        .groupby(
            [
                "enterprise_id",
                "prefecture_code",
                "industry_division_code",
                "occupation_code",
                "required_level",
                "posted_year",
            ],
            dropna=False,
        )
        .agg(
            enterprise_name=("enterprise_name", "max"),
            vacancy_postings=("headcount", "size"),
            vacancy_headcount=("headcount", "sum"),
            salary_min_cny=("salary_min_cny", "min"),
            salary_max_cny=("salary_max_cny", "max"),
            first_posted_date=("posted_date", "min"),
            last_posted_date=("posted_date", "max"),
        )
        .reset_index()
        .rename(
            columns={
                "prefecture_code": "region_code",
                "industry_division_code": "industry_code",
                "posted_year": "year",
            }
        )
    )
    lines = names(lines, ref["dim_region"], "region_code", {"region_name": "region_name"})
    lines = names(lines, ref["dim_industry"], "industry_code", {"industry_name": "industry_name"})
    lines = names(lines, ref["dim_occupation"], "occupation_code", {"occupation_name": "occupation_name"})
    level_names = {m.level: m.label_zh for m in major_levels()}
    return lines.assign(required_level_name=lines["required_level"].map(level_names))


def feed_rows_with_school_and_city(
    rows: pd.DataFrame, e: pd.DataFrame, ref: dict[str, pd.DataFrame], labels: dict[str, str]
) -> pd.DataFrame:
    """A school's feed listed row by row (mart_technical_services, mart_training_resources): the place a row
    gives resolved to today's prefecture-level city (region_code) and named, the school named (the lowest name
    its enrolment reports), and each column of ``labels`` (column → vocabulary list) given its Chinese name
    in ``<column>_name``."""
    out = rows.assign(
        region_code=resolve(rows["region_code"], ref["dim_region_code_map"], "prefecture_code"),
        school_name=rows["school_code"].map(e.groupby("school_code")["school_name"].min()),
        **{
            f"{column}_name": rows[column].map({v.value: v.label_zh for v in labelled_values(values)})
            for column, values in labels.items()
        },
    )
    return names(out, ref["dim_region"], "region_code", {"region_name": "region_name"})


def technical_services(services: pd.DataFrame, e: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """技术服务清单: one row per project as delivered, terminated ones with their status."""
    out = feed_rows_with_school_and_city(
        services, e, ref, {"service_type": "service_types", "status": "project_statuses"}
    )
    return names(out, ref["dim_industry"], "industry_code", {"industry_name": "industry_name"})


def training_resources(courses: pd.DataFrame, e: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """培训资源清单: one row per course as delivered, with the occupation it trains for named."""
    out = feed_rows_with_school_and_city(courses, e, ref, {"training_type": "training_types"})
    return names(out, ref["dim_occupation"], "occupation_code", {"occupation_name": "occupation_name"})


def major_warning(
    g: pd.DataFrame, counts: pd.DataFrame, ref: dict[str, pd.DataFrame], variables: dict
) -> pd.DataFrame:
    """专业预警 per school region × major × grad_year: the outcomes of the major's graduates, the market of
    the industries its 专业类 serves (their vacancies and bridge-weighted supply in the region and year) and
    a level red / yellow / green by the rules of the dbt vars warning_* (a rule whose figure is null does
    not fire)."""
    keys = ["region_level", "region_code", "major_code", "grad_year"]
    fit = g.assign(
        employed_fit_known=g["is_employed"] & g["major_related"].notna(),
        employed_major_related=g["is_employed"] & g["major_related"].fillna(False),
    )
    m = school_region_counts(fit, ("employed_fit_known", "employed_major_related"))
    m["higher_major_category_code"] = higher_major_category(m["major_code"])  # one 专业类 per major code
    divisions = counts.loc[
        counts["industry_level"] == "division",
        ["region_level", "region_code", "industry_code", "year", "vacancy_headcount", "supplied_micro"],
    ]
    served = (
        m[[*keys, "higher_major_category_code"]]
        .merge(ref["bridge_major_industry"], on="higher_major_category_code")
        .merge(
            divisions.rename(columns={"year": "grad_year"}),
            on=["region_level", "region_code", "industry_code", "grad_year"],
            how="left",
        )
        .groupby(keys)
        .agg(
            served_industries=("industry_code", "size"),
            served_vacancy_headcount=("vacancy_headcount", "sum"),
            served_micro=("supplied_micro", "sum"),
        )
        .reset_index()
    )
    m = m.merge(served, on=keys, how="left")
    m = m.fillna(dict.fromkeys(("served_industries", "served_vacancy_headcount", "served_micro"), 0))
    m["served_graduates_supplied"] = from_micro_rounded(m["served_micro"].astype("int64"))
    m = with_rates(
        with_school_region_rates(m, ref),
        major_fit_rate=("employed_major_related", "employed_fit_known"),
        served_vacancies_per_graduate=("served_vacancy_headcount", "served_graduates_supplied"),
    )
    year_end, initial = m["graduates_year_end_survey"], m["graduates_initial_survey"]
    # the round with more graduates surveyed (年终 on a tie); none without a survey
    m["placement_round"] = (
        pd.Series(None, index=m.index, dtype="object")
        .mask(initial > 0, "initial")
        .mask((year_end > 0) & (year_end >= initial), "year_end")
    )
    placement_rate = m["year_end_placement_rate"].where(
        m["placement_round"] == "year_end",
        m["initial_placement_rate"].where(m["placement_round"] == "initial"),
    )
    threshold = {
        name: float(variables[f"warning_{name}"])
        for name in (
            "red_placement_rate_below",
            "yellow_placement_rate_below",
            "yellow_major_fit_rate_below",
            "yellow_vacancies_per_graduate_below",
            "yellow_city_retention_rate_below",
        )
    }
    red = placement_rate < threshold["red_placement_rate_below"]
    low = placement_rate < threshold["yellow_placement_rate_below"]
    fit_low = m["major_fit_rate"] < threshold["yellow_major_fit_rate_below"]
    demand_low = m["served_vacancies_per_graduate"] < threshold["yellow_vacancies_per_graduate_below"]
    retention_low = m["city_retention_rate"] < threshold["yellow_city_retention_rate_below"]
    yellow_rules = low.astype(int) + fit_low.astype(int) + demand_low.astype(int) + retention_low.astype(int)
    minimum = int(variables["warning_min_graduates"])
    below_minimum = m["graduates"] < minimum
    m["warning_level"] = np.select(
        [
            below_minimum,
            red | (yellow_rules >= int(variables["warning_red_min_yellow_rules"])),
            yellow_rules > 0,
        ],
        ["insufficient_data", "red", "yellow"],
        default="green",
    )
    m["warning_level_name"] = m["warning_level"].map(
        {"red": "红色预警", "yellow": "黄色预警", "green": "绿色", "insufficient_data": "数据不足"}
    )
    # the thresholds in the reasons' texts as the model formats them ('%g'): rates in per cent, a ratio as is
    percent = {name: f"{value * 100:g}%" for name, value in threshold.items()}
    fired = [  # the rules in the model's order: condition, code, text
        (red, "placement_rate_below_red", f"毕业去向落实率低于{percent['red_placement_rate_below']}"),
        (
            low & ~red,
            "placement_rate_below_yellow",
            f"毕业去向落实率低于{percent['yellow_placement_rate_below']}",
        ),
        (fit_low, "major_fit_rate_low", f"专业对口率低于{percent['yellow_major_fit_rate_below']}"),
        (
            demand_low,
            "served_vacancies_per_graduate_low",
            f"服务产业岗位供需比低于{threshold['yellow_vacancies_per_graduate_below']:g}",
        ),
        (
            retention_low,
            "city_retention_rate_low",
            f"本市就业率低于{percent['yellow_city_retention_rate_below']}",
        ),
    ]
    m["warning_reason_codes"] = joined([(f, code) for f, code, _ in fired], ",").where(
        ~below_minimum, "graduates_below_minimum"
    )
    m["warning_reasons"] = joined([(f, text) for f, _, text in fired], "；").where(
        ~below_minimum, f"毕业生少于{minimum}人，不评级"
    )
    return m.drop(columns=["employed_fit_known", "served_micro"])


def new_major_candidates(counts: pd.DataFrame, ref: dict[str, pd.DataFrame], variables: dict) -> pd.DataFrame:
    """专业空白: the industries (大类) of a city and year with demand of at least
    new_major_min_vacancy_headcount people and supply under shortage_min_supply graduates, ranked by demand
    (ties: the industry code)."""
    divisions = counts[counts["industry_level"] == "division"]
    city = divisions[divisions["region_level"] == "prefecture"]
    gaps = city[
        (city["supplied_micro"] < round(float(variables["shortage_min_supply"]) * 1_000_000))
        & (city["vacancy_headcount"] >= int(variables["new_major_min_vacancy_headcount"]))
    ]
    gaps = names(
        gaps,
        ref["dim_region"],
        "region_code",
        {"region_name": "region_name", "province_code": "province_code"},
    )
    province = divisions.loc[
        divisions["region_level"] == "province", ["region_code", "industry_code", "year", "supplied_micro"]
    ]
    gaps = gaps.merge(
        province.rename(columns={"region_code": "province_code", "supplied_micro": "province_micro"}),
        on=["province_code", "industry_code", "year"],
        how="left",
    )
    gaps = gaps.sort_values(
        ["region_code", "year", "vacancy_headcount", "industry_code"], ascending=[True, True, False, True]
    )
    bridged = ref["bridge_major_industry"].groupby("industry_code")["higher_major_category_code"].nunique()
    gaps = gaps.assign(
        candidate_rank=gaps.groupby(["region_code", "year"]).cumcount() + 1,
        graduates_supplied=from_micro_rounded(gaps["supplied_micro"]),
        has_local_supply=gaps["supplied_micro"] > 0,
        province_graduates_supplied=from_micro_rounded(gaps["province_micro"].fillna(0).astype("int64")),
        bridged_major_categories=gaps["industry_code"].map(bridged).fillna(0),
    )
    return names(
        gaps,
        ref["dim_industry"],
        "industry_code",
        {"industry_name": "industry_name", "section_code": "section_code"},
    )


def industry_structure(o: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """产业结构 per region (city, province) × year (annual periods) × 门类, or 三次产业 where only those
    were delivered: a 门类 reported whole as delivered, else the sum of its 大类; a province as delivered for
    itself, else the sum of its cities (null for a figure one of them lacks); each figure's share of the
    region's."""
    code_map = ref["dim_region_code_map"].set_index("region_code")
    industry = ref["dim_industry"].set_index("industry_code")
    sector_names = {s.code: s.label_zh for s in industry_sectors()}
    o = o[o["period"].str.len() == 4]
    prefecture = o["region_code"].map(code_map["prefecture_code"])
    is_sector = o["industry_code"].isin(set(sector_names))
    delivered_level = o["industry_code"].map(industry["industry_level"])
    annual = pd.DataFrame(
        {
            "region_level": np.where(prefecture.notna(), "prefecture", "province"),
            "region_code": prefecture.fillna(o["region_code"].map(code_map["province_code"])),
            "year": o["period"].astype(int),
            "industry_grain": np.where(is_sector, "sector", "section"),
            "industry_code": o["industry_code"].where(
                is_sector, o["industry_code"].map(industry["section_code"])
            ),
            "whole": delivered_level != "division",  # a 门类 letter or a sector; a 大类 adds to its 门类
            **{f: o[f] for f in FIGURES},
        }
    )
    city_or_province = prefecture.notna() | (
        o["region_code"].map(code_map["current_region_level"]) == "province"
    )
    annual = annual[city_or_province & (delivered_level.notna() | is_sector)]
    key = ["region_level", "region_code", "year", "industry_grain", "industry_code"]
    # the industry's own row when it was reported, else the sum of its 大类
    annual = annual[annual["whole"] | ~annual.groupby(key)["whole"].transform("any")]
    grouped = annual.groupby(key)
    reported = (
        grouped[FIGURES]
        .sum(min_count=1)
        .assign(divisions_reported=grouped["whole"].size() - grouped["whole"].sum())
        .reset_index()
    )
    cities = reported[reported["region_level"] == "prefecture"]
    provinces = cities.assign(
        region_level="province",
        region_code=cities["region_code"].map(ref["dim_region"].set_index("region_code")["province_code"]),
    )
    by_province = provinces[provinces["region_code"].notna()].groupby(key)
    complete = by_province[FIGURES].count().eq(by_province.size(), axis=0)  # a partial sum would understate
    summed = (
        by_province[FIGURES]
        .sum()
        .where(complete)
        .assign(
            divisions_reported=by_province["divisions_reported"].sum(), cities_reported=by_province.size()
        )
        .reset_index()
    )
    delivered = reported[reported["region_level"] == "province"].assign(cities_reported=0)
    at = ["region_code", "year", "industry_code"]
    from_cities = ~pd.MultiIndex.from_frame(summed[at]).isin(pd.MultiIndex.from_frame(delivered[at]))
    regions = pd.concat([cities, delivered, summed[from_cities]], ignore_index=True)
    regions["output_100m_cny"] = regions["output_value_100m_cny"].fillna(regions["value_added_100m_cny"])
    regions["output_measure"] = (
        pd.Series(None, index=regions.index, dtype="object")
        .mask(regions["value_added_100m_cny"].notna(), "value_added")
        .mask(regions["output_value_100m_cny"].notna(), "gross_output")
    )
    grain = ["region_level", "region_code", "year", "industry_grain"]
    for figure, share, window in (
        ("output_100m_cny", "output_share", [*grain, "output_measure"]),
        ("value_added_100m_cny", "value_added_share", grain),
        ("employment_10k", "employment_share", grain),
    ):
        regions[share] = rate(regions[figure], regions.groupby(window, dropna=False)[figure].transform("sum"))
    regions = names(regions, ref["dim_region"], "region_code", {"region_name": "region_name"})
    is_section = regions["industry_grain"] == "section"
    regions["industry_name"] = (
        regions["industry_code"]
        .map(industry["industry_name"])
        .where(is_section, regions["industry_code"].map(sector_names))
    )
    regions["sector_code"] = (
        regions["industry_code"].map(section_sectors()).where(is_section, regions["industry_code"])
    )
    return regions


# ---------------------------------------------------------------------------------------------- run


def marts(raw_dir: Path, build_db: Path) -> dict[str, pd.DataFrame]:
    ref = read_references(build_db)
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    g = graduates(raw_dir, ref)
    v = vacancies(raw_dir, ref)
    e = enrolment(raw_dir)
    services, courses = whole_feed(raw_dir, "technical_services"), whole_feed(raw_dir, "training")
    a = activity(services, courses)
    structure = industry_structure(whole_feed(raw_dir, "industry_output"), ref)
    unmapped = str(variables["unmapped_code"])
    d = vacancy_demand(v, raw_dir, ref)
    industries = industry_counts(g, d, ref, unmapped)
    match = talent_match(industries, ref, unmapped)
    occupation = talent_match_occupation(g, d, ref, unmapped)
    return {
        "mart_talent_match": match,
        "mart_talent_match_occupation": occupation,
        "mart_shortage_industries": shortage_list(match, "industry", variables),
        "mart_shortage_occupations": shortage_list(occupation, "occupation", variables),
        "mart_talent_outflow": talent_outflow(g, ref),
        "mart_graduate_flows": graduate_flows(g, ref),
        "mart_region_attraction": region_attraction(g, ref),
        "mart_school_scorecard": with_activity(
            school_scorecard(g, e, ref), a, {"school_code": "school_code", "year": "grad_year"}
        ),
        "mart_partner_scorecard": with_activity(
            partner_scorecard(g, v),
            a[a["enterprise_id"].notna()],
            {"enterprise_id": "enterprise_id", "year": "year"},
        ),
        "mart_partnership_contribution": partnership_contribution(g, a, variables),
        "mart_structure_alignment": structure_alignment(e, structure, ref, variables),
        "mart_industry_structure": structure,
        "mart_major_warning": major_warning(g, industries, ref, variables),
        "mart_new_major_candidates": new_major_candidates(industries, ref, variables),
        "mart_enterprise_demand": enterprise_demand(v, ref),
        "mart_technical_services": technical_services(services, e, ref),
        "mart_training_resources": training_resources(courses, e, ref),
    }


def main(argv: list[str]) -> int:
    raw_dir, build_db, out_dir = Path(argv[0]), Path(argv[1]), Path(argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in marts(raw_dir, build_db).items():
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
        print(name, len(frame))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
