from __future__ import annotations

from pathlib import Path

import polars as pl

from devtools.catalogue import load_catalogue, write_catalogue_seed


def test_catalogue_file_is_checked_and_completed(tmp_path: Path) -> None:
    src = tmp_path / "目录.csv"
    pl.DataFrame(
        {
            "专业代码": ["460702", "660702", "260702", "46070", "860101", "510203"],
            "专业名称": [
                "新能源汽车技术",
                "新能源汽车运用与维修",
                "新能源汽车工程技术",
                "坏代码",
                "越界",
                None,
            ],
        }
    ).write_csv(src)
    valid, refused = load_catalogue(src)
    assert valid.rows() == [
        ("260702", "新能源汽车工程技术", "bachelor", "2607"),
        ("460702", "新能源汽车技术", "higher", "4607"),
        ("660702", "新能源汽车运用与维修", "secondary", "6607"),
    ]
    assert dict(refused.iter_rows()) == {
        5: "column major_code: value '46070' does not match ^\\d{6}$",
        6: "column major_code: value '860101' has a 大类 outside 21–39, 41–59 and 61–79",
        7: "column major_name: missing value (expected text)",
    }
    seed = tmp_path / "seed.csv"
    written, _ = write_catalogue_seed(src, seed)
    assert written == 3 and pl.read_csv(seed, infer_schema=False)["major_code"].to_list() == [
        "260702",
        "460702",
        "660702",
    ]
