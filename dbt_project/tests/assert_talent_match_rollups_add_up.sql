{{ config(meta={"dagster": {"ref": {"name": "int_talent_match_counts"}}}) }}
-- Every parent row (province, or 门类) equals the sum of its children, for every additive count.
with c as (
    select region_level, region_code, code_level as industry_level, code as industry_code, year,
           coalesce(graduates_supplied, 0) as graduates_supplied, coalesce(vacancy_headcount, 0) as vacancy_headcount,
           coalesce(graduates_employed, 0) as graduates_employed_in_industry
    from {{ ref('int_talent_match_counts') }}
    where classification = 'industry'
),
children as (
    -- province × division from prefecture × division
    select 'province' as region_level, r.province_code as region_code, 'division' as industry_level,
           c.industry_code, c.year,
           sum(graduates_supplied) as s, sum(vacancy_headcount) as d, sum(graduates_employed_in_industry) as e
    from c join {{ ref('dim_region') }} r on r.region_code = c.region_code
    where c.region_level = 'prefecture' and c.industry_level = 'division'
    group by all
    union all
    -- prefecture × section from prefecture × division
    select 'prefecture', c.region_code, 'section', i.section_code, c.year,
           sum(graduates_supplied), sum(vacancy_headcount), sum(graduates_employed_in_industry)
    from c join {{ ref('dim_industry') }} i on i.industry_code = c.industry_code
    where c.region_level = 'prefecture' and c.industry_level = 'division'
    group by all
)
select *
from children ch
full join c using (region_level, region_code, industry_level, industry_code, year)
where (ch.region_level is null and c.region_level in ('province') and c.industry_level = 'division')
   or (ch.region_level is not null and (c.region_code is null
       or abs(ch.s - c.graduates_supplied) > 1e-6 or ch.d <> c.vacancy_headcount
       or ch.e <> c.graduates_employed_in_industry))
