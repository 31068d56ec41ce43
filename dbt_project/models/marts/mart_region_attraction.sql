-- 人才吸引力: prefecture-level city × graduation year, from the three flows of employed graduates:
-- employed_in_school_city (stayed: studied here, work here), returned (from here, studied elsewhere, work here),
-- came in (neither from here nor studied here, work here). Formulas in docs/indicators.md.
with employed as (
    select
        grad_year,
        origin_prefecture_code,
        school_prefecture_code,
        employer_prefecture_code,
        graduates
    from {{ ref('int_graduates') }}
    where is_employed and graduates > 0
),

employed_by_region as (
    -- each employed row once for every distinct city it involves (where the graduate studied, comes from or
    -- works): the cities × years of the mart are those in some employed row. Matching every row against
    -- every city of its year instead (a join on `city in (school, origin, employer)`) compared each of the
    -- millions of rows with every city and took 16 s of 10M graduates at scale L (docs/performance.md)
    select
        school_prefecture_code as region_code,
        *
    from employed
    where school_prefecture_code is not null
    union all
    select
        origin_prefecture_code,
        *
    from employed
    where
        origin_prefecture_code is not null
        and origin_prefecture_code is distinct from school_prefecture_code
    union all
    select
        employer_prefecture_code,
        *
    from employed
    where
        employer_prefecture_code is not null
        and employer_prefecture_code is distinct from school_prefecture_code
        and employer_prefecture_code is distinct from origin_prefecture_code
),

counts as (
    select
        e.region_code,
        e.grad_year,
        {{ graduates_where('e.school_prefecture_code = e.region_code') }} as employed,
        {{ graduates_where(
            'e.school_prefecture_code = e.region_code'
            ~ ' and e.employer_prefecture_code = e.region_code'
        ) }} as employed_in_school_city,
        {{ graduates_where('e.origin_prefecture_code = e.region_code') }} as origin_graduates_employed,
        {{ graduates_where(
            'e.origin_prefecture_code = e.region_code'
            ~ ' and e.employer_prefecture_code = e.region_code'
        ) }} as employed_in_origin,
        {{ graduates_where(
            'e.origin_prefecture_code = e.region_code'
            ~ ' and e.school_prefecture_code is distinct from e.region_code'
        ) }} as studied_elsewhere_employed,
        {{ graduates_where(
            'e.origin_prefecture_code = e.region_code'
            ~ ' and e.school_prefecture_code is distinct from e.region_code'
            ~ ' and e.employer_prefecture_code = e.region_code'
        ) }} as returned,
        {{ graduates_where('e.employer_prefecture_code = e.region_code') }} as employed_in_region,
        {{ graduates_where(
            'e.employer_prefecture_code = e.region_code'
            ~ ' and e.school_prefecture_code is distinct from e.region_code'
            ~ ' and e.origin_prefecture_code is distinct from e.region_code'
        ) }} as came_in
    from employed_by_region as e
    group by e.region_code, e.grad_year
),

rates as (
    select
        *,
        {{ safe_divide('employed_in_school_city', 'employed') }} as city_retention_rate,
        {{ safe_divide('employed_in_origin', 'origin_graduates_employed') }} as origin_return_rate,
        {{ safe_divide('returned', 'studied_elsewhere_employed') }} as return_rate,
        {{ safe_divide('came_in', 'employed_in_region') }} as inflow_share
    from counts
),

published as (
    select
        t.*,
        r.region_name,
        r.province_code,
        (t.city_retention_rate + t.return_rate + t.inflow_share) / 3.0 as attraction_index
    from rates as t
    left join {{ ref('dim_region') }} as r on t.region_code = r.region_code
)

select {{ contract_columns('published') }}
from published
