-- 紧缺职业目录: per city and province and year, the occupations (大典 2022 中类) whose demand outruns the job seekers
-- (where a public employment service table delivers them: the MOHRSS 最缺工 rule) or else the vocational graduate
-- supply, ranked by the gap (macro shortage_list: the method, both rules and their thresholds).
{{ shortage_list('mart_talent_match_occupation', 'occupation_level', 'sub_major_group',
                 'occupation_code', 'occupation_name', with_job_seekers=true) }}
