-- 职业分类大典 2022, 大类 (major_group) to 细类 (unit).
select
    occupation_code,
    occupation_name,
    occupation_level,
    parent_occupation_code,
    gbm_code,
    split_part(occupation_code, '-', 1) as major_group_code
from {{ ref('ref_occupation') }}
