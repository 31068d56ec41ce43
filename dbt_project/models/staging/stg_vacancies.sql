{{ large_feed_config('vacancies', 'posting_id') }}
-- 企业岗位需求: one row per posting; latest delivery wins (a corrected file replaces its earlier version).
select
    cast(posting_id as string) as posting_id,
    cast(enterprise_id as string) as enterprise_id,
    cast(enterprise_name as string) as enterprise_name,
    cast(region_code as string) as region_code,
    cast(industry_code as string) as industry_code,
    cast(occupation_code as string) as occupation_code,
    cast(required_major_codes as {{ type_string_array() }}) as required_major_codes,
    cast(required_level as string) as required_level,
    cast(headcount as bigint) as headcount,
    cast(salary_min_cny as double) as salary_min_cny,
    cast(salary_max_cny as double) as salary_max_cny,
    cast(posted_date as date) as posted_date,
    cast(closed_date as date) as closed_date,
    cast(source as string) as source,
    cast(period as string) as period,
    {{ provenance_columns() }}
from ({{ latest_row_per_key(source('raw', 'vacancies'), ['posting_id']) }}) as delivered
