"""The sample's technical services (横向项目) and social training (社会培训), by the sample's schools.

Each school serves its partner enterprises in the industries its majors feed (the major→industry bridge), in
its own city; a few projects and courses a year, their value and size drawn from skewed distributions as
real project lists are. One school's list comes as a clerk would type it: Chinese headers and Chinese
service types.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ingestion.vocabulary import labelled_values

if TYPE_CHECKING:
    from devtools.sample import World

# Mean projects and courses per school and year.
PROJECTS_PER_SCHOOL = 6
COURSES_PER_SCHOOL = 8


def _day(rng: np.random.Generator, year: int) -> date:
    return date.fromordinal(date(year, 1, 1).toordinal() + int(rng.integers(0, 330)))


def _industries(world: World, majors: list[str]) -> list[str]:
    industries = sorted({i for m in majors for i in world.industries_of_major.get(m, [])})
    return industries or ["36"]


def technical_services(world: World, years: tuple[int, ...], rng: np.random.Generator) -> pl.DataFrame:
    types = [v.value for v in labelled_values("service_types")]
    rows = []
    for school in world.schools:
        industries = _industries(world, school["majors"])
        counties = world.counties_by_city[school["city"]]
        for year in years:
            for k in range(int(rng.poisson(PROJECTS_PER_SCHOOL))):
                start = _day(rng, year)
                months = int(rng.integers(3, 25))
                end = date.fromordinal(start.toordinal() + 30 * months)
                status = (
                    "ongoing"
                    if end > date(years[-1], 12, 31)
                    else rng.choice(["completed"] * 9 + ["terminated"])
                )
                rows.append(
                    {
                        "project_id": f"TS{school['school_code'][-5:]}{year}{k:03d}",
                        "school_code": school["school_code"],
                        "enterprise_id": str(rng.choice(school["partners"])),
                        "enterprise_name": None,
                        "region_code": str(rng.choice(counties)),
                        "industry_code": str(rng.choice(industries)),
                        "service_type": str(rng.choice(types, p=[0.25, 0.25, 0.2, 0.15, 0.1, 0.05])),
                        "contract_value_10k_cny": round(float(rng.lognormal(np.log(15), 1.0)), 2),
                        "start_date": start,
                        "end_date": end,
                        "status": str(status),
                    }
                )
    frame = pl.DataFrame(rows, schema_overrides={"enterprise_name": pl.Utf8})
    return frame.with_columns(
        ("样例企业" + pl.col("enterprise_id").str.slice(3) + "有限公司").alias("enterprise_name")
    )


def training(world: World, years: tuple[int, ...], rng: np.random.Generator) -> pl.DataFrame:
    types = [v.value for v in labelled_values("training_types")]
    rows = []
    for school in world.schools:
        industries = _industries(world, school["majors"])
        counties = world.counties_by_city[school["city"]]
        for year in years:
            for k in range(int(rng.poisson(COURSES_PER_SCHOOL))):
                kind = str(rng.choice(types, p=[0.5, 0.2, 0.25, 0.05]))
                trainees = int(rng.integers(15, 200))
                start = _day(rng, year)
                occupation = str(rng.choice(world.occupations_of_division[str(rng.choice(industries))]))
                rows.append(
                    {
                        "course_id": f"TR{school['school_code'][-5:]}{year}{k:03d}",
                        "course_name": f"{occupation} 技能培训班",
                        "school_code": school["school_code"],
                        "training_type": kind,
                        "enterprise_id": None if kind == "other" else str(rng.choice(school["partners"])),
                        "occupation_code": occupation,
                        "region_code": str(rng.choice(counties)),
                        "trainees": trainees,
                        "training_hours": float(rng.choice([16, 24, 40, 80, 120])),
                        "certificates_awarded": int(rng.binomial(trainees, 0.6)),
                        "start_date": start,
                        "end_date": date.fromordinal(start.toordinal() + int(rng.integers(2, 60))),
                    }
                )
    return pl.DataFrame(rows, schema_overrides={"enterprise_id": pl.Utf8})
