-- 紧缺职业目录: per city and province and year, the occupations (大典 2022 中类) whose demand outruns the vocational
-- graduate supply, ranked by the gap (macro shortage_list: the method and its thresholds).
{{ shortage_list('mart_talent_match_occupation', 'occupation_level', 'sub_major_group',
                 'occupation_code', 'occupation_name') }}
