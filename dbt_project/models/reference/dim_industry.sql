-- GB/T 4754-2017 industries, all four levels.
select
    industry_code,
    industry_name,
    industry_level,
    parent_industry_code,
    section_code,
    section_name,
    division_code,
    classification_version
from {{ ref('ref_industry') }}
