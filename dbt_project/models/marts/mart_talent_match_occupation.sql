-- 人才供需匹配（职业）: region (prefecture and province roll-up) × occupation (大典 2022 中类, and 大类 roll-up)
-- × year. Supply through the major→occupation bridge; demand from vacancies' occupation_code; employment
-- from graduates' occupation_code.
with supply_base as (
    select g.school_prefecture_code as prefecture_code, g.school_province_code as province_code,
           b.occupation_code as sub_major_group_code, split_part(b.occupation_code, '-', 1) as major_group_code,
           g.grad_year as year, b.weight
    from {{ ref('int_graduates') }} g
    join {{ ref('bridge_major_occupation') }} b on b.higher_major_category_code = g.higher_major_category_code
    where g.school_prefecture_code is not null
),
demand_base as (
    select prefecture_code, province_code, occupation_sub_major_group_code as sub_major_group_code,
           split_part(occupation_code, '-', 1) as major_group_code, posted_year as year,
           vacancy_headcount as headcount
    from {{ ref('int_vacancy_counts') }}
    where occupation_code is not null
),
employment_base as (
    select employer_prefecture_code as prefecture_code, employer_province_code as province_code,
           occupation_sub_major_group_code as sub_major_group_code,
           split_part(occupation_code, '-', 1) as major_group_code, grad_year as year, major_related
    from {{ ref('int_graduates') }}
    where is_employed and employer_prefecture_code is not null and occupation_code is not null
),
supply as (
    select {{ rollup_keys('sub_major_group_code', 'major_group_code', 'sub_major_group', 'major_group', 'occupation') }},
           year, sum({{ exact_weight("weight") }}) as graduates_supplied
    from supply_base
    group by {{ rollup_grouping_sets('prefecture_code', 'province_code', 'sub_major_group_code', 'major_group_code', 'year') }}
),
demand as (
    select {{ rollup_keys('sub_major_group_code', 'major_group_code', 'sub_major_group', 'major_group', 'occupation') }},
           year, sum(headcount) as vacancy_headcount
    from demand_base
    group by {{ rollup_grouping_sets('prefecture_code', 'province_code', 'sub_major_group_code', 'major_group_code', 'year') }}
),
employment as (
    select {{ rollup_keys('sub_major_group_code', 'major_group_code', 'sub_major_group', 'major_group', 'occupation') }},
           year,
           count(*)                                          as graduates_employed_in_occupation,
           count(*) filter (where major_related is not null) as fit_known,
           count(*) filter (where major_related)             as graduates_employed_major_related
    from employment_base
    group by {{ rollup_grouping_sets('prefecture_code', 'province_code', 'sub_major_group_code', 'major_group_code', 'year') }}
),
cells as (
    select region_level, region_code, occupation_level, occupation_code, year from supply
    union
    select region_level, region_code, occupation_level, occupation_code, year from demand
    union
    select region_level, region_code, occupation_level, occupation_code, year from employment
)
select
    cast(c.region_level as string)                                              as region_level,
    cast(c.region_code as string)                                               as region_code,
    cast(r.region_name as string)                                               as region_name,
    cast(c.occupation_level as string)                                          as occupation_level,
    cast(c.occupation_code as string)                                           as occupation_code,
    cast(o.occupation_name as string)                                           as occupation_name,
    cast(c.year as integer)                                                      as year,
    cast(round(coalesce(s.graduates_supplied, 0), 4) as decimal(18, 4))          as graduates_supplied,
    cast(coalesce(d.vacancy_headcount, 0) as bigint)                             as vacancy_headcount,
    cast({{ safe_divide('d.vacancy_headcount', 'round(s.graduates_supplied, 4)') }} as double) as demand_supply_ratio,
    cast(coalesce(e.graduates_employed_in_occupation, 0) as bigint)              as graduates_employed_in_occupation,
    cast(coalesce(e.graduates_employed_major_related, 0) as bigint)              as graduates_employed_major_related,
    cast({{ safe_divide('e.graduates_employed_major_related', 'e.fit_known') }} as double) as major_fit_rate,
    cast('{{ var("bridge_version") }}' as string)                               as bridge_version,
    cast('{{ var("weighting_rule") }}' as string)                               as weighting_rule,
    {{ suppressed_columns() }}
from cells c
left join supply s     using (region_level, region_code, occupation_level, occupation_code, year)
left join demand d     using (region_level, region_code, occupation_level, occupation_code, year)
left join employment e using (region_level, region_code, occupation_level, occupation_code, year)
left join {{ ref('dim_region') }} r     on r.region_code = c.region_code
left join {{ ref('dim_occupation') }} o on o.occupation_code = c.occupation_code
