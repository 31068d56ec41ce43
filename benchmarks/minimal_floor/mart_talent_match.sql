-- Supply (graduates through the major→industry bridge), vacancy demand and graduate employment in one
-- union, rolled up once by grouping sets: region (city, province) × industry (大类, 门类) × year. A cell
-- exists where any of the three has a row.
select
    c.region_level, c.region_code, r.region_name, r.province_code, c.industry_level, c.industry_code,
    i.industry_name, i.section_code, c.year,
    round(c.graduates_supplied, 4)                                                    as graduates_supplied,
    c.vacancy_headcount, c.vacancy_postings,
    c.vacancy_headcount / nullif(cast(round(c.graduates_supplied, 4) as double), 0)   as demand_supply_ratio,
    c.graduates_employed_in_industry, c.graduates_employed_major_related,
    c.graduates_employed_major_related / nullif(c.fit_known, 0)                       as major_fit_rate,
    '{bridge_version}'                                                                as bridge_version,
    '{weighting_rule}'                                                                as weighting_rule,
    ''                                                                                as suppressed_columns
from (
    select
        case when grouping(prefecture_code) = 0 then 'prefecture' else 'province' end     as region_level,
        case when grouping(prefecture_code) = 0 then prefecture_code else province_code end as region_code,
        case when grouping(division_code) = 0 then 'division' else 'section' end         as industry_level,
        case when grouping(division_code) = 0 then division_code else section_code end   as industry_code,
        year,
        coalesce(sum(weight), 0)                                                          as graduates_supplied,
        coalesce(sum(headcount), 0)                                                       as vacancy_headcount,
        count(*) filter (where is_posting)                                                as vacancy_postings,
        count(*) filter (where is_employment)                                             as graduates_employed_in_industry,
        count(*) filter (where is_employment and major_related is not null)               as fit_known,
        count(*) filter (where is_employment and major_related)                           as graduates_employed_major_related
    from (
        select g.school_prefecture_code as prefecture_code, g.school_province_code as province_code,
               b.industry_code as division_code, g.grad_year as year,
               cast(b.weight as decimal(38, 18)) as weight, null::bigint as headcount,
               false as is_posting, false as is_employment, null::boolean as major_related
        from graduates g
        join {seeds}.bridge_major_category_industry b
          on b.major_category_code = g.higher_major_category_code and b.mapping_version = '{bridge_version}'
        where g.school_prefecture_code is not null
        union all
        select prefecture_code, province_code, industry_division_code, posted_year, null, headcount,
               true, false, null
        from vacancies
        where prefecture_code is not null
        union all
        select employer_prefecture_code, employer_province_code, employer_industry_division_code, grad_year,
               null, null, false, true, major_related
        from graduates
        where is_employed and employer_prefecture_code is not null
    ) u
    join (select industry_code, section_code from {seeds}.ref_industry) ind on ind.industry_code = u.division_code
    group by grouping sets (
        (prefecture_code, province_code, division_code, section_code, year),
        (province_code, division_code, section_code, year),
        (prefecture_code, province_code, section_code, year),
        (province_code, section_code, year))
) c
left join {seeds}.ref_region r on r.region_code = c.region_code
left join {seeds}.ref_industry i on i.industry_code = c.industry_code
