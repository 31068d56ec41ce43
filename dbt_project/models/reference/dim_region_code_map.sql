-- Any GB/T 2260 code ever issued (since 1980) → the code in force today, with its parents.
-- A code in force today maps to itself; a retired code follows its successors (first listed
-- successor where an area was split: resolution = 'split'); codes with no successor stay unresolved.
with history as (
    select
        region_code,
        max(current_region_code) filter (where current_region_code is not null) as current_region_code,
        case
            when bool_or(resolution = 'in_force') then 'in_force'
            when bool_or(resolution = 'successor') then 'successor'
            when bool_or(resolution = 'split') then 'split'
            else 'unresolved'
        end as resolution
    from {{ ref('ref_region_history') }}
    group by region_code
),

all_codes as (
    select
        region_code,
        region_code as current_region_code,
        'in_force' as resolution
    from {{ ref('ref_region') }}
    union all
    select
        h.region_code,
        h.current_region_code,
        h.resolution
    from history as h
    where h.region_code not in (select in_force.region_code from {{ ref('ref_region') }} as in_force)
)

select
    a.region_code,
    a.current_region_code,
    a.resolution,
    r.region_level as current_region_level,
    r.prefecture_code,
    r.province_code
from all_codes as a
left join {{ ref('ref_region') }} as r on a.current_region_code = r.region_code
