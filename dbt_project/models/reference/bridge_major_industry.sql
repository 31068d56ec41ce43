-- 专业类 (高职 code; other levels map through higher_major_category_code) → GB/T 4754 大类, with weights.
select
    major_category_code as higher_major_category_code,
    industry_code,
    weight,
    mapping_version,
    weighting_rule
from {{ ref('bridge_major_category_industry') }}
where mapping_version = '{{ var("bridge_version") }}'
