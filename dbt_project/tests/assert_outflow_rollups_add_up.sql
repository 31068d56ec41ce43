{{ config(meta={"dagster": {"ref": {"name": "mart_talent_outflow"}}}) }}
-- Province rows of mart_talent_outflow equal the sums of their prefecture rows.
with o as (select * from {{ ref('mart_talent_outflow') }}),
children as (
    select r.province_code as region_code, o.major_code, o.grad_year,
           sum(graduates) as graduates, sum(placed) as placed, sum(employed) as employed,
           sum(employed_in_school_province) as in_province, sum(employed_outside_province) as outside
    from o join {{ ref('dim_region') }} r on r.region_code = o.region_code
    where o.region_level = 'prefecture'
    group by all
)
select * from children ch
full join (select * from o where region_level = 'province') p using (region_code, major_code, grad_year)
where p.graduates is null or ch.graduates is null or ch.graduates <> p.graduates or ch.placed <> p.placed
   or ch.employed <> p.employed or ch.in_province <> p.employed_in_school_province
   or ch.outside <> p.employed_outside_province
