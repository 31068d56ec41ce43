-- 人才流向: school's region (prefecture-level city, and province roll-up) × major × graduation year.
-- Denominator of the retention/outflow rates: employed graduates (each graduate's latest record); of the
-- placement rates: the graduates surveyed in that round (初次 / 年终, macro survey_round), never pooled.
with graduates_by_school_region as (
    {{ graduates_by_school_region() }}
),

counts as (
    {{ school_region_counts('graduates_by_school_region') }}
),

published as (
    select
        c.*,
        r.region_name,
        m.major_name,
        {{ placement_rates('c') }},
        {{ safe_divide('c.employed_in_school_city', 'c.employed') }} as city_retention_rate,
        {{ safe_divide('c.employed_in_school_province', 'c.employed') }} as province_retention_rate,
        {{ safe_divide('c.employed_outside_province', 'c.employed') }} as outflow_rate,
        {{ safe_divide('c.employed_region_unknown', 'c.employed') }} as region_unknown_rate,
        'employed graduates' as rate_denominator
    from counts as c
    left join {{ ref('dim_region') }} as r on c.region_code = r.region_code
    left join {{ ref('dim_major') }} as m on c.major_code = m.major_code
)

select {{ contract_columns('published') }}
from published
