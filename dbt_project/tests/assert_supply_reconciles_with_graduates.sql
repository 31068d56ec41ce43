{{ config(meta={"dagster": {"ref": {"name": "mart_talent_match"}}}) }}
-- With equal_split weights each graduate whose 专业类 is bridged adds exactly 1 to supply (a counted cell adds its
-- graduates).
-- Supply is stored with 4 decimals per cell, so the total may drift by at most 0.00005 per cell.
with supply_by_year as (
    select
        year,
        sum(graduates_supplied) as supplied,
        count(*) as cells
    from {{ ref('mart_talent_match') }}
    where region_level = 'prefecture' and industry_level = 'division'
    group by year
),

bridged_graduates as (
    select
        g.grad_year as year,
        sum(g.graduates) as bridged
    from {{ ref('int_graduates') }} as g
    where
        g.school_prefecture_code is not null
        and g.higher_major_category_code in (
            select b.higher_major_category_code from {{ ref('bridge_major_industry') }} as b
        )
    group by g.grad_year
)

select
    year,
    bridged_graduates.bridged,
    supply_by_year.supplied
from bridged_graduates
left join supply_by_year using (year)
where
    abs(coalesce(supply_by_year.supplied, 0) - bridged_graduates.bridged)
    > 0.00005 * coalesce(supply_by_year.cells, 0) + 1e-9
