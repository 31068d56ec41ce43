{{ config(meta={"dagster": {"ref": {"name": "mart_talent_match"}}}) }}
-- With equal_split weights each graduate whose 专业类 is bridged adds exactly 1 to supply.
-- Supply is stored with 4 decimals per cell, so the total may drift by at most 0.00005 per cell.
with mart as (
    select year, sum(graduates_supplied) as supplied, count(*) as cells
    from {{ ref('mart_talent_match') }}
    where region_level = 'prefecture' and industry_level = 'division'
    group by year
),
grads as (
    select g.grad_year as year, count(*) as bridged
    from {{ ref('int_graduates') }} g
    where g.school_prefecture_code is not null
      and g.higher_major_category_code in (select higher_major_category_code from {{ ref('bridge_major_industry') }})
    group by 1
)
select * from grads left join mart using (year)
where abs(coalesce(mart.supplied, 0) - grads.bridged) > 0.00005 * coalesce(mart.cells, 0) + 1e-9
