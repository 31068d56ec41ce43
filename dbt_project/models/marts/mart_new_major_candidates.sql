-- 专业空白 / 新增专业建议: per prefecture-level city and year, the industries (GB/T 4754 大类) with vacancy demand of
-- at least var new_major_min_vacancy_headcount people and (almost) no graduate of the city's vocational schools
-- supplied to them through the major→industry bridge: graduates_supplied below var shortage_min_supply, the
-- supply under which the shortage lists (mart_shortage_industries) do not rank an industry — so every industry
-- with demand is on one list or the other. graduates_supplied = 0 (has_local_supply false): no local major that
-- serves them had graduates that year. bridged_major_categories says whether the catalogue has a 专业类 for the
-- industry at all (0: a gap of the bridge, not only of the city's offer). Ranked by demand within city and year;
-- ties by industry code.
with industry_counts as (
    -- demand and supply of each industry 大类 in a city or a province and year
    select
        region_level,
        region_code,
        code as industry_code,
        year,
        coalesce(vacancy_headcount, 0) as vacancy_headcount,
        coalesce(vacancy_postings, 0) as vacancy_postings,
        coalesce(graduates_supplied, 0) as graduates_supplied
    from {{ ref('int_talent_match_counts') }}
    where classification = 'industry' and code_level = 'division'
),

city_industries as (
    select
        region_code,
        industry_code,
        year,
        vacancy_headcount,
        vacancy_postings,
        graduates_supplied
    from industry_counts
    where region_level = 'prefecture'
),

province_supply as (
    select
        region_code as province_code,
        industry_code,
        year,
        graduates_supplied as province_graduates_supplied
    from industry_counts
    where region_level = 'province'
),

bridged as (
    select
        industry_code,
        count(distinct higher_major_category_code) as bridged_major_categories
    from {{ ref('bridge_major_industry') }}
    group by industry_code
),

gaps as (
    select
        c.*,
        r.region_name,
        r.province_code
    from city_industries as c
    left join {{ ref('dim_region') }} as r on c.region_code = r.region_code
    where
        c.graduates_supplied < {{ var('shortage_min_supply') }}
        and c.vacancy_headcount >= {{ var('new_major_min_vacancy_headcount') }}
),

published as (
    select
        g.region_code,
        g.region_name,
        g.province_code,
        g.industry_code,
        i.industry_name,
        i.section_code,
        g.year,
        row_number() over (
            partition by g.region_code, g.year
            order by g.vacancy_headcount desc, g.industry_code asc
        ) as candidate_rank,
        g.vacancy_headcount,
        g.vacancy_postings,
        round(g.graduates_supplied, 4) as graduates_supplied,
        g.graduates_supplied > 0 as has_local_supply,
        round(coalesce(p.province_graduates_supplied, 0), 4) as province_graduates_supplied,
        coalesce(b.bridged_major_categories, 0) as bridged_major_categories,
        'graduates_supplied < {{ var("shortage_min_supply") }} '
        || 'and vacancy_headcount >= {{ var("new_major_min_vacancy_headcount") }}' as listing_rule,
        {{ bridge_columns() }}
    from gaps as g
    left join province_supply as p
        on g.province_code = p.province_code and g.industry_code = p.industry_code and g.year = p.year
    left join bridged as b on g.industry_code = b.industry_code
    left join {{ ref('dim_industry') }} as i on g.industry_code = i.industry_code
)

select {{ contract_columns('published') }}
from published
