-- 产业结构: per prefecture-level city, year and GB/T 4754 门类, the output value, value added and employment
-- the industry-output feed reports (annual periods only), and each 门类's share of the city's total. A 门类
-- reported as a whole (its letter) is taken as delivered; otherwise its 大类 rows are summed, so a city that
-- reports both is not counted twice.
with annual as (
    select
        r.prefecture_code as region_code,
        cast(o.period as integer) as year,
        i.section_code,
        i.industry_level,
        o.output_value_100m_cny,
        o.value_added_100m_cny,
        o.employment_10k
    from {{ ref('stg_industry_output') }} as o
    inner join {{ ref('dim_region_code_map') }} as r on o.region_code = r.region_code
    inner join {{ ref('dim_industry') }} as i on o.industry_code = i.industry_code
    where length(o.period) = 4 and r.prefecture_code is not null
),

sections as (
    -- the section's own row when it was reported, else the sum of its divisions
    select
        region_code,
        year,
        section_code,
        count(case when industry_level = 'section' then 1 end) > 0 as reported_as_section,
        count(case when industry_level <> 'section' then 1 end) as divisions_rows,
        sum(case when industry_level = 'section' then output_value_100m_cny end) as section_output,
        sum(case when industry_level = 'section' then value_added_100m_cny end) as section_value_added,
        sum(case when industry_level = 'section' then employment_10k end) as section_employment,
        sum(case when industry_level <> 'section' then output_value_100m_cny end) as divisions_output,
        sum(case when industry_level <> 'section' then value_added_100m_cny end) as divisions_value_added,
        sum(case when industry_level <> 'section' then employment_10k end) as divisions_employment
    from annual
    group by region_code, year, section_code
),

chosen as (
    select
        region_code,
        year,
        section_code,
        case when reported_as_section then section_output else divisions_output end as output_value,
        case when reported_as_section then section_value_added else divisions_value_added end as value_added,
        case when reported_as_section then section_employment else divisions_employment end as employment,
        case when reported_as_section then 0 else divisions_rows end as divisions_reported
    from sections
),

shares as (
    select
        *,
        {{ safe_divide("output_value", "sum(output_value) over w") }} as output_share,
        {{ safe_divide("value_added", "sum(value_added) over w") }} as value_added_share,
        {{ safe_divide("employment", "sum(employment) over w") }} as employment_share
    from chosen
    window w as (partition by region_code, year)
)

select
    cast(s.region_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(s.year as integer) as year,
    cast(s.section_code as string) as section_code,
    cast(i.industry_name as string) as section_name,
    cast(s.output_value as double) as output_value_100m_cny,
    cast(s.value_added as double) as value_added_100m_cny,
    cast(s.employment as double) as employment_10k,
    cast(s.output_share as double) as output_share,
    cast(s.value_added_share as double) as value_added_share,
    cast(s.employment_share as double) as employment_share,
    cast(s.divisions_reported as integer) as divisions_reported,
    {{ suppressed_columns() }}
from shares as s
left join {{ ref('dim_region') }} as r on s.region_code = r.region_code
left join {{ ref('dim_industry') }} as i on s.section_code = i.industry_code
