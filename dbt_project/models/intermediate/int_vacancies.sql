-- A view: a one-to-one projection of stg_vacancies with a lookup, read by three models that each need a few
-- columns. Materialising its tens of millions of rows cost more (33 s at scale L) than the lookups it saves.
{{ config(materialized='view') }}
-- One row per posting with the workplace resolved to today's codes (prefecture, province)
-- and the industry at 大类 level.
select
    v.posting_id,
    v.enterprise_id,
    r.current_region_code                 as region_code,
    r.prefecture_code,
    r.province_code,
    substr(v.industry_code, 1, 2)         as industry_division_code,
    v.occupation_code,
    substr(v.occupation_code, 1, 4)       as occupation_sub_major_group_code,
    v.enterprise_name,
    v.required_major_codes,
    v.required_level,
    v.headcount,
    v.salary_min_cny,
    v.salary_max_cny,
    v.posted_date,
    cast(year(v.posted_date) as integer)  as posted_year,
    v.closed_date,
    v.source
from {{ ref('stg_vacancies') }} v
left join {{ ref('dim_region_code_map') }} r on r.region_code = v.region_code
