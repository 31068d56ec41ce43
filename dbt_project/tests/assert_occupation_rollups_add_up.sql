{{ config(meta={"dagster": {"ref": {"name": "mart_talent_match_occupation"}}}) }}
-- Province rows of the occupation match equal the sums of their prefecture rows (supply and demand).
with occupation_match as (select * from {{ ref('mart_talent_match_occupation') }}),

summed_prefectures as (
    select
        r.province_code as region_code,
        o.occupation_level,
        o.occupation_code,
        o.year,
        sum(o.graduates_supplied) as supplied,
        sum(o.vacancy_headcount) as demanded
    from occupation_match as o
    inner join {{ ref('dim_region') }} as r on o.region_code = r.region_code
    where o.region_level = 'prefecture'
    group by all
),

provinces as (
    select * from occupation_match
    where region_level = 'province'
)

select
    region_code,
    occupation_level,
    occupation_code,
    year,
    summed_prefectures.supplied,
    provinces.graduates_supplied,
    summed_prefectures.demanded,
    provinces.vacancy_headcount
from summed_prefectures
full join provinces using (region_code, occupation_level, occupation_code, year)
where
    provinces.region_code is null or summed_prefectures.region_code is null
    or abs(summed_prefectures.supplied - provinces.graduates_supplied) > 0.0001 * 50
    or summed_prefectures.demanded <> provinces.vacancy_headcount
