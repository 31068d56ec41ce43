-- 专业空白: per prefecture-level city and year, the industries (大类) with at least {new_major_min_vacancy_headcount}
-- people wanted and a supply of the city's vocational graduates (talent_match, _common.sql, unrounded) below
-- {shortage_min_supply}, the supply under which the shortage lists rank nothing; ranked by demand (ties: the
-- code). Beside it the province's supply and how many 专业类 the bridge maps to the industry at all.
select
    c.region_code, r.region_name, r.province_code, c.code as industry_code, i.industry_name, i.section_code, c.year,
    row_number() over (partition by c.region_code, c.year order by c.vacancy_headcount desc, c.code)
                                                                            as candidate_rank,
    c.vacancy_headcount, c.vacancy_postings,
    round(c.exact_supply, 4)                                                as graduates_supplied,
    c.exact_supply > 0                                                      as has_local_supply,
    round(coalesce(p.exact_supply, 0), 4)                                   as province_graduates_supplied,
    coalesce(b.major_categories, 0)                                         as bridged_major_categories,
    'graduates_supplied < {shortage_min_supply} and vacancy_headcount >= {new_major_min_vacancy_headcount}'
                                                                            as listing_rule,
    '{bridge_version}' as bridge_version, '{weighting_rule}' as weighting_rule, '' as suppressed_columns
from talent_match c
left join {seeds}.ref_region r on r.region_code = c.region_code
left join talent_match p
  on p.classification = 'industry' and p.code_level = 'division' and p.region_level = 'province'
 and p.region_code = r.province_code and p.code = c.code and p.year = c.year
left join (
    select industry_code, count(distinct major_category_code) as major_categories
    from {seeds}.bridge_major_category_industry
    where mapping_version = '{bridge_version}'
    group by industry_code
) b on b.industry_code = c.code
left join {seeds}.ref_industry i on i.industry_code = c.code
where c.classification = 'industry' and c.code_level = 'division' and c.region_level = 'prefecture'
  and c.exact_supply < {shortage_min_supply} and c.vacancy_headcount >= {new_major_min_vacancy_headcount}
