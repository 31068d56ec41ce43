-- talent_match (_common.sql) by industry (大类, and 门类), with the names of the cities and industries.
select
    c.region_level, c.region_code, r.region_name, r.province_code, c.code_level as industry_level,
    c.code as industry_code,
    -- the unmapped row (supply the bridge cannot place) is named as such and is its own 门类
    case when c.code = '{unmapped_code}' then '未能对应行业的毕业生 (graduates the major→industry bridge cannot place)'
         else i.industry_name end as industry_name,
    case when c.code = '{unmapped_code}' then c.code else i.section_code end as section_code,
    c.year, c.graduates_supplied, c.vacancy_headcount, c.vacancy_postings, c.vacancies_per_graduate,
    -- the benchmark raw zone holds postings only: no table of counts gives job seekers (no 求人倍率)
    0::bigint as job_seekers, 0::bigint as vacancies_with_job_seekers, null::double as job_vacancy_ratio,
    c.graduates_employed as graduates_employed_in_industry,
    c.employed_major_related, c.major_fit_rate, c.bridge_version, c.weighting_rule, c.suppressed_columns
from talent_match c
left join {seeds}.ref_region r on r.region_code = c.region_code
left join {seeds}.ref_industry i on i.industry_code = c.code
where c.classification = 'industry'
