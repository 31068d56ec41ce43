-- 产业结构: per region (prefecture-level city and province), year and industry, the output value, value added and
-- employment the industry-output feed reports (annual periods only), and each industry's share of the region's
-- total. The industry is a GB/T 4754 门类 (industry_grain section), or a 三次产业 (sector: primary, secondary,
-- tertiary) where the delivery gave only the three sectors, as a statistical yearbook does: such a row stays at
-- that grain (seeds/vocabulary/industry_sectors.csv says which 门类 and 大类 make each sector; nothing is spread
-- over them). A 门类 reported as a whole (its letter) is taken as delivered; otherwise its 大类 rows are summed, so
-- a city that reports both is not counted twice. output_100m_cny is the gross output where the feed gave it, else
-- the value added; output_measure says which, and an absent figure is null, never 0. A province's row is the one
-- delivered for the province itself, else the sum of its cities' rows (cities_reported), null where a city summed
-- lacks the figure.
{%- set industry_key = ['region_level', 'region_code', 'year', 'industry_grain', 'industry_code'] %}
with sectors as (
    select distinct
        sector_code,
        label_zh as sector_name
    from {{ ref('industry_sectors') }}
),

section_sectors as (
    -- the 三次产业 of a 门类 (less the 大类 its sector excludes: 05, 11, 43 are tertiary)
    select
        industry_code as section_code,
        sector_code
    from {{ ref('industry_sectors') }}
    where industry_level = 'section'
),

annual as (
    select
        case when r.prefecture_code is not null then 'prefecture' else 'province' end as region_level,
        coalesce(r.prefecture_code, r.province_code) as region_code,
        cast(o.period as integer) as year,
        case when s.sector_code is not null then 'sector' else 'section' end as industry_grain,
        coalesce(s.sector_code, i.section_code) as industry_code,
        coalesce(i.industry_level, 'sector') as delivered_level,
        o.output_value_100m_cny,
        o.value_added_100m_cny,
        o.employment_10k
    from {{ ref('stg_industry_output') }} as o
    inner join {{ ref('dim_region_code_map') }} as r on o.region_code = r.region_code
    left join {{ ref('dim_industry') }} as i on o.industry_code = i.industry_code
    left join sectors as s on o.industry_code = s.sector_code
    where
        length(o.period) = 4
        and (r.prefecture_code is not null or r.current_region_level = 'province')
        and (i.industry_code is not null or s.sector_code is not null)
),

industries as (
    -- the industry's own row when it was reported (a 门类 letter or a sector), else the sum of its 大类
    select
        {{ industry_key | join(', ') }},
        count(case when delivered_level = 'division' then 1 end) as divisions_rows,
        count(case when delivered_level <> 'division' then 1 end) > 0 as reported_whole,
        sum(case when delivered_level <> 'division' then output_value_100m_cny end) as whole_output,
        sum(case when delivered_level <> 'division' then value_added_100m_cny end) as whole_value_added,
        sum(case when delivered_level <> 'division' then employment_10k end) as whole_employment,
        sum(case when delivered_level = 'division' then output_value_100m_cny end) as divisions_output,
        sum(case when delivered_level = 'division' then value_added_100m_cny end) as divisions_value_added,
        sum(case when delivered_level = 'division' then employment_10k end) as divisions_employment
    from annual
    group by all
),

reported as (
    -- the figures of a region × industry as published: reported whole, or the sum of its 大类
    select
        {{ industry_key | join(', ') }},
        case when reported_whole then whole_output else divisions_output end as output_value,
        case when reported_whole then whole_value_added else divisions_value_added end as value_added,
        case when reported_whole then whole_employment else divisions_employment end as employment,
        case when reported_whole then 0 else divisions_rows end as divisions_reported
    from industries
),

cities as (
    select
        *,
        cast(null as integer) as cities_reported
    from reported
    where region_level = 'prefecture'
),

delivered_provinces as (
    select *
    from reported
    where region_level = 'province'
),

summed_provinces as (
    -- a figure one of the summed cities lacks is null (a partial sum would understate it)
    select
        r.province_code,
        ct.year,
        ct.industry_grain,
        ct.industry_code,
        case when count(ct.output_value) = count(*) then sum(ct.output_value) end as output_value,
        case when count(ct.value_added) = count(*) then sum(ct.value_added) end as value_added,
        case when count(ct.employment) = count(*) then sum(ct.employment) end as employment,
        sum(ct.divisions_reported) as divisions_reported,
        count(*) as cities_reported
    from cities as ct
    inner join {{ ref('dim_region') }} as r on ct.region_code = r.region_code
    group by all
),

provinces as (
    -- delivered for the province itself, else summed over its cities
    select
        coalesce(p.region_code, c.province_code) as region_code,
        coalesce(p.year, c.year) as year,
        coalesce(p.industry_grain, c.industry_grain) as industry_grain,
        coalesce(p.industry_code, c.industry_code) as industry_code,
        case when p.region_code is not null then p.output_value else c.output_value end as output_value,
        case when p.region_code is not null then p.value_added else c.value_added end as value_added,
        case when p.region_code is not null then p.employment else c.employment end as employment,
        case when p.region_code is not null then p.divisions_reported else c.divisions_reported end
            as divisions_reported,
        case when p.region_code is not null then 0 else c.cities_reported end as cities_reported
    from delivered_provinces as p
    full join summed_provinces as c
        on
            p.region_code = c.province_code
            and p.year = c.year
            and p.industry_code = c.industry_code
),

regions as (
    select * from cities
    union all
    select
        'province' as region_level,
        region_code,
        year,
        industry_grain,
        industry_code,
        output_value,
        value_added,
        employment,
        divisions_reported,
        cities_reported
    from provinces
),

measured as (
    select
        *,
        coalesce(output_value, value_added) as output_figure,
        case
            when output_value is not null then 'gross_output'
            when value_added is not null then 'value_added'
        end as output_measure
    from regions
),

shares as (
    -- each share over the region's rows of the same grain (and, for output, the same measure)
    select
        *,
        {{ shares_over('wm', {'output_figure': 'output_share'}) }},
        {{ shares_over('w', {'value_added': 'value_added_share', 'employment': 'employment_share'}) }}
    from measured
    window
        w as (partition by region_level, region_code, year, industry_grain),
        wm as (partition by region_level, region_code, year, industry_grain, output_measure)
),

published as (
    select
        s.*,
        r.region_name,
        coalesce(i.industry_name, sec.sector_name) as industry_name,
        coalesce(ss.sector_code, sec.sector_code) as sector_code,
        s.output_figure as output_100m_cny,
        s.output_value as output_value_100m_cny,
        s.value_added as value_added_100m_cny,
        s.employment as employment_10k
    from shares as s
    left join {{ ref('dim_region') }} as r on s.region_code = r.region_code
    left join {{ ref('dim_industry') }} as i on s.industry_grain = 'section' and s.industry_code = i.industry_code
    left join sectors as sec on s.industry_grain = 'sector' and s.industry_code = sec.sector_code
    left join section_sectors as ss on s.industry_grain = 'section' and s.industry_code = ss.section_code
)

select {{ contract_columns('published') }}
from published
