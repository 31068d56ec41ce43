-- talent_match (_common.sql) by occupation (大典 2022 中类, and 大类): supply through the major→occupation
-- bridge, demand from the postings' occupation, employment from the graduates' occupation. As in the industry
-- mart, a cell with supply and no demand has vacancies_per_graduate 0; without employment it has no major_fit_rate.
select
    c.region_level, c.region_code, r.region_name, c.code_level as occupation_level, c.code as occupation_code,
    case when c.code = '{unmapped_code}'  -- the unmapped row: supply the bridge cannot place
         then '未能对应职业的毕业生 (graduates the major→occupation bridge cannot place)' else o.occupation_name end
        as occupation_name,
    c.year, c.graduates_supplied, c.vacancy_headcount, c.vacancies_per_graduate,
    -- the benchmark raw zone holds postings only: no table of counts gives job seekers (no 求人倍率)
    0::bigint as job_seekers, 0::bigint as vacancies_with_job_seekers, null::double as job_vacancy_ratio,
    c.graduates_employed as graduates_employed_in_occupation, c.employed_major_related,
    c.major_fit_rate, c.bridge_version, c.weighting_rule, c.suppressed_columns
from talent_match c
left join {seeds}.ref_region r     on r.region_code = c.region_code
left join {seeds}.ref_occupation o on o.occupation_code = c.code
where c.classification = 'occupation'
