-- The graduates' side of int_talent_match_counts: supply through the major→industry and major→occupation bridges
-- and graduate employment, for both classifications, rolled up as int_talent_match_counts is (region ×
-- code × year, macro rollup_grouping_sets), with the same definitions and nulls. A table of its own so that a
-- refresh bringing only vacancies (transformation/build_plan.py rebuilds what is downstream of a changed feed)
-- does not read every graduate again: int_talent_match_counts adds the vacancy side to these rows.
-- Supply the bridge cannot place is the row of code var unmapped_code (at both code levels) of its region and
-- year: graduates_supplied summed over the codes of a level is every graduate of the region's schools.
with supplying_graduates as (
    {{ graduates_of_school_cities([
        'school_prefecture_code as prefecture_code',
        'school_province_code as province_code',
        'grad_year as year',
        'higher_major_category_code',
    ]) }}
),

employed_graduates as (
    -- the employed graduates (or counted cells) whose employer's city is known, summed by the columns the
    -- roll-up reads (every measure is a sum of graduates; as graduates_of_school_cities sums the supply)
    select
        employer_prefecture_code,
        employer_province_code,
        grad_year,
        employer_industry_division_code,
        occupation_code,
        occupation_sub_major_group_code,
        major_related,
        sum(graduates) as graduates
    from {{ ref('int_graduates') }}
    where is_employed and employer_prefecture_code is not null and graduates > 0
    group by all
),

bridged_graduates as (
    -- the graduates of each city × year × 专业类 once per classification, spread over the bridge's codes by
    -- weight; those the bridge cannot place (no 2021 专业类: path mapped_*_division or unmapped; or a 专业类
    -- without a link) count whole under var unmapped_code, so that supply over the codes of a level is every
    -- graduate
    select
        g.prefecture_code,
        g.province_code,
        g.year,
        coalesce(b.industry_code, '{{ var("unmapped_code") }}') as industry_code,
        cast(null as string) as occupation_code,
        coalesce(b.weight, 1) as weight,
        g.graduates
    from supplying_graduates as g
    left join {{ ref('bridge_major_industry') }} as b on g.higher_major_category_code = b.higher_major_category_code
    union all
    select
        g.prefecture_code,
        g.province_code,
        g.year,
        cast(null as string) as industry_code,
        coalesce(b.occupation_code, '{{ var("unmapped_code") }}') as occupation_code,
        coalesce(b.weight, 1) as weight,
        g.graduates
    from supplying_graduates as g
    left join {{ ref('bridge_major_occupation') }} as b
        on g.higher_major_category_code = b.higher_major_category_code
),

counted_rows as (
    -- supply: graduates and bridge weight
    {{ rows_by_classification(
        'bridged_graduates',
        ['r.prefecture_code', 'r.province_code', 'r.year', 'r.weight', 'r.graduates', 'false as is_employment',
         'cast(null as boolean) as major_related'],
        industry_division='industry_code', occupation='occupation_code', occupation_sub_major_group='occupation_code'
    ) }}
    union all
    -- employment: the employed graduates whose employer's city is known
    {{ rows_by_classification(
        'employed_graduates',
        ['r.employer_prefecture_code', 'r.employer_province_code', 'r.grad_year', 'cast(null as double)',
         'r.graduates', 'true', 'r.major_related'],
        industry_division='employer_industry_division_code'
    ) }}
)

select
    {{ rollup_keys() }},
    year,
    sum({{ exact_weight("weight") }} * graduates) as graduates_supplied,
    nullif({{ graduates_where('is_employment') }}, 0) as graduates_employed,
    case when {{ graduates_where('is_employment') }} > 0 then {{ graduates_where('major_related is not null') }} end
        as employed_fit_known,
    case when {{ graduates_where('is_employment') }} > 0 then {{ graduates_where('major_related') }} end
        as employed_major_related
from counted_rows
group by {{ rollup_grouping_sets() }}
