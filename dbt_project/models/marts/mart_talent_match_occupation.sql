-- 人才供需匹配（职业）: region (prefecture and province roll-up) × occupation (大典 2022 中类, and 大类 roll-up)
-- × year. Counts from int_talent_match_counts: supply through the major→occupation bridge, demand from the
-- vacancies' occupation_code, employment from the graduates' occupation_code. Columns and ratios as in
-- mart_talent_match (macros/talent_match.sql): vacancies_per_graduate is 0 where there is supply and no posting
-- names the occupation (the over-supply cells), null only where there is no supply.
{{ talent_match_mart('occupation') }}
