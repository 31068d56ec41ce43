-- 人才供需匹配: prefecture-level region × industry (GB/T 4754 大类) × year.
with supply as (
    select region_code, industry_code, year,
           cast(round(graduates_supplied, 4) as decimal(18, 4)) as graduates_supplied
    from {{ ref('int_graduate_supply_by_industry') }}
),
demand as (
    select prefecture_code as region_code, industry_division_code as industry_code, posted_year as year,
           sum(headcount) as vacancy_headcount, count(*) as vacancy_postings
    from {{ ref('int_vacancies') }}
    where prefecture_code is not null
    group by all
),
employment as (
    select employer_prefecture_code as region_code, employer_industry_division_code as industry_code,
           grad_year as year,
           count(*)                                          as graduates_employed_in_industry,
           count(*) filter (where major_related is not null) as graduates_employed_fit_known,
           count(*) filter (where major_related)             as graduates_employed_major_related
    from {{ ref('int_graduates') }}
    where is_employed and employer_prefecture_code is not null and employer_industry_division_code is not null
    group by all
),
cells as (
    select region_code, industry_code, year from supply
    union
    select region_code, industry_code, year from demand
    union
    select region_code, industry_code, year from employment
)
select
    cast(c.region_code as varchar)                                        as region_code,
    cast(r.region_name as varchar)                                        as region_name,
    cast(r.province_code as varchar)                                      as province_code,
    cast(c.industry_code as varchar)                                      as industry_code,
    cast(i.industry_name as varchar)                                      as industry_name,
    cast(i.section_code as varchar)                                       as section_code,
    cast(c.year as integer)                                               as year,
    cast(coalesce(s.graduates_supplied, 0) as decimal(18, 4))             as graduates_supplied,
    cast(coalesce(d.vacancy_headcount, 0) as bigint)                      as vacancy_headcount,
    cast(coalesce(d.vacancy_postings, 0) as bigint)                       as vacancy_postings,
    cast({{ safe_divide('d.vacancy_headcount', 's.graduates_supplied') }} as double) as demand_supply_ratio,
    cast(coalesce(e.graduates_employed_in_industry, 0) as bigint)         as graduates_employed_in_industry,
    cast(coalesce(e.graduates_employed_major_related, 0) as bigint)       as graduates_employed_major_related,
    cast({{ safe_divide('e.graduates_employed_major_related', 'e.graduates_employed_fit_known') }} as double)
                                                                          as major_fit_rate,
    cast('{{ var("bridge_version") }}' as varchar)                        as bridge_version,
    cast('{{ var("weighting_rule") }}' as varchar)                        as weighting_rule
from cells c
left join supply s     using (region_code, industry_code, year)
left join demand d     using (region_code, industry_code, year)
left join employment e using (region_code, industry_code, year)
left join {{ ref('dim_region') }} r   on r.region_code = c.region_code
left join {{ ref('dim_industry') }} i on i.industry_code = c.industry_code
