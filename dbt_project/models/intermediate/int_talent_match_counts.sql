-- Additive counts of the talent match, for both classifications at once: region (prefecture and province) ×
-- code (industry: GB/T 4754 大类 division and 门类 section; occupation: 大典 2022 中类 sub_major_group and 大类
-- major_group) × year. Supply through the major→industry and major→occupation bridges, vacancy demand,
-- graduate employment. A count is null where nothing of its kind falls in the cell (the marts decide how
-- to publish that). mart_talent_match and mart_talent_match_occupation read their classification.
{%- set cell = ['region_level', 'region_code', 'classification', 'code_level', 'code', 'year'] %}
with bridges as (
    select
        higher_major_category_code,
        industry_code,
        cast(null as string) as occupation_code,
        weight
    from {{ ref('bridge_major_industry') }}
    union all
    select
        higher_major_category_code,
        cast(null as string) as industry_code,
        occupation_code,
        weight
    from {{ ref('bridge_major_occupation') }}
),

bridged_graduates as (
    select
        g.school_prefecture_code as prefecture_code,
        g.school_province_code as province_code,
        g.grad_year as year,
        b.industry_code,
        b.occupation_code,
        b.weight
    from {{ ref('int_graduates') }} as g
    inner join bridges as b on g.higher_major_category_code = b.higher_major_category_code
    where g.school_prefecture_code is not null
),

supply_base as (
    {{ rows_by_classification(
        'bridged_graduates', ['r.prefecture_code', 'r.province_code', 'r.year', 'r.weight'],
        industry_division='industry_code', occupation='occupation_code',
        occupation_sub_major_group='occupation_code'
    ) }}
),

demand_base as (
    {{ rows_by_classification(
        ref('int_vacancy_counts'),
        ['r.prefecture_code', 'r.province_code', 'r.posted_year as year', 'r.vacancy_headcount',
         'r.vacancy_postings'],
        industry_division='industry_division_code'
    ) }}
),

employment_base as (
    {{ rows_by_classification(
        ref('int_graduates'),
        ['r.employer_prefecture_code as prefecture_code', 'r.employer_province_code as province_code',
         'r.grad_year as year', 'r.major_related'],
        industry_division='employer_industry_division_code',
        where='r.is_employed and r.employer_prefecture_code is not null'
    ) }}
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
    select {{ cell | join(', ') }} from supply
    union
    select {{ cell | join(', ') }} from demand
    union
    select {{ cell | join(', ') }} from employment
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
left join supply using ({{ cell | join(', ') }})
left join demand using ({{ cell | join(', ') }})
left join employment using ({{ cell | join(', ') }})
