-- 人才供需匹配: region (prefecture-level city, and province roll-up) × industry (GB/T 4754 大类, and 门类
-- roll-up) × year. Counts from int_talent_match_counts (a cell without supply, demand or employment
-- counts 0); ratios defined here, once.
with industry_counts as (
    select
        region_level,
        region_code,
        code_level as industry_level,
        code as industry_code,
        year,
        coalesce(graduates_supplied, 0) as graduates_supplied,
        coalesce(vacancy_headcount, 0) as vacancy_headcount,
        coalesce(vacancy_postings, 0) as vacancy_postings,
        coalesce(graduates_employed, 0) as graduates_employed_in_industry,
        coalesce(graduates_employed_fit_known, 0) as graduates_employed_fit_known,
        coalesce(graduates_employed_major_related, 0) as graduates_employed_major_related
    from {{ ref('int_talent_match_counts') }}
    where classification = 'industry'
)

select
    cast(c.region_level as string) as region_level,
    cast(c.region_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(r.province_code as string) as province_code,
    cast(c.industry_level as string) as industry_level,
    cast(c.industry_code as string) as industry_code,
    cast(i.industry_name as string) as industry_name,
    cast(i.section_code as string) as section_code,
    cast(c.year as integer) as year,
    cast(round(c.graduates_supplied, 4) as decimal(18, 4)) as graduates_supplied,
    cast(c.vacancy_headcount as bigint) as vacancy_headcount,
    cast(c.vacancy_postings as bigint) as vacancy_postings,
    cast(
        {{ safe_divide('c.vacancy_headcount', 'round(c.graduates_supplied, 4)') }} as double
    ) as demand_supply_ratio,
    cast(c.graduates_employed_in_industry as bigint) as graduates_employed_in_industry,
    cast(c.graduates_employed_major_related as bigint) as graduates_employed_major_related,
    cast(
        {{ safe_divide('c.graduates_employed_major_related', 'c.graduates_employed_fit_known') }} as double
    ) as major_fit_rate,
    cast('{{ var("bridge_version") }}' as string) as bridge_version,
    cast('{{ var("weighting_rule") }}' as string) as weighting_rule,
    {{ suppressed_columns() }}
from industry_counts as c
left join {{ ref('dim_region') }} as r on c.region_code = r.region_code
left join {{ ref('dim_industry') }} as i on c.industry_code = i.industry_code
