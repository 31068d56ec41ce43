-- 专业类 (高职 code; other levels map through higher_major_category_code) → 大典 2022 中类, with weights.
select
    major_category_code as higher_major_category_code,
    occupation_code,
    weight,
    mapping_version,
    weighting_rule
from {{ ref('bridge_major_category_occupation') }}
where mapping_version = '{{ var("bridge_version") }}'
