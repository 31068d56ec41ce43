"""What an analyst would write today: pandas, reading the raw zone's graduate files, computing
``mart_talent_outflow`` (school city and province × major × year: graduates, placed, employed, where the
employed work). Only this mart: the other eight are not written in pandas (see docs/performance.md).

    python -m benchmarks.pandas_baseline RAW_DIR OUT_PARQUET
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from orchestration.settings import DBT_PROJECT_DIR

EMPLOYED = {"employed_contract", "employed_flexible", "self_employed"}
NOT_PLACED = {"not_employed", "not_seeking"}
COUNTS = ["graduates", "placed", "employed", "employed_in_school_city", "employed_in_school_province",
          "employed_outside_province", "employed_region_unknown"]


def outflow(raw_dir: Path) -> pd.DataFrame:
    files = sorted((raw_dir / "graduate_destinations").glob("period=*/part-*.parquet"))
    g = pd.concat([pd.read_parquet(f, columns=["school_region_code", "major_code", "grad_year", "destination_type",
                                               "employer_region_code"]) for f in files], ignore_index=True)
    regions = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "reference" / "ref_region.csv", dtype=str)
    prefecture = dict(zip(regions["region_code"], regions["prefecture_code"], strict=True))
    province = dict(zip(regions["region_code"], regions["province_code"], strict=True))
    g["school_city"] = g["school_region_code"].map(prefecture)
    g["school_province"] = g["school_region_code"].map(province)
    g["employer_city"] = g["employer_region_code"].map(prefecture)
    g["employer_province"] = g["employer_region_code"].map(province)
    g["employed"] = g["destination_type"].isin(EMPLOYED)
    g["placed"] = ~g["destination_type"].isin(NOT_PLACED)
    g["graduates"] = 1
    g["employed_in_school_city"] = g["employed"] & (g["employer_city"] == g["school_city"])
    g["employed_in_school_province"] = g["employed"] & (g["employer_province"] == g["school_province"])
    g["employed_outside_province"] = g["employed"] & g["employer_province"].notna() & (
        g["employer_province"] != g["school_province"])
    g["employed_region_unknown"] = g["employed"] & g["employer_province"].isna()
    city = g.groupby(["school_city", "major_code", "grad_year"])[COUNTS].sum().reset_index()
    city = city.rename(columns={"school_city": "region_code"}).assign(region_level="prefecture")
    prov = g.groupby(["school_province", "major_code", "grad_year"])[COUNTS].sum().reset_index()
    prov = prov.rename(columns={"school_province": "region_code"}).assign(region_level="province")
    prov["employed_in_school_city"] = prov["employed_in_school_province"]  # at province level: any city of it
    out = pd.concat([city, prov], ignore_index=True)
    for rate, num, den in [("placement_rate", "placed", "graduates"),
                           ("retention_rate", "employed_in_school_province", "employed"),
                           ("outflow_rate", "employed_outside_province", "employed")]:
        out[rate] = (out[num] / out[den]).where(out[den] > 0)
    return out


def main(argv: list[str]) -> int:
    raw_dir, target = Path(argv[0]), Path(argv[1])
    out = outflow(raw_dir)
    out.to_parquet(target, index=False)
    print(len(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
