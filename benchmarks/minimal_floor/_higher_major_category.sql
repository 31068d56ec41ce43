-- Helper (inlined where it is named): the 高职专科 专业类 (4 digits) of a major code of any level: 中职 (大类
-- 61–79) and 职业本科 (21–39) categories are the 高职 ones offset by ∓20; any other code keeps its first four.
case when cast(substr({major_code}, 1, 2) as integer) between 61 and 79
         then lpad(cast(cast(substr({major_code}, 1, 2) as integer) - 20 as varchar), 2, '0')
              || substr({major_code}, 3, 2)
     when cast(substr({major_code}, 1, 2) as integer) between 21 and 39
         then lpad(cast(cast(substr({major_code}, 1, 2) as integer) + 20 as varchar), 2, '0')
              || substr({major_code}, 3, 2)
     else substr({major_code}, 1, 4) end
