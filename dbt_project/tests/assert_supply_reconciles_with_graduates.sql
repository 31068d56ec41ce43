{{ config(meta={"dagster": {"ref": {"name": "mart_talent_match"}}}) }}
-- Every graduate of a city's schools is in the supply, once per classification: with equal_split weights a
-- graduate whose 专业类 is bridged adds exactly 1 over the codes of a level, and one the bridge cannot place adds
-- 1 to the row of var unmapped_code (a counted cell adds its graduates). So per year, supply summed over the
-- 大类 (industry) or the 中类 (occupation) of the city rows equals the graduates of int_graduates whose school
-- is in a city: no graduate silently drops out of the supply (docs/indicators.md, Talent match).
-- Supply is stored with 4 decimals per cell, so the total may drift by at most 0.00005 per cell.
{%- set marts = [
    {'classification': 'industry', 'model': 'mart_talent_match', 'level': "industry_level = 'division'"},
    {'classification': 'occupation', 'model': 'mart_talent_match_occupation',
     'level': "occupation_level = 'sub_major_group'"},
] %}
with supply_by_year as (
    {%- for mart in marts %}
        select
            '{{ mart.classification }}' as classification,
            year,
            sum(graduates_supplied) as supplied,
            count(*) as cells
        from {{ ref(mart.model) }}
        where region_level = 'prefecture' and {{ mart.level }}
        group by year
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

graduates_by_year as (
    select
        grad_year as year,
        sum(graduates) as graduates
    from {{ ref('int_graduates') }}
    where school_prefecture_code is not null and graduates > 0
    group by grad_year
),

classifications as (
    {%- for mart in marts %}
        select '{{ mart.classification }}' as classification
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    c.classification,
    g.year,
    g.graduates,
    s.supplied
from graduates_by_year as g
cross join classifications as c
left join supply_by_year as s on g.year = s.year and c.classification = s.classification
where
    abs(coalesce(s.supplied, 0) - g.graduates)
    > 0.00005 * coalesce(s.cells, 0) + 1e-9
