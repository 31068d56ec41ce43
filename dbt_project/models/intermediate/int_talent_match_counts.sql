-- Additive counts of the talent match, by region (prefecture and province) × industry (大类 division and
-- 门类 section) × year: supply through the major→industry bridge, vacancy demand, graduate employment.
with supply_base as (
    select g.school_prefecture_code as prefecture_code, g.school_province_code as province_code,
           b.industry_code as division_code, i.section_code, g.grad_year as year, b.weight
    from {{ ref('int_graduates') }} g
    join {{ ref('bridge_major_industry') }} b on b.higher_major_category_code = g.higher_major_category_code
    join {{ ref('dim_industry') }} i on i.industry_code = b.industry_code
    where g.school_prefecture_code is not null
),
demand_base as (
    select v.prefecture_code, v.province_code, v.industry_division_code as division_code, i.section_code,
           v.posted_year as year, v.vacancy_headcount, v.vacancy_postings
    from {{ ref('int_vacancy_counts') }} v
    join {{ ref('dim_industry') }} i on i.industry_code = v.industry_division_code
),
employment_base as (
    select g.employer_prefecture_code as prefecture_code, g.employer_province_code as province_code,
           g.employer_industry_division_code as division_code, i.section_code, g.grad_year as year, g.major_related
    from {{ ref('int_graduates') }} g
    join {{ ref('dim_industry') }} i on i.industry_code = g.employer_industry_division_code
    where g.is_employed and g.employer_prefecture_code is not null
),
supply as (
    select {{ rollup_keys('division_code', 'section_code', 'division', 'section', 'industry') }},
           year, sum({{ exact_weight("weight") }}) as graduates_supplied
    from supply_base
    group by {{ rollup_grouping_sets('prefecture_code', 'province_code', 'division_code', 'section_code', 'year') }}
),
demand as (
    select {{ rollup_keys('division_code', 'section_code', 'division', 'section', 'industry') }},
           year, sum(vacancy_headcount) as vacancy_headcount, cast(sum(vacancy_postings) as bigint) as vacancy_postings
    from demand_base
    group by {{ rollup_grouping_sets('prefecture_code', 'province_code', 'division_code', 'section_code', 'year') }}
),
employment as (
    select {{ rollup_keys('division_code', 'section_code', 'division', 'section', 'industry') }},
           year,
           count(*)                                          as graduates_employed_in_industry,
           count(*) filter (where major_related is not null) as graduates_employed_fit_known,
           count(*) filter (where major_related)             as graduates_employed_major_related
    from employment_base
    group by {{ rollup_grouping_sets('prefecture_code', 'province_code', 'division_code', 'section_code', 'year') }}
),
cells as (
    select region_level, region_code, industry_level, industry_code, year from supply
    union
    select region_level, region_code, industry_level, industry_code, year from demand
    union
    select region_level, region_code, industry_level, industry_code, year from employment
)
select
    c.region_level, c.region_code, c.industry_level, c.industry_code, c.year,
    coalesce(s.graduates_supplied, 0)               as graduates_supplied,
    coalesce(d.vacancy_headcount, 0)                as vacancy_headcount,
    coalesce(d.vacancy_postings, 0)                 as vacancy_postings,
    coalesce(e.graduates_employed_in_industry, 0)   as graduates_employed_in_industry,
    coalesce(e.graduates_employed_fit_known, 0)     as graduates_employed_fit_known,
    coalesce(e.graduates_employed_major_related, 0) as graduates_employed_major_related
from cells c
left join supply s     using (region_level, region_code, industry_level, industry_code, year)
left join demand d     using (region_level, region_code, industry_level, industry_code, year)
left join employment e using (region_level, region_code, industry_level, industry_code, year)
