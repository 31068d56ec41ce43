{{ config(meta={"dagster": {"ref": {"name": "mart_talent_outflow"}}}) }}
-- Province rows of mart_talent_outflow equal the sums of their prefecture rows.
with outflow as (select * from {{ ref('mart_talent_outflow') }}),

summed_prefectures as (
    select
        r.province_code as region_code,
        o.major_code,
        o.grad_year,
        sum(o.graduates) as graduates,
        sum(o.placed_initial) as placed_initial,
        sum(o.placed_year_end) as placed_year_end,
        sum(o.employed) as employed,
        sum(o.employed_in_school_province) as in_province,
        sum(o.employed_outside_province) as outside
    from outflow as o
    inner join {{ ref('dim_region') }} as r on o.region_code = r.region_code
    where o.region_level = 'prefecture'
    group by all
),

provinces as (
    select * from outflow
    where region_level = 'province'
)

select
    region_code,
    major_code,
    grad_year,
    summed_prefectures.graduates as summed_graduates,
    provinces.graduates
from summed_prefectures
full join provinces using (region_code, major_code, grad_year)
where
    provinces.graduates is null or summed_prefectures.graduates is null
    or summed_prefectures.graduates <> provinces.graduates
    or summed_prefectures.placed_initial <> provinces.placed_initial
    or summed_prefectures.placed_year_end <> provinces.placed_year_end
    or summed_prefectures.employed <> provinces.employed
    or summed_prefectures.in_province <> provinces.employed_in_school_province
    or summed_prefectures.outside <> provinces.employed_outside_province
