-- 人才流向: school's region (prefecture-level city, and province roll-up) × major × graduation year.
-- Denominator of the retention/outflow rates: employed graduates (each graduate's latest record); of the
-- placement rates: the graduates surveyed in that round (初次 / 年终, macro survey_round), never pooled.
with graduates_by_school_region as (
    {{ graduates_by_school_region() }}
),

counts as (
    {{ school_region_counts('graduates_by_school_region') }}
)

select
    cast(c.region_level as string) as region_level,
    cast(c.region_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(c.major_code as string) as major_code,
    cast(m.major_name as string) as major_name,
    cast(c.grad_year as integer) as grad_year,
    cast(c.graduates as bigint) as graduates,
    {{ placement_round_columns('c') }},
    cast(c.employed as bigint) as employed,
    cast(c.employed_in_school_city as bigint) as employed_in_school_city,
    cast(c.employed_in_school_province as bigint) as employed_in_school_province,
    cast(c.employed_outside_province as bigint) as employed_outside_province,
    cast(c.employed_region_unknown as bigint) as employed_region_unknown,
    cast({{ safe_divide('c.employed_in_school_city', 'c.employed') }} as double) as city_retention_rate,
    cast({{ safe_divide('c.employed_in_school_province', 'c.employed') }} as double) as province_retention_rate,
    cast({{ safe_divide('c.employed_outside_province', 'c.employed') }} as double) as outflow_rate,
    cast({{ safe_divide('c.employed_region_unknown', 'c.employed') }} as double) as region_unknown_rate,
    cast('employed graduates' as string) as rate_denominator,
    {{ suppressed_columns() }}
from counts as c
left join {{ ref('dim_region') }} as r on c.region_code = r.region_code
left join {{ ref('dim_major') }} as m on c.major_code = m.major_code
