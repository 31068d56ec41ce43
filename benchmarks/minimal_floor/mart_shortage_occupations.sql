-- 紧缺职业目录: the occupation rows of shortage_listed (_common.sql), named. The MOHRSS 最缺工 rule (ranking_basis
-- 'job_seekers') ranks only cells that deliver job seekers; the benchmark raw zone holds postings only (no table
-- of counts gives 求职人数, as in mart_talent_match_occupation), so every row is listed and ranked by the graduate
-- rule, with 0 job seekers and no job-seeker gap or 求人倍率.
select region_level, region_code, region_name, year, code as occupation_code, n.occupation_name,
       'graduates_supplied' as ranking_basis, shortage_rank, shortage_level, vacancy_headcount, graduates_supplied,
       shortage_gap, vacancies_per_graduate,
       0::bigint as job_seekers, 0::bigint as vacancies_with_job_seekers, null::bigint as job_seeker_gap,
       null::double as job_vacancy_ratio,
       listing_rule || ' (no job seekers delivered)' as listing_rule, bridge_version, weighting_rule,
       suppressed_columns
from shortage_listed l left join {seeds}.ref_occupation n on n.occupation_code = l.code
where classification = 'occupation_sub_major_group'
