-- Additive counts of the talent match, for both classifications at once: region (prefecture and province) ×
-- code (industry: GB/T 4754 大类 division and 门类 section; occupation: 大典 2022 中类 sub_major_group and 大类
-- major_group) × year. Supply through the major→industry and major→occupation bridges, vacancy demand,
-- graduate employment. A count is null where nothing of its kind falls in the cell (the marts decide how
-- to publish that). mart_talent_match and mart_talent_match_occupation read their classification.
with industry_supply as (
    select
        g.school_prefecture_code as prefecture_code,
        g.school_province_code as province_code,
        'industry' as classification,
        'division' as fine_level,
        'section' as coarse_level,
        b.industry_code as fine_code,
        i.section_code as coarse_code,
        g.grad_year as year,
        b.weight
    from {{ ref('int_graduates') }} as g
    inner join {{ ref('bridge_major_industry') }} as b
        on g.higher_major_category_code = b.higher_major_category_code
    inner join {{ ref('dim_industry') }} as i on b.industry_code = i.industry_code
    where g.school_prefecture_code is not null
),

occupation_supply as (
    select
        g.school_prefecture_code as prefecture_code,
        g.school_province_code as province_code,
        'occupation' as classification,
        'sub_major_group' as fine_level,
        'major_group' as coarse_level,
        b.occupation_code as fine_code,
        {{ occupation_major_group('b.occupation_code') }} as coarse_code,
        g.grad_year as year,
        b.weight
    from {{ ref('int_graduates') }} as g
    inner join {{ ref('bridge_major_occupation') }} as b
        on g.higher_major_category_code = b.higher_major_category_code
    where g.school_prefecture_code is not null
),

industry_demand as (
    select
        v.prefecture_code,
        v.province_code,
        'industry' as classification,
        'division' as fine_level,
        'section' as coarse_level,
        v.industry_division_code as fine_code,
        i.section_code as coarse_code,
        v.posted_year as year,
        v.vacancy_headcount,
        v.vacancy_postings
    from {{ ref('int_vacancy_counts') }} as v
    inner join {{ ref('dim_industry') }} as i on v.industry_division_code = i.industry_code
),

occupation_demand as (
    select
        prefecture_code,
        province_code,
        'occupation' as classification,
        'sub_major_group' as fine_level,
        'major_group' as coarse_level,
        occupation_sub_major_group_code as fine_code,
        {{ occupation_major_group('occupation_code') }} as coarse_code,
        posted_year as year,
        vacancy_headcount,
        vacancy_postings
    from {{ ref('int_vacancy_counts') }}
    where occupation_code is not null
),

employed_graduates as (
    select
        g.employer_prefecture_code as prefecture_code,
        g.employer_province_code as province_code,
        g.employer_industry_division_code,
        i.section_code,
        g.occupation_code,
        g.occupation_sub_major_group_code,
        i.industry_code is not null as in_industry_classification,
        g.grad_year as year,
        g.major_related
    from {{ ref('int_graduates') }} as g
    left join {{ ref('dim_industry') }} as i on g.employer_industry_division_code = i.industry_code
    where g.is_employed and g.employer_prefecture_code is not null
),

employment_base as (
    select
        prefecture_code,
        province_code,
        'industry' as classification,
        'division' as fine_level,
        'section' as coarse_level,
        employer_industry_division_code as fine_code,
        section_code as coarse_code,
        year,
        major_related
    from employed_graduates
    where in_industry_classification
    union all
    select
        prefecture_code,
        province_code,
        'occupation' as classification,
        'sub_major_group' as fine_level,
        'major_group' as coarse_level,
        occupation_sub_major_group_code as fine_code,
        {{ occupation_major_group('occupation_code') }} as coarse_code,
        year,
        major_related
    from employed_graduates
    where occupation_code is not null
),

supply_base as (
    select * from industry_supply
    union all
    select * from occupation_supply
),

demand_base as (
    select * from industry_demand
    union all
    select * from occupation_demand
),

supply as (
    select
        {{ rollup_keys() }},
        year,
        sum({{ exact_weight("weight") }}) as graduates_supplied
    from supply_base
    group by {{ rollup_grouping_sets() }}
),

demand as (
    select
        {{ rollup_keys() }},
        year,
        sum(vacancy_headcount) as vacancy_headcount,
        cast(sum(vacancy_postings) as bigint) as vacancy_postings
    from demand_base
    group by {{ rollup_grouping_sets() }}
),

employment as (
    select
        {{ rollup_keys() }},
        year,
        count(*) as graduates_employed,
        count(*) filter (where major_related is not null) as graduates_employed_fit_known,
        count(*) filter (where major_related) as graduates_employed_major_related
    from employment_base
    group by {{ rollup_grouping_sets() }}
),

cells as (
    select
        region_level,
        region_code,
        classification,
        code_level,
        code,
        year
    from supply
    union
    select
        region_level,
        region_code,
        classification,
        code_level,
        code,
        year
    from demand
    union
    select
        region_level,
        region_code,
        classification,
        code_level,
        code,
        year
    from employment
)

select
    cells.region_level,
    cells.region_code,
    cells.classification,
    cells.code_level,
    cells.code,
    cells.year,
    supply.graduates_supplied,
    demand.vacancy_headcount,
    demand.vacancy_postings,
    employment.graduates_employed,
    employment.graduates_employed_fit_known,
    employment.graduates_employed_major_related
from cells
left join supply using (region_level, region_code, classification, code_level, code, year)
left join demand using (region_level, region_code, classification, code_level, code, year)
left join employment using (region_level, region_code, classification, code_level, code, year)
