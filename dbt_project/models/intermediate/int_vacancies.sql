-- A view: a one-to-one projection of stg_vacancies with a lookup, read by three models that each need a few
-- columns. Materialising its tens of millions of rows cost more (33 s at scale L) than the lookups it saves.
{{ config(materialized='view') }}
-- One row per posting with the workplace resolved to today's codes (prefecture, province)
-- and the industry at 大类 level.
select
    v.posting_id,
    v.enterprise_id,
    {{ region_columns('workplace') }},
    {{ activity_codes('v.industry_code', 'v.occupation_code') }},
    v.enterprise_name,
    v.required_major_codes,
    v.required_level,
    v.headcount,
    v.salary_min_cny,
    v.salary_max_cny,
    v.posted_date,
    {{ posted_year('v.posted_date') }} as posted_year,
    v.closed_date,
    v.source
from {{ ref('stg_vacancies') }} as v
{{ join_region('v.region_code', 'workplace') }}
