-- 毕业生流动矩阵: graduation year × origin (生源地) × school × employer, at prefecture-level cities, with the
-- kind of move. One row per distinct path; graduates not employed have no employer region.
with g as (
    select
        grad_year,
        origin_prefecture_code, origin_province_code,
        school_prefecture_code, school_province_code,
        case when is_employed then employer_prefecture_code end as employer_prefecture_code,
        case when is_employed then employer_province_code end   as employer_province_code,
        is_employed
    from {{ ref('int_graduates') }}
    where school_prefecture_code is not null
)
select
    cast(grad_year as integer)                              as grad_year,
    cast(origin_prefecture_code as string)                 as origin_region_code,
    cast(ro.region_name as string)                         as origin_region_name,
    cast(origin_province_code as string)                   as origin_province_code,
    cast(school_prefecture_code as string)                 as school_region_code,
    cast(rs.region_name as string)                         as school_region_name,
    cast(school_province_code as string)                   as school_province_code,
    cast(employer_prefecture_code as string)               as employer_region_code,
    cast(re.region_name as string)                         as employer_region_name,
    cast(employer_province_code as string)                 as employer_province_code,
    cast(case
        when not is_employed                                      then 'not_employed'
        when employer_prefecture_code is null                     then 'employer_region_unknown'
        when employer_prefecture_code = school_prefecture_code    then 'stayed_in_school_city'
        when employer_prefecture_code = origin_prefecture_code    then 'returned_to_origin'
        when employer_province_code = school_province_code        then 'moved_within_province'
        else 'left_province'
    end as string)                                         as flow_type,
    cast(count(*) as bigint)                                as graduates,
    {{ suppressed_columns() }}
from g
left join {{ ref('dim_region') }} ro on ro.region_code = g.origin_prefecture_code
left join {{ ref('dim_region') }} rs on rs.region_code = g.school_prefecture_code
left join {{ ref('dim_region') }} re on re.region_code = g.employer_prefecture_code
group by all
