-- GB/T 2260 regions in force today, with their province and prefecture-level parents.
select
    region_code,
    region_name,
    region_level,
    province_code,
    province_name,
    prefecture_code,
    prefecture_name
from {{ ref('ref_region') }}
