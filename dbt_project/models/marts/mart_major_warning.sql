-- 专业预警: school region (prefecture-level city, and province roll-up) × major × graduation year. The outcomes
-- of the major's graduates (毕业去向落实率, 专业对口率, 本市就业率) and the market of the industries its 专业类 serves
-- through the major→industry bridge (岗位供需比 of those GB/T 4754 大类 in the region and year), and a status by the
-- stated rules (thresholds: dbt vars warning_*; docs/indicators.md, Major early-warning); placement_rate below is the
-- 毕业去向落实率 of placement_round, the survey round (初次 / 年终) in which more graduates were surveyed:
--   insufficient_data  graduates < warning_min_graduates: no level
--   red                placement_rate < warning_red_placement_rate_below, or at least warning_red_min_yellow_rules
--                      yellow rules fired
--   yellow             any yellow rule: placement_rate < warning_yellow_placement_rate_below, major_fit_rate <
--                      warning_yellow_major_fit_rate_below, served_vacancies_per_graduate <
--                      warning_yellow_vacancies_per_graduate_below, city_retention_rate <
--                      warning_yellow_city_retention_rate_below
--   green              none fired
-- A rule whose figure is null (no employed graduate, no fit known, no served industry) does not fire.
{%- set pct = '%g' -%}
{%- set red_placement = var('warning_red_placement_rate_below') -%}
{%- set yellow_placement = var('warning_yellow_placement_rate_below') -%}
{%- set yellow_fit = var('warning_yellow_major_fit_rate_below') -%}
{%- set yellow_ratio = var('warning_yellow_vacancies_per_graduate_below') -%}
{%- set yellow_retention = var('warning_yellow_city_retention_rate_below') -%}
{%- set min_graduates = var('warning_min_graduates') -%}
{%- set red_min_rules = var('warning_red_min_yellow_rules') -%}
{#- the rules a level can be given for: the condition (fired), the reason's code and its text, in this order -#}
{%- set reasons = [
    {'fired': 'l.placement_red', 'code': 'placement_rate_below_red',
     'text': '毕业去向落实率低于' ~ (pct | format(red_placement * 100)) ~ '%'},
    {'fired': 'l.placement_low and not l.placement_red', 'code': 'placement_rate_below_yellow',
     'text': '毕业去向落实率低于' ~ (pct | format(yellow_placement * 100)) ~ '%'},
    {'fired': 'l.major_fit_low', 'code': 'major_fit_rate_low',
     'text': '专业对口率低于' ~ (pct | format(yellow_fit * 100)) ~ '%'},
    {'fired': 'l.served_demand_low', 'code': 'served_vacancies_per_graduate_low',
     'text': '服务产业岗位供需比低于' ~ (pct | format(yellow_ratio))},
    {'fired': 'l.city_retention_low', 'code': 'city_retention_rate_low',
     'text': '本市就业率低于' ~ (pct | format(yellow_retention * 100)) ~ '%'},
] %}
with graduates_by_school_region as (
    {{ graduates_by_school_region(['higher_major_category_code', 'major_related']) }}
),

major_counts as (
    {#- min(): one 专业类 per major code -#}
    {{ school_region_counts('graduates_by_school_region', [
        'min(higher_major_category_code) as higher_major_category_code',
        graduates_where('is_employed and major_related is not null') ~ ' as employed_fit_known',
        graduates_where('is_employed and major_related') ~ ' as employed_major_related',
    ]) }}
),

served_industries as (
    select
        m.region_level,
        m.region_code,
        m.major_code,
        m.grad_year,
        b.industry_code
    from major_counts as m
    inner join {{ ref('bridge_major_industry') }} as b
        on m.higher_major_category_code = b.higher_major_category_code
),

served_market as (
    -- demand and bridge-weighted supply (of every major bridged to them) of the industries the major serves
    select
        s.region_level,
        s.region_code,
        s.major_code,
        s.grad_year,
        count(*) as served_industries,
        sum(coalesce(c.vacancy_headcount, 0)) as served_vacancy_headcount,
        round(sum(coalesce(c.graduates_supplied, 0)), 4) as served_graduates_supplied
    from served_industries as s
    left join {{ ref('int_talent_match_counts') }} as c
        on
            c.classification = 'industry'
            and c.code_level = 'division'
            and s.region_level = c.region_level
            and s.region_code = c.region_code
            and s.industry_code = c.code
            and s.grad_year = c.year
    group by s.region_level, s.region_code, s.major_code, s.grad_year
),

rates as (
    select
        m.*,
        coalesce(s.served_industries, 0) as served_industries,
        coalesce(s.served_vacancy_headcount, 0) as served_vacancy_headcount,
        coalesce(s.served_graduates_supplied, 0) as served_graduates_supplied,
        {{ safe_divide('m.placed_initial', 'm.graduates_initial_survey') }} as initial_placement_rate,
        {{ safe_divide('m.placed_year_end', 'm.graduates_year_end_survey') }} as year_end_placement_rate,
        {{ safe_divide('m.employed_major_related', 'm.employed_fit_known') }} as major_fit_rate,
        {{ safe_divide('m.employed_in_school_city', 'm.employed') }} as city_retention_rate,
        {{ safe_divide('s.served_vacancy_headcount', 's.served_graduates_supplied') }} as served_vacancies_per_graduate
    from major_counts as m
    left join served_market as s using (region_level, region_code, major_code, grad_year)
),

placement_rounds as (
    -- the rules read the placement rate of the round in which more graduates were surveyed (年终 on a tie): the two
    -- rounds are never pooled, and a year-end round of a few re-surveyed graduates does not stand for the cohort
    select
        *,
        case
            when graduates_year_end_survey > 0 and graduates_year_end_survey >= graduates_initial_survey
                then 'year_end'
            when graduates_initial_survey > 0 then 'initial'
        end as placement_round
    from rates
),

rules as (
    select
        *,
        graduates < {{ min_graduates }} as below_minimum,
        coalesce(
            case placement_round
                when 'year_end' then year_end_placement_rate
                when 'initial' then initial_placement_rate
            end < {{ red_placement }},
            false
        ) as placement_red,
        coalesce(
            case placement_round
                when 'year_end' then year_end_placement_rate
                when 'initial' then initial_placement_rate
            end < {{ yellow_placement }},
            false
        ) as placement_low,
        coalesce(major_fit_rate < {{ yellow_fit }}, false) as major_fit_low,
        coalesce(served_vacancies_per_graduate < {{ yellow_ratio }}, false) as served_demand_low,
        coalesce(city_retention_rate < {{ yellow_retention }}, false) as city_retention_low
    from placement_rounds
),

levels as (
    select
        *,
        case
            when below_minimum then 'insufficient_data'
            when
                placement_red
                or cast(placement_low as integer) + cast(major_fit_low as integer)
                + cast(served_demand_low as integer) + cast(city_retention_low as integer) >= {{ red_min_rules }}
                then 'red'
            when placement_low or major_fit_low or served_demand_low or city_retention_low then 'yellow'
            else 'green'
        end as warning_level
    from rules
),

published as (
    select
        l.*,
        r.region_name,
        m.major_name,
        case l.warning_level
            when 'red' then '红色预警'
            when 'yellow' then '黄色预警'
            when 'green' then '绿色'
            else '数据不足'
        end as warning_level_name,
        {{ warning_reasons(reasons, 'code', ',', 'graduates_below_minimum') }} as warning_reason_codes,
        {{ warning_reasons(reasons, 'text', '；', '毕业生少于' ~ min_graduates ~ '人，不评级') }} as warning_reasons,
        'placement_rate = the rate of placement_round (the round with more graduates surveyed); '
        || 'graduates >= {{ min_graduates }}; '
        || 'red: placement_rate < {{ red_placement }} or at least {{ red_min_rules }} '
        || 'yellow rules; yellow: placement_rate < {{ yellow_placement }}, major_fit_rate < {{ yellow_fit }}, '
        || 'served_vacancies_per_graduate < {{ yellow_ratio }}, city_retention_rate < {{ yellow_retention }}'
            as warning_rule,
        {{ bridge_columns() }}
    from levels as l
    left join {{ ref('dim_region') }} as r on l.region_code = r.region_code
    left join {{ ref('dim_major') }} as m on l.major_code = m.major_code
)

select {{ contract_columns('published') }}
from published
