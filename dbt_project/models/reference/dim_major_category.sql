-- 专业类 (4 digits) and their 专业大类 (2 digits) at each of the three levels of the 2021 catalogue:
-- 高职专科 41–59 as transcribed; 中职 61–79 and 职业本科 21–39 are the same categories offset by ∓20
-- (the levels and their offsets: seeds/vocabulary/major_levels.csv).
select
    major_level.level,
    lpad(cast(cast(substr(c.major_category_code, 1, 2) as integer) - major_level.higher_offset as string), 2, '0')
    || substr(c.major_category_code, 3, 2) as major_category_code,
    c.major_category_name,
    lpad(cast(cast(c.major_division_code as integer) - major_level.higher_offset as string), 2, '0')
        as major_division_code,
    c.major_division_name,
    c.major_category_code as higher_major_category_code
from {{ ref('major_category_higher') }} as c
cross join {{ ref('major_levels') }} as major_level
