-- 人才供需匹配: region (prefecture-level city, and province roll-up) × industry (GB/T 4754 大类, and 门类
-- roll-up) × year. Counts from int_talent_match_counts; ratios defined here, once.
select
    cast(c.region_level as string)                                       as region_level,
    cast(c.region_code as string)                                        as region_code,
    cast(r.region_name as string)                                        as region_name,
    cast(r.province_code as string)                                      as province_code,
    cast(c.industry_level as string)                                     as industry_level,
    cast(c.industry_code as string)                                      as industry_code,
    cast(i.industry_name as string)                                      as industry_name,
    cast(i.section_code as string)                                       as section_code,
    cast(c.year as integer)                                               as year,
    cast(round(c.graduates_supplied, 4) as decimal(18, 4))                as graduates_supplied,
    cast(c.vacancy_headcount as bigint)                                   as vacancy_headcount,
    cast(c.vacancy_postings as bigint)                                    as vacancy_postings,
    cast({{ safe_divide('c.vacancy_headcount', 'round(c.graduates_supplied, 4)') }} as double) as demand_supply_ratio,
    cast(c.graduates_employed_in_industry as bigint)                      as graduates_employed_in_industry,
    cast(c.graduates_employed_major_related as bigint)                    as graduates_employed_major_related,
    cast({{ safe_divide('c.graduates_employed_major_related', 'c.graduates_employed_fit_known') }} as double)
                                                                          as major_fit_rate,
    cast('{{ var("bridge_version") }}' as string)                        as bridge_version,
    cast('{{ var("weighting_rule") }}' as string)                        as weighting_rule,
    {{ suppressed_columns() }}
from {{ ref('int_talent_match_counts') }} c
left join {{ ref('dim_region') }} r   on r.region_code = c.region_code
left join {{ ref('dim_industry') }} i on i.industry_code = c.industry_code
