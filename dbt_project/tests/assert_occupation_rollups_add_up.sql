{{ config(meta={"dagster": {"ref": {"name": "mart_talent_match_occupation"}}}) }}
-- Province rows of the occupation match equal the sums of their prefecture rows (supply and demand).
with o as (select * from {{ ref('mart_talent_match_occupation') }}),
children as (
    select r.province_code as region_code, o.occupation_level, o.occupation_code, o.year,
           sum(o.graduates_supplied) as s, sum(o.vacancy_headcount) as d
    from o join {{ ref('dim_region') }} r on r.region_code = o.region_code
    where o.region_level = 'prefecture'
    group by all
)
select * from children ch
full join (select * from o where region_level = 'province') p using (region_code, occupation_level, occupation_code, year)
where p.region_code is null or ch.region_code is null
   or abs(ch.s - p.graduates_supplied) > 0.0001 * 50 or ch.d <> p.vacancy_headcount
