{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key='posting_id', on_schema_change='fail',
          post_hook="{{ delete_superseded_rows(source('raw', 'vacancies')) }}") }}
-- 企业岗位需求: one row per posting; latest delivery wins (a corrected file replaces its earlier version).
select
    cast(posting_id as varchar)                as posting_id,
    cast(enterprise_id as varchar)             as enterprise_id,
    cast(enterprise_name as varchar)           as enterprise_name,
    cast(region_code as varchar)               as region_code,
    cast(industry_code as varchar)             as industry_code,
    cast(occupation_code as varchar)           as occupation_code,
    cast(required_major_codes as varchar[])    as required_major_codes,
    cast(required_level as varchar)            as required_level,
    cast(headcount as bigint)                  as headcount,
    cast(salary_min_cny as double)             as salary_min_cny,
    cast(salary_max_cny as double)             as salary_max_cny,
    cast(posted_date as date)                  as posted_date,
    cast(closed_date as date)                  as closed_date,
    cast(source as varchar)                    as source,
    cast(period as varchar)                    as period,
    cast(source_file as varchar)               as source_file,
    cast(source_row as bigint)                 as source_row,
    cast(file_sha256 as varchar)               as file_sha256,
    ingested_at
from ({{ latest_row_per_key(source('raw', 'vacancies'), ['posting_id']) }}) as delivered
