-- 人才流向: school's region (prefecture-level city, and province roll-up) × major × graduation year.
-- Denominator of the retention/outflow rates: employed graduates (each graduate's latest record); of the
-- placement rates: the graduates surveyed in that round (初次 / 年终, macro survey_round), never pooled.
with graduates_by_school_region as (
    select
        school_prefecture_code,
        school_province_code,
        major_code,
        grad_year,
        is_employed,
        graduates,
        graduates_initial_survey,
        placed_initial,
        graduates_year_end_survey,
        placed_year_end,
        employer_prefecture_code = school_prefecture_code as in_city,
        employer_province_code = school_province_code as in_province,
        employer_province_code <> school_province_code as outside_province,
        employer_province_code is null as region_unknown
    from {{ ref('int_graduates') }}
    where school_prefecture_code is not null
),

counts as (
    select
        {{ rollup_level('school_prefecture_code', "'prefecture'", "'province'") }} as region_level,
        {{ rollup_code('school_prefecture_code', 'school_province_code') }} as region_code,
        major_code,
        grad_year,
        sum(graduates) as graduates,
        {{ placement_round_counts() }},
        {{ graduates_where('is_employed') }} as employed,
        -- at province level "the school's city" is any city of the province
        case
            when grouping(school_prefecture_code) = 0
                then {{ graduates_where('is_employed and in_city') }}
            else {{ graduates_where('is_employed and in_province') }}
        end as employed_in_school_city,
        {{ graduates_where('is_employed and in_province') }} as employed_in_school_province,
        {{ graduates_where('is_employed and outside_province') }} as employed_outside_province,
        {{ graduates_where('is_employed and region_unknown') }} as employed_region_unknown
    from graduates_by_school_region
    -- two grouping sets: (prefecture, province, major, year) and (province, major, year)
    group by school_province_code, major_code, grad_year, rollup(school_prefecture_code)
)

select
    cast(c.region_level as string) as region_level,
    cast(c.region_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(c.major_code as string) as major_code,
    cast(m.major_name as string) as major_name,
    cast(c.grad_year as integer) as grad_year,
    cast(c.graduates as bigint) as graduates,
    {{ placement_round_columns('c') }},
    cast(c.employed as bigint) as employed,
    cast(c.employed_in_school_city as bigint) as employed_in_school_city,
    cast(c.employed_in_school_province as bigint) as employed_in_school_province,
    cast(c.employed_outside_province as bigint) as employed_outside_province,
    cast(c.employed_region_unknown as bigint) as employed_region_unknown,
    cast({{ safe_divide('c.employed_in_school_city', 'c.employed') }} as double) as city_retention_rate,
    cast({{ safe_divide('c.employed_in_school_province', 'c.employed') }} as double) as province_retention_rate,
    cast({{ safe_divide('c.employed_outside_province', 'c.employed') }} as double) as outflow_rate,
    cast({{ safe_divide('c.employed_region_unknown', 'c.employed') }} as double) as region_unknown_rate,
    cast('employed graduates' as string) as rate_denominator,
    {{ suppressed_columns() }}
from counts as c
left join {{ ref('dim_region') }} as r on c.region_code = r.region_code
left join {{ ref('dim_major') }} as m on c.major_code = m.major_code
