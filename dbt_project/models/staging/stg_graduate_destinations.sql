{{ config(materialized=large_staging_materialization(), incremental_strategy='delete+insert',
          unique_key=['graduate_id', 'survey_date'], on_schema_change='fail',
          post_hook="{{ delete_superseded_rows(source('raw', 'graduate_destinations')) }}") }}
-- 毕业去向: one row per graduate and survey date (graduate_id is already pseudonymised); latest delivery wins (a
-- corrected file replaces its earlier version). int_graduates keeps each graduate's latest record and the
-- placement of each survey round.
select
    cast(graduate_id as string) as graduate_id,
    cast(grad_year as integer) as grad_year,
    cast(school_code as string) as school_code,
    cast(school_region_code as string) as school_region_code,
    cast(major_code as string) as major_code,
    cast(level as string) as level,
    cast(origin_region_code as string) as origin_region_code,
    cast(destination_type as string) as destination_type,
    cast(employer_region_code as string) as employer_region_code,
    cast(employer_industry_code as string) as employer_industry_code,
    cast(occupation_code as string) as occupation_code,
    cast(employer_is_partner as boolean) as employer_is_partner,
    cast(employer_enterprise_id as string) as employer_enterprise_id,
    cast(order_class as boolean) as order_class,
    cast(apprenticeship as boolean) as apprenticeship,
    cast(monthly_salary_cny as double) as monthly_salary_cny,
    cast(major_related as boolean) as major_related,
    cast(survey_date as date) as survey_date,
    cast(period as string) as period,
    cast(source_file as string) as source_file,
    cast(source_row as bigint) as source_row,
    cast(file_sha256 as string) as file_sha256,
    ingested_at
from ({{ latest_row_per_key(source('raw', 'graduate_destinations'), ['graduate_id', 'survey_date']) }}) as delivered
