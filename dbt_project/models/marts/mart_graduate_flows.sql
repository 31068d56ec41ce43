-- 毕业生流动矩阵: graduation year × origin (生源地) × school city × employer, with the kind of move. Origins and
-- employers in a province where the schools are (the home provinces) are prefecture-level cities; elsewhere,
-- their province (the published grain: city-to-city paths across the country single out graduates,
-- docs/disclosure.md). The kind of move is decided at city grain first. One row per distinct path; graduates not
-- employed have no employer region.
with graduate_paths as (
    {{ graduates_of_school_cities([
        'grad_year',
        'origin_prefecture_code',
        'origin_province_code',
        'school_prefecture_code',
        'school_province_code',
        'case when is_employed then employer_prefecture_code end as employer_prefecture_code',
        'case when is_employed then employer_province_code end as employer_province_code',
        'is_employed',
    ]) }}
),

classified_paths as (
    select
        *,
        case
            when not is_employed then 'not_employed'
            when employer_prefecture_code is null then 'employer_region_unknown'
            when employer_prefecture_code = school_prefecture_code then 'stayed_in_school_city'
            when employer_prefecture_code = origin_prefecture_code then 'returned_to_origin'
            when employer_province_code = school_province_code then 'moved_within_province'
            else 'left_province'
        end as flow_type
    from graduate_paths
),

home_provinces as (
    select distinct school_province_code as province_code
    from graduate_paths
),

located_paths as (
    select
        *,
        {{ flow_region_level('origin') }} as origin_region_level,
        {{ flow_region_level('employer') }} as employer_region_level
    from classified_paths
),

published_grain as (
    select
        grad_year,
        school_prefecture_code,
        school_province_code,
        origin_province_code,
        employer_province_code,
        flow_type,
        graduates,
        origin_region_level,
        employer_region_level,
        {{ flow_region_code('origin') }} as origin_region_code,
        {{ flow_region_code('employer') }} as employer_region_code
    from located_paths
),

published as (
    select
        paths.grad_year,
        paths.origin_region_level,
        paths.origin_region_code,
        origin_region.region_name as origin_region_name,
        paths.origin_province_code,
        paths.school_prefecture_code as school_region_code,
        school_region.region_name as school_region_name,
        paths.school_province_code,
        paths.employer_region_level,
        paths.employer_region_code,
        employer_region.region_name as employer_region_name,
        paths.employer_province_code,
        paths.flow_type,
        sum(paths.graduates) as graduates
    from published_grain as paths
    left join {{ ref('dim_region') }} as origin_region on paths.origin_region_code = origin_region.region_code
    left join {{ ref('dim_region') }} as school_region on paths.school_prefecture_code = school_region.region_code
    left join {{ ref('dim_region') }} as employer_region on paths.employer_region_code = employer_region.region_code
    group by all
)

select {{ contract_columns('published') }}
from published
