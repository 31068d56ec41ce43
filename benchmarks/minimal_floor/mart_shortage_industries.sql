-- 紧缺产业目录: the industry rows of shortage_listed (_common.sql), named.
select region_level, region_code, region_name, year, code as industry_code, n.industry_name, shortage_rank,
       shortage_level, vacancy_headcount, graduates_supplied, shortage_gap, vacancies_per_graduate, listing_rule,
       bridge_version, weighting_rule, suppressed_columns
from shortage_listed l left join {seeds}.ref_industry n on n.industry_code = l.code
where classification = 'industry_division'
