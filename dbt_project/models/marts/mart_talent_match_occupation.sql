-- 人才供需匹配（职业）: region (prefecture and province roll-up) × occupation (大典 2022 中类, and 大类 roll-up)
-- × year. Counts from int_talent_match_counts: supply through the major→occupation bridge, demand from the
-- vacancies' occupation_code, employment from the graduates' occupation_code. A cell without supply, demand
-- or employment counts 0, as in mart_talent_match: demand_supply_ratio is 0 where there is supply and no
-- posting names the occupation (the over-supply cells), null only where there is no supply.
with occupation_counts as (
    select
        region_level,
        region_code,
        code_level as occupation_level,
        code as occupation_code,
        year,
        coalesce(graduates_supplied, 0) as graduates_supplied,
        coalesce(vacancy_headcount, 0) as vacancy_headcount,
        coalesce(graduates_employed, 0) as graduates_employed_in_occupation,
        coalesce(graduates_employed_fit_known, 0) as graduates_employed_fit_known,
        coalesce(graduates_employed_major_related, 0) as graduates_employed_major_related
    from {{ ref('int_talent_match_counts') }}
    where classification = 'occupation'
)

select
    cast(c.region_level as string) as region_level,
    cast(c.region_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(c.occupation_level as string) as occupation_level,
    cast(c.occupation_code as string) as occupation_code,
    cast(o.occupation_name as string) as occupation_name,
    cast(c.year as integer) as year,
    cast(round(c.graduates_supplied, 4) as decimal(18, 4)) as graduates_supplied,
    cast(c.vacancy_headcount as bigint) as vacancy_headcount,
    cast(
        {{ safe_divide('c.vacancy_headcount', 'round(c.graduates_supplied, 4)') }} as double
    ) as demand_supply_ratio,
    cast(c.graduates_employed_in_occupation as bigint) as graduates_employed_in_occupation,
    cast(c.graduates_employed_major_related as bigint) as graduates_employed_major_related,
    cast(
        {{ safe_divide('c.graduates_employed_major_related', 'c.graduates_employed_fit_known') }} as double
    ) as major_fit_rate,
    cast('{{ var("bridge_version") }}' as string) as bridge_version,
    cast('{{ var("weighting_rule") }}' as string) as weighting_rule,
    {{ suppressed_columns() }}
from occupation_counts as c
left join {{ ref('dim_region') }} as r on c.region_code = r.region_code
left join {{ ref('dim_occupation') }} as o on c.occupation_code = o.occupation_code
