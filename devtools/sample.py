"""A seeded, deterministic generator of every feed, with real codes and structure worth finding.

Structure built in (so that the marts have something to show):
- growing industries (new-energy vehicles, electronics, software, logistics, health) post more
  vacancies every year; declining ones (textiles, mining, real estate) post fewer;
- some majors are oversupplied (accounting, e-commerce, preschool education) and some short
  (integrated circuits, new-energy vehicles, industrial software);
- about a third of employed graduates leave the province, and graduates from other provinces
  often go back to their origin region (回生源地);
- partner enterprises (校企合作) hire a larger share of their own schools' graduates, locally.

The same ``seed`` and scale always give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import xlsxwriter

from devtools import sample_partnerships
from ingestion.contracts import FEEDS
from ingestion.vocabulary import DESTINATION_TYPES, EMPLOYED_DESTINATIONS, labelled_values

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "reference"
PROVINCE = "32"  # 江苏省: 13 prefecture-level cities
NEIGHBOURS = ("31", "33", "34", "37", "41")  # where leavers mostly go: 上海, 浙江, 安徽, 山东, 河南

GROWING = {"36": 0.18, "39": 0.14, "38": 0.12, "65": 0.15, "64": 0.10, "84": 0.08, "59": 0.08, "44": 0.06}
DECLINING = {"17": -0.10, "18": -0.08, "06": -0.12, "31": -0.05, "70": -0.12, "47": -0.06}
MAJOR_POPULARITY = {  # relative size of each major's cohort; default 1.0
    "530302": 4.0,
    "530701": 3.0,
    "570102": 3.0,
    "520201": 2.5,
    "510201": 2.0,
    "540101": 1.5,
    "510401": 0.3,
    "460702": 0.6,
    "510209": 0.5,
    "460301": 1.2,
}
DESTINATION_P = (0.55, 0.12, 0.03, 0.15, 0.02, 0.10, 0.03)  # in DESTINATION_TYPES order
VACANCY_SOURCES_P = {
    "enterprise_survey": 0.35,
    "job_board": 0.45,
    "public_employment_service": 0.15,
    "school_fair": 0.05,
}


@dataclass(frozen=True)
class Scale:
    name: str
    n_cities: int
    n_schools: int
    graduates_per_year: int
    vacancies_total: int
    grad_years: tuple[int, ...] = (2022, 2023, 2024)
    enrolment_years: tuple[int, ...] = (2021, 2022, 2023, 2024)
    dirty_share: float = 0.0  # share of vacancy rows given a realistic defect (to be quarantined)


SCALES: dict[str, Scale] = {
    "small": Scale("small", n_cities=3, n_schools=8, graduates_per_year=600, vacancies_total=3_000),
    "demo": Scale(
        "demo",
        n_cities=13,
        n_schools=150,
        graduates_per_year=100_000,
        vacancies_total=500_000,
        dirty_share=0.001,
    ),
}


def _load_reference() -> dict[str, pl.DataFrame]:
    def read(n: str) -> pl.DataFrame:
        return pl.read_csv(SEEDS_DIR / f"{n}.csv", infer_schema=False)

    return {
        n: read(n)
        for n in (
            "ref_region",
            "ref_industry",
            "ref_occupation",
            "major_higher",
            "bridge_major_category_industry",
        )
    }


def _weights(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array / array.sum()


class World:
    """Cities, schools, majors and industries shared by all the feeds."""

    def __init__(self, scale: Scale, rng: np.random.Generator) -> None:
        ref = _load_reference()
        regions = ref["ref_region"]
        cities = regions.filter(
            (pl.col("province_code") == PROVINCE + "0000") & (pl.col("region_level") == "prefecture")
        ).sort("region_code")
        self.cities = cities["region_code"].to_list()[: scale.n_cities]
        counties = regions.filter(
            pl.col("prefecture_code").is_in(self.cities) & (pl.col("region_level") == "county")
        )
        self.counties_by_city = {
            c: counties.filter(pl.col("prefecture_code") == c)["region_code"].to_list() for c in self.cities
        }
        self.city_weight = _weights([3.0 if i == 0 else 1.0 + (i % 3) * 0.4 for i in range(len(self.cities))])
        elsewhere = regions.filter(
            (pl.col("region_level") == "county") & (pl.col("province_code").str.slice(0, 2) != PROVINCE)
        )
        self.neighbour_counties = elsewhere.filter(pl.col("province_code").str.slice(0, 2).is_in(NEIGHBOURS))[
            "region_code"
        ].to_list()
        self.other_counties = elsewhere["region_code"].to_list()

        majors = ref["major_higher"]
        bridge = ref["bridge_major_category_industry"]
        self.majors = majors["major_code"].to_list()
        self.major_weight = _weights([MAJOR_POPULARITY.get(m, 1.0) for m in self.majors])
        cat_of = dict(zip(majors["major_code"], majors["major_category_code"], strict=True))
        inds_of_cat: dict[str, list[str]] = {}
        for cat, ind in bridge.select("major_category_code", "industry_code").iter_rows():
            inds_of_cat.setdefault(cat, []).append(ind)
        self.industries_of_major = {m: inds_of_cat[cat_of[m]] for m in self.majors}
        self.majors_of_industry: dict[str, list[str]] = {}
        for m, inds in self.industries_of_major.items():
            for i in inds:
                self.majors_of_industry.setdefault(i, []).append(m)
        divisions = ref["ref_industry"].filter(pl.col("industry_level") == "division")
        self.divisions = divisions["industry_code"].to_list()
        self.classes_of_division = {
            d: ref["ref_industry"]
            .filter((pl.col("division_code") == d) & (pl.col("industry_level") == "class"))["industry_code"]
            .to_list()
            for d in self.divisions
        }
        # Divisions that employ graduates of vocational schools: the bridged ones, plus a background.
        base = np.array([4.0 if d in self.majors_of_industry else 0.3 for d in self.divisions])
        self.division_base = base
        units = ref["ref_occupation"].filter(pl.col("occupation_level") == "unit")["occupation_code"]
        pool = [u for u in units.to_list() if u[0] in "2346"]
        self.occupations_of_division = {
            d: [pool[int(h) % len(pool)] for h in np.random.default_rng(int(d)).integers(0, 10**9, 4)]
            for d in self.divisions
        }

        self.n_enterprises = max(20, scale.vacancies_total // 25)
        n = scale.n_schools
        school_city = rng.choice(len(self.cities), size=n, p=self.city_weight)
        self.schools: list[dict[str, Any]] = []
        for school_no in range(n):
            city = self.cities[school_city[school_no]]
            county = self.counties_by_city[city][school_no % len(self.counties_by_city[city])]
            k = int(rng.integers(5, 16))
            offered = rng.choice(len(self.majors), size=k, replace=False, p=self.major_weight)
            self.schools.append(
                {
                    "school_code": f"41{PROVINCE}0{school_no + 1:05d}",
                    "school_name": f"{regions.filter(pl.col('region_code') == city)['region_name'][0]}"
                    f"第{school_no + 1}职业技术学院",
                    "school_region_code": county,
                    "city": city,
                    "majors": [self.majors[j] for j in offered],
                    "partners": [
                        f"E{e:07d}"
                        for e in rng.choice(self.n_enterprises, size=int(rng.integers(3, 9)), replace=False)
                    ],
                }
            )

    def growth(self, division: str, year: int, base_year: int = 2022) -> float:
        rate = GROWING.get(division, DECLINING.get(division, 0.02))
        return float((1.0 + rate) ** (year - base_year))


def _level_code(major_code: str, level: str) -> str:
    """The same 专业 at another level: 中职 codes are +20 on the 大类, 职业本科 −20."""
    offset = {"secondary": 20, "higher": 0, "bachelor": -20}[level]
    return f"{int(major_code[:2]) + offset:02d}{major_code[2:]}"


def _graduates(world: World, scale: Scale, rng: np.random.Generator, year: int) -> pl.DataFrame:
    rows_school: list[int] = []
    rows_major: list[str] = []
    rows_level: list[str] = []
    sizes = []
    for i_school, school in enumerate(world.schools):
        for m in school["majors"]:
            rows_school.append(i_school)
            rows_major.append(m)
            rows_level.append(
                "higher" if (i_school + len(m)) % 7 else ("secondary" if i_school % 2 else "bachelor")
            )
            sizes.append(MAJOR_POPULARITY.get(m, 1.0))
    cohort = _weights(sizes) * scale.graduates_per_year
    counts = rng.poisson(cohort * (1.0 + 0.04 * (year - 2022)))
    s_idx = np.repeat(np.array(rows_school), counts)
    major = np.repeat(np.array(rows_major), counts)
    level = np.repeat(np.array(rows_level), counts)
    n = len(s_idx)
    school_code = np.array([world.schools[i]["school_code"] for i in range(len(world.schools))])[s_idx]
    school_region = np.array([world.schools[i]["school_region_code"] for i in range(len(world.schools))])[
        s_idx
    ]
    school_city = np.array([world.schools[i]["city"] for i in range(len(world.schools))])[s_idx]

    # origin (生源地): 55% the school's own city, 25% elsewhere in the province, 20% other provinces
    u = rng.random(n)
    all_local = [c for cs in world.counties_by_city.values() for c in cs]
    own_city = np.array([rng.choice(world.counties_by_city[c]) for c in school_city])
    origin = np.where(
        u < 0.55,
        own_city,
        np.where(u < 0.80, rng.choice(all_local, size=n), rng.choice(world.other_counties, size=n)),
    )
    origin_outside = ~np.char.startswith(origin.astype(str), PROVINCE)

    dest = rng.choice(np.array(DESTINATION_TYPES), size=n, p=DESTINATION_P)
    employed = np.isin(dest, EMPLOYED_DESTINATIONS)

    # where the employed go: home (if from outside), the school's city, the province, neighbours
    v = rng.random(n)
    employer_region = np.where(
        origin_outside & (v < 0.40),
        origin,
        np.where(
            v < 0.45,
            own_city,
            np.where(v < 0.68, rng.choice(all_local, size=n), rng.choice(world.neighbour_counties, size=n)),
        ),
    )

    related = rng.random(n) < np.where(np.isin(major, ["510401", "460702", "520201"]), 0.85, 0.62)
    ind_related = np.array([rng.choice(world.industries_of_major[m]) for m in major])
    ind_other = rng.choice(world.divisions, size=n, p=_weights(world.division_base))
    division = np.where(related, ind_related, ind_other)
    major_related = related | np.array(
        [d in world.industries_of_major[m] for d, m in zip(ind_other, major, strict=True)]
    )
    industry = np.array(
        [
            rng.choice(world.classes_of_division[d])
            if world.classes_of_division[d] and rng.random() < 0.5
            else d
            for d in division
        ]
    )
    occupation = np.array([rng.choice(world.occupations_of_division[d]) for d in division])
    local_job = employer_region == own_city
    order_class = rng.random(n) < 0.10
    apprenticeship = ~order_class & (rng.random(n) < 0.05)
    p_partner = np.where(local_job & related, 0.35, 0.06)
    p_partner = np.where(order_class, 0.6, np.where(apprenticeship, 0.5, p_partner))
    partner = rng.random(n) < p_partner
    partners_of = [world.schools[i]["partners"] for i in range(len(world.schools))]
    enterprise = np.where(
        partner,
        np.array([rng.choice(partners_of[i]) for i in s_idx]) if n else np.array([], dtype=str),
        np.where(
            rng.random(n) < 0.7,
            np.char.add("E", np.char.zfill(rng.integers(0, world.n_enterprises, n).astype(str), 7)),
            "",
        ),
    )
    salary = np.round(
        rng.lognormal(np.log(5200), 0.35, n) * np.where(np.isin(division, list(GROWING)), 1.15, 1.0), -1
    )
    survey = np.where(
        rng.random(n) < 0.7,
        np.array(date(year, 8, 31), dtype=object),
        np.array(date(year, 12, 31), dtype=object),
    )

    def when_employed(values: np.ndarray) -> list:
        return [x if e else None for x, e in zip(values.tolist(), employed.tolist(), strict=True)]

    return pl.DataFrame(
        {
            "graduate_id": [f"{sc}{year}{i:06d}" for i, sc in enumerate(school_code.tolist())],
            "grad_year": [year] * n,
            "school_code": school_code.tolist(),
            "school_region_code": school_region.tolist(),
            "major_code": [_level_code(m, lv) for m, lv in zip(major.tolist(), level.tolist(), strict=True)],
            "level": level.tolist(),
            "origin_region_code": origin.tolist(),
            "destination_type": dest.tolist(),
            "employer_region_code": when_employed(employer_region),
            "employer_industry_code": when_employed(industry),
            "occupation_code": when_employed(occupation),
            "employer_is_partner": when_employed(partner),
            "employer_enterprise_id": [e or None for e in when_employed(enterprise)],
            "order_class": order_class.tolist(),
            "apprenticeship": apprenticeship.tolist(),
            "monthly_salary_cny": when_employed(salary),
            "major_related": when_employed(major_related),
            "survey_date": survey.tolist(),
        }
    )


def _vacancies(world: World, scale: Scale, rng: np.random.Generator) -> pl.DataFrame:
    months = [(y, m) for y in scale.grad_years for m in range(1, 13)]
    per_month = scale.vacancies_total / len(months)
    frames = []
    seq = 0
    n_enterprises = world.n_enterprises
    for y, mth in months:
        n = int(rng.poisson(per_month))
        w = world.division_base * np.array([world.growth(d, y) for d in world.divisions])
        # demand for graduates of short majors is deliberately high
        for d in ("39", "36", "65"):
            w[world.divisions.index(d)] *= 2.5
        division = rng.choice(world.divisions, size=n, p=_weights(w))
        city = rng.choice(world.cities, size=n, p=world.city_weight)
        region = np.array([rng.choice(world.counties_by_city[c]) for c in city])
        ent = rng.integers(0, n_enterprises, size=n)
        majors: list[str | None] = []
        for d in division:
            pool = world.majors_of_industry.get(d)
            if pool is None or rng.random() < 0.15:
                majors.append(None)
            else:
                k = min(len(pool), int(rng.integers(1, 3)))
                majors.append(";".join(sorted(rng.choice(pool, size=k, replace=False).tolist())))
        smin = np.round(rng.lognormal(np.log(4800), 0.3, n), -2)
        day = rng.integers(1, 29, size=n)
        posted = [date(y, mth, int(dd)) for dd in day]
        open_days = rng.integers(7, 90, size=n)
        closed = [
            None if r < 0.1 else date.fromordinal(p.toordinal() + int(o))
            for p, o, r in zip(posted, open_days, rng.random(n), strict=True)
        ]
        frames.append(
            pl.DataFrame(
                {
                    "posting_id": [f"V{y}{mth:02d}{seq + i:08d}" for i in range(n)],
                    "enterprise_id": [f"E{e:07d}" for e in ent.tolist()],
                    "enterprise_name": [f"样例企业{e:05d}有限公司" for e in ent.tolist()],
                    "region_code": region.tolist(),
                    "industry_code": division.tolist(),
                    "occupation_code": [rng.choice(world.occupations_of_division[d]) for d in division],
                    "required_major_codes": majors,
                    "required_level": rng.choice(
                        ["secondary", "higher", "bachelor"], size=n, p=[0.3, 0.6, 0.1]
                    ).tolist(),
                    "headcount": (1 + rng.geometric(0.45, size=n)).tolist(),
                    "salary_min_cny": smin.tolist(),
                    "salary_max_cny": (smin + np.round(rng.uniform(500, 4000, n), -2)).tolist(),
                    "posted_date": posted,
                    "closed_date": closed,
                    "source": rng.choice(
                        list(VACANCY_SOURCES_P), size=n, p=list(VACANCY_SOURCES_P.values())
                    ).tolist(),
                },
                schema_overrides={"required_major_codes": pl.Utf8, "closed_date": pl.Date},
            )
        )
        seq += n
    return pl.concat(frames)


def _enrolment(world: World, graduates: pl.DataFrame, scale: Scale, rng: np.random.Generator) -> pl.DataFrame:
    grads = graduates.group_by("grad_year", "school_code", "major_code", "level").len("graduates")
    cells = graduates.select("school_code", "school_region_code", "major_code", "level").unique()
    names = pl.DataFrame(
        {
            "school_code": [s["school_code"] for s in world.schools],
            "school_name": [s["school_name"] for s in world.schools],
        }
    )
    years = pl.DataFrame({"year": list(scale.enrolment_years)})
    df = (
        cells.join(years, how="cross")
        .join(names, on="school_code")
        .join(
            grads.rename({"grad_year": "year"}), on=["year", "school_code", "major_code", "level"], how="left"
        )
        .sort("year", "school_code", "major_code", "level")
    )
    n = df.height
    expected = df["graduates"].fill_null(0).to_numpy()
    expected = np.where(expected == 0, rng.poisson(20, n), expected)
    new = np.maximum(1, np.round(expected * rng.uniform(0.95, 1.2, n))).astype(int)
    total = new * 3
    return df.select(
        "year", "school_code", "school_name", "school_region_code", "level", "major_code"
    ).with_columns(
        pl.Series("new_enrolment", new),
        pl.Series("enrolled_total", total),
        pl.Series("expected_graduates", expected.astype(int)),
        pl.Series("order_class_enrolment", np.round(total * rng.uniform(0, 0.15, n)).astype(int)),
        pl.Series("apprenticeship_enrolment", np.round(total * rng.uniform(0, 0.08, n)).astype(int)),
    )


def _industry_output(world: World, scale: Scale, rng: np.random.Generator) -> pl.DataFrame:
    rows = []
    active = [d for d, b in zip(world.divisions, world.division_base, strict=True) if b > 1]
    for city_i, city in enumerate(world.cities):
        size = 2000 * world.city_weight[city_i] * len(world.cities)
        share = rng.dirichlet(np.ones(len(active)) * 2)
        for year in scale.enrolment_years:
            for d, s in zip(active, share, strict=True):
                out = size * s * world.growth(d, year) * rng.uniform(0.97, 1.03)
                rows.append((str(year), city, d, round(out, 2), round(out * 0.28, 2), round(out * 0.012, 3)))
                if year == scale.enrolment_years[-1]:
                    q = rng.dirichlet(np.ones(4) * 20)
                    for k in range(4):
                        rows.append(
                            (
                                f"{year}Q{k + 1}",
                                city,
                                d,
                                round(out * q[k], 2),
                                round(out * q[k] * 0.28, 2),
                                round(out * 0.012, 3),
                            )
                        )
    return pl.DataFrame(
        rows,
        schema=FEEDS["industry_output"].column_names,
        orient="row",
    )


DEFECTS: tuple[tuple[str, str], ...] = (  # (column, what a spreadsheet did to it)
    ("region_code", "lost a digit"),
    ("headcount", "negative"),
    ("posted_date", "impossible date"),
    ("source", "unknown source"),
)


def _make_dirty(df: pl.DataFrame, share: float, rng: np.random.Generator) -> pl.DataFrame:
    """Give about ``share`` of the rows one defect each (cycled through :data:`DEFECTS`); returns text
    columns."""
    if share <= 0 or df.height == 0:
        return df
    df = df.with_columns(pl.all().cast(pl.Utf8))
    hit = rng.random(df.height) < share
    kind = pl.Series(np.arange(df.height) % len(DEFECTS))
    dirty = pl.Series(hit)
    fixes = {
        "region_code": pl.col("region_code").str.slice(1),
        "headcount": pl.lit("-1"),
        "posted_date": pl.col("posted_date").str.slice(0, 8) + pl.lit("32"),
        "source": pl.lit("wechat_group"),
    }
    return df.with_columns(
        [
            pl.when(dirty & (kind == i)).then(fixes[col]).otherwise(pl.col(col)).alias(col)
            for i, (col, _) in enumerate(DEFECTS)
        ]
    )


def _chinese_headers(df: pl.DataFrame, feed: str) -> pl.DataFrame:
    contract = FEEDS[feed]
    return df.rename({c.name: c.aliases[0] for c in contract.columns if c.name in df.columns})


def generate(out_dir: Path, scale: str | Scale = "small", seed: int = 20261124) -> dict[str, list[Path]]:
    """Write every feed under ``out_dir/<feed>/`` and return the files written."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    rng = np.random.default_rng(seed)
    world = World(sc, rng)
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {f: [] for f in FEEDS}

    def target(feed: str, name: str) -> Path:
        p = out_dir / feed / name
        p.parent.mkdir(parents=True, exist_ok=True)
        written[feed].append(p)
        return p

    graduates = pl.concat([_graduates(world, sc, rng, y) for y in sc.grad_years])
    for (year,), part in graduates.group_by(["grad_year"], maintain_order=True):
        if year == sc.grad_years[0]:  # one year as a school office would send it: GB18030, Chinese headers
            data = _chinese_headers(part, "graduate_destinations").write_csv()
            target("graduate_destinations", f"毕业去向_{year}.csv").write_bytes(data.encode("gb18030"))
        else:
            part.write_parquet(target("graduate_destinations", f"graduates_{year}.parquet"))
    enrol = _enrolment(world, graduates, sc, rng)
    for (year,), part in enrol.group_by(["year"], maintain_order=True):
        part.write_csv(target("enrolment", f"enrolment_{year}.csv"))
    vac = _vacancies(world, sc, rng)
    vac = vac.with_columns(pl.col("posted_date").dt.strftime("%Y-%m").alias("__month"))
    for (month,), part in vac.group_by(["__month"], maintain_order=True):
        part = _make_dirty(part.drop("__month"), sc.dirty_share, rng)
        part.write_csv(target("vacancies", f"{month[:4]}/vacancies_{month}.csv"))
    out = _industry_output(world, sc, rng)
    data = _chinese_headers(out, "industry_output").write_csv()
    target("industry_output", "产业产值_2021_2024.csv").write_bytes(data.encode("gb18030"))
    # the partnership feeds draw from a generator of their own: the four feeds above stay as they were
    partnerships = np.random.default_rng(seed + 1)
    services = sample_partnerships.technical_services(world, sc.grad_years, partnerships)
    # as a consortium office keeps its project list: a workbook, Chinese headers and service types
    labels = {v.value: v.label_zh for v in labelled_values("service_types")}
    services = services.with_columns(pl.col("service_type").replace_strict(labels))
    with xlsxwriter.Workbook(target("technical_services", "技术服务项目.xlsx")) as workbook:
        workbook.set_properties({"created": datetime(2024, 12, 31)})  # the same bytes for the same seed
        _chinese_headers(services, "technical_services").write_excel(workbook, worksheet="项目清单")
    courses = sample_partnerships.training(world, sc.grad_years, partnerships)
    for (year,), part in courses.group_by(pl.col("start_date").dt.year(), maintain_order=True):
        part.write_csv(target("training", f"training_{year}.csv"))
    return written
