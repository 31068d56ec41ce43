-- Every GB/T 2260 code since 1980 with the years it was valid (valid_to_year = the year it changed or was
-- retired; null = still in force) and the code in force today it resolves to.
select
    region_code,
    region_name,
    region_level,
    status,
    valid_from_year,
    valid_to_year,
    successor_codes,
    current_region_code,
    resolution
from {{ ref('ref_region_history') }}
