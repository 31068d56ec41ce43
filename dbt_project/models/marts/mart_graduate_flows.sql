-- 毕业生流动矩阵: graduation year × origin (生源地) × school × employer, at prefecture-level cities, with the
-- kind of move. One row per distinct path; graduates not employed have no employer region.
with graduate_paths as (
    select
        grad_year,
        origin_prefecture_code,
        origin_province_code,
        school_prefecture_code,
        school_province_code,
        case when is_employed then employer_prefecture_code end as employer_prefecture_code,
        case when is_employed then employer_province_code end as employer_province_code,
        is_employed,
        graduates
    from {{ ref('int_graduates') }}
    where school_prefecture_code is not null and graduates > 0
)

select
    cast(paths.grad_year as integer) as grad_year,
    cast(paths.origin_prefecture_code as string) as origin_region_code,
    cast(origin_region.region_name as string) as origin_region_name,
    cast(paths.origin_province_code as string) as origin_province_code,
    cast(paths.school_prefecture_code as string) as school_region_code,
    cast(school_region.region_name as string) as school_region_name,
    cast(paths.school_province_code as string) as school_province_code,
    cast(paths.employer_prefecture_code as string) as employer_region_code,
    cast(employer_region.region_name as string) as employer_region_name,
    cast(paths.employer_province_code as string) as employer_province_code,
    cast(case
        when not paths.is_employed then 'not_employed'
        when paths.employer_prefecture_code is null then 'employer_region_unknown'
        when paths.employer_prefecture_code = paths.school_prefecture_code then 'stayed_in_school_city'
        when paths.employer_prefecture_code = paths.origin_prefecture_code then 'returned_to_origin'
        when paths.employer_province_code = paths.school_province_code then 'moved_within_province'
        else 'left_province'
    end as string) as flow_type,
    cast(sum(paths.graduates) as bigint) as graduates,
    {{ suppressed_columns() }}
from graduate_paths as paths
left join {{ ref('dim_region') }} as origin_region on paths.origin_prefecture_code = origin_region.region_code
left join {{ ref('dim_region') }} as school_region on paths.school_prefecture_code = school_region.region_code
left join {{ ref('dim_region') }} as employer_region on paths.employer_prefecture_code = employer_region.region_code
group by all
