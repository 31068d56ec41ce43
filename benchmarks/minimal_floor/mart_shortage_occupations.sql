-- 紧缺职业目录: the occupation rows of shortage_listed (_common.sql), named.
select region_level, region_code, region_name, year, code as occupation_code, n.occupation_name, shortage_rank,
       shortage_level, vacancy_headcount, graduates_supplied, shortage_gap, vacancies_per_graduate, listing_rule,
       bridge_version, weighting_rule, suppressed_columns
from shortage_listed l left join {seeds}.ref_occupation n on n.occupation_code = l.code
where classification = 'occupation_sub_major_group'
