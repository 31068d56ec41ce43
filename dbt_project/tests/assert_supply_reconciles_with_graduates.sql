{{ config(meta={"dagster": {"ref": {"name": "mart_talent_match"}}}) }}
-- Every graduate of a city's schools is in the supply, once per classification: with equal_split weights a
-- graduate whose 专业类 is bridged adds exactly 1 over the codes of a level, and one the bridge cannot place adds
-- 1 to the row of var unmapped_code (a counted cell adds its graduates). So per year, supply summed over the
-- 大类 (industry) or the 中类 (occupation) of the city rows equals the graduates of int_graduates whose school
-- is in a city: no graduate silently drops out of the supply (docs/indicators.md, Talent match).
-- Supply is stored with 4 decimals per cell, so the total may drift by at most 0.00005 per cell.
with supply_by_year as (
    select
        'industry' as classification,
        year,
        sum(graduates_supplied) as supplied,
        count(*) as cells
    from {{ ref('mart_talent_match') }}
    where region_level = 'prefecture' and industry_level = 'division'
    group by year
    union all
    select
        'occupation' as classification,
        year,
        sum(graduates_supplied) as supplied,
        count(*) as cells
    from {{ ref('mart_talent_match_occupation') }}
    where region_level = 'prefecture' and occupation_level = 'sub_major_group'
    group by year
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
    select 'industry' as classification
    union all
    select 'occupation' as classification
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
