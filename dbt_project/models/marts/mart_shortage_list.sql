-- 紧缺人才目录: per prefecture-level city and year, the industries (大类) and occupations (大典 中类) whose
-- demand outruns graduate supply. Rule: shortage_index = vacancy_headcount ÷ (graduates_supplied + 1);
-- listed when shortage_index ≥ var shortage_min_index and vacancy_headcount ≥ var shortage_min_headcount;
-- ranked by shortage_index within region, year and classification; level 'severe' when the index ≥ 3.
{#- the cells that can be listed: city × the fine level of each classification of the talent match -#}
{%- set classifications = [
    {'name': 'industry', 'level': 'division', 'mart': 'mart_talent_match'},
    {'name': 'occupation', 'level': 'sub_major_group', 'mart': 'mart_talent_match_occupation'},
] %}
with candidates as (
    {%- for c in classifications %}
        select
            region_code,
            region_name,
            year,
            '{{ c.name }}_{{ c.level }}' as classification,
            {{ c.name }}_code as code,
            {{ c.name }}_name as name,
            graduates_supplied,
            vacancy_headcount,
            demand_supply_ratio
        from {{ ref(c.mart) }}
        where region_level = 'prefecture' and {{ c.name }}_level = '{{ c.level }}'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

scored as (
    select
        *,
        {{ shortage_index('vacancy_headcount', 'graduates_supplied') }} as shortage_index
    from candidates
)

select
    cast(region_code as string) as region_code,
    cast(region_name as string) as region_name,
    cast(year as integer) as year,
    cast(classification as string) as classification,
    cast(code as string) as code,
    cast(name as string) as name,
    cast(row_number() over (
        partition by region_code, year, classification
        order by shortage_index desc, code asc
    ) as integer) as shortage_rank,
    cast(shortage_index as double) as shortage_index,
    cast(case when shortage_index >= 3 then 'severe' else 'shortage' end as string) as shortage_level,
    cast(graduates_supplied > 0 as boolean) as has_vocational_supply,
    cast(vacancy_headcount as bigint) as vacancy_headcount,
    cast(graduates_supplied as decimal(18, 4)) as graduates_supplied,
    cast(demand_supply_ratio as double) as demand_supply_ratio,
    cast(
        'shortage_index = vacancy_headcount / (graduates_supplied + 1) >= {{ var("shortage_min_index") }} '
        || 'and vacancy_headcount >= {{ var("shortage_min_headcount") }}' as string
    ) as listing_rule,
    cast('{{ var("bridge_version") }}' as string) as bridge_version,
    cast('{{ var("weighting_rule") }}' as string) as weighting_rule,
    {{ suppressed_columns() }}
from scored
where
    shortage_index >= {{ var('shortage_min_index') }}
    and vacancy_headcount >= {{ var('shortage_min_headcount') }}
