-- 紧缺产业目录: per city and province and year, the industries (GB/T 4754 大类) whose demand outruns the vocational
-- graduate supply, ranked by the gap (macro shortage_list: the method and its thresholds).
{{ shortage_list('mart_talent_match', 'industry_level', 'division', 'industry_code', 'industry_name') }}
