-- 企业需求清单: the postings (each once: the latest delivery) of one enterprise × workplace city × industry 大类 ×
-- occupation × level asked × posting year as one line: postings, people wanted, the monthly salary range offered
-- and the first and last posting date. Postings whose workplace resolves to no prefecture-level city are on no
-- list. Postings only: vacancies delivered as counts carry no enterprise (the model's not_covered).
select
    v.enterprise_id, max(v.enterprise_name)            as enterprise_name,
    v.prefecture_code as region_code, r.region_name,
    v.industry_division_code as industry_code, i.industry_name,
    v.occupation_code, o.occupation_name,
    v.required_level, l.label_zh as required_level_name,
    v.posted_year as year,
    count(*)                                            as vacancy_postings,
    sum(v.headcount)                                    as vacancy_headcount,
    min(v.salary_min_cny)                               as salary_min_cny,
    max(v.salary_max_cny)                               as salary_max_cny,
    min(v.posted_date)                                  as first_posted_date,
    max(v.posted_date)                                  as last_posted_date,
    ''                                                  as suppressed_columns
from vacancies v
left join {seeds}.ref_region r      on r.region_code = v.prefecture_code
left join {seeds}.ref_industry i    on i.industry_code = v.industry_division_code
left join {seeds}.ref_occupation o  on o.occupation_code = v.occupation_code
left join {seeds}.major_levels l    on l.level = v.required_level
where v.prefecture_code is not null
group by all
