{{ config(meta={"dagster": {"ref": {"name": "int_talent_match_counts"}}}) }}
-- Every parent row (province, or 门类) equals the sum of its children, for every additive count.
with industry_counts as (
    select
        region_level,
        region_code,
        code_level as industry_level,
        code as industry_code,
        year,
        coalesce(graduates_supplied, 0) as graduates_supplied,
        coalesce(vacancy_headcount, 0) as vacancy_headcount,
        coalesce(graduates_employed, 0) as graduates_employed
    from {{ ref('int_talent_match_counts') }}
    where classification = 'industry'
),

-- province × division from prefecture × division
summed_prefectures as (
    select
        'province' as region_level,
        r.province_code as region_code,
        'division' as industry_level,
        c.industry_code,
        c.year,
        sum(c.graduates_supplied) as supplied,
        sum(c.vacancy_headcount) as demanded,
        sum(c.graduates_employed) as employed
    from industry_counts as c
    inner join {{ ref('dim_region') }} as r on c.region_code = r.region_code
    where c.region_level = 'prefecture' and c.industry_level = 'division'
    group by all
),

-- prefecture × section from prefecture × division
summed_divisions as (
    select
        'prefecture' as region_level,
        c.region_code,
        'section' as industry_level,
        i.section_code as industry_code,
        c.year,
        sum(c.graduates_supplied) as supplied,
        sum(c.vacancy_headcount) as demanded,
        sum(c.graduates_employed) as employed
    from industry_counts as c
    inner join {{ ref('dim_industry') }} as i on c.industry_code = i.industry_code
    where c.region_level = 'prefecture' and c.industry_level = 'division'
    group by all
),

summed_children as (
    select * from summed_prefectures
    union all
    select * from summed_divisions
)

select
    region_level,
    region_code,
    industry_level,
    industry_code,
    year,
    summed_children.supplied,
    industry_counts.graduates_supplied
from summed_children
full join industry_counts using (region_level, region_code, industry_level, industry_code, year)
where
    (
        summed_children.region_level is null
        and industry_counts.region_level = 'province' and industry_counts.industry_level = 'division'
    )
    or (
        summed_children.region_level is not null
        and (
            industry_counts.region_code is null
            or abs(summed_children.supplied - industry_counts.graduates_supplied) > 1e-6
            or summed_children.demanded <> industry_counts.vacancy_headcount
            or summed_children.employed <> industry_counts.graduates_employed
        )
    )
