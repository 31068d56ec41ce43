-- 人才流向: school's prefecture-level region × major × graduation year.
-- Denominator of every rate: employed graduates (毕业去向 employed_contract, employed_flexible, self_employed).
with g as (
    select
        school_prefecture_code as region_code,
        school_province_code,
        major_code,
        grad_year,
        is_employed,
        employer_prefecture_code,
        employer_province_code
    from {{ ref('int_graduates') }}
    where school_prefecture_code is not null
),
counts as (
    select
        region_code, major_code, grad_year,
        count(*)                                                                  as graduates,
        count(*) filter (where is_employed)                                       as employed,
        count(*) filter (where is_employed and employer_prefecture_code = region_code) as employed_in_school_city,
        count(*) filter (where is_employed and employer_province_code = school_province_code)
                                                                                  as employed_in_school_province,
        count(*) filter (where is_employed and employer_province_code <> school_province_code)
                                                                                  as employed_outside_province,
        count(*) filter (where is_employed and employer_province_code is null)    as employed_region_unknown
    from g
    group by all
)
select
    cast(c.region_code as varchar)                                      as region_code,
    cast(r.region_name as varchar)                                      as region_name,
    cast(c.major_code as varchar)                                       as major_code,
    cast(m.major_name as varchar)                                       as major_name,
    cast(c.grad_year as integer)                                        as grad_year,
    cast(c.graduates as bigint)                                         as graduates,
    cast(c.employed as bigint)                                          as employed,
    cast(c.employed_in_school_city as bigint)                           as employed_in_school_city,
    cast(c.employed_in_school_province as bigint)                       as employed_in_school_province,
    cast(c.employed_outside_province as bigint)                         as employed_outside_province,
    cast(c.employed_region_unknown as bigint)                           as employed_region_unknown,
    cast({{ safe_divide('c.employed_in_school_city', 'c.employed') }} as double)     as city_retention_rate,
    cast({{ safe_divide('c.employed_in_school_province', 'c.employed') }} as double) as retention_rate,
    cast({{ safe_divide('c.employed_outside_province', 'c.employed') }} as double)   as outflow_rate,
    cast({{ safe_divide('c.employed_region_unknown', 'c.employed') }} as double)     as region_unknown_rate,
    cast('employed graduates' as varchar)                               as rate_denominator
from counts c
left join {{ ref('dim_region') }} r on r.region_code = c.region_code
left join {{ ref('dim_major') }} m  on m.major_code = c.major_code
