-- Each employed graduate counts once for each distinct city among its school's, its origin's and its
-- employer's (the model joins every city to the graduates touching it; the same pairs, without the join).
select
    c.region_code, r.region_name, r.province_code, c.grad_year,
    c.employed, c.employed_in_school_city, c.employed_in_school_city / nullif(c.employed, 0) as city_retention_rate,
    c.origin_graduates_employed, c.employed_in_origin,
    c.employed_in_origin / nullif(c.origin_graduates_employed, 0)                         as origin_return_rate,
    c.studied_elsewhere_employed, c.returned,
    c.returned / nullif(c.studied_elsewhere_employed, 0)                                  as return_rate,
    c.employed_in_region, c.came_in, c.came_in / nullif(c.employed_in_region, 0)          as inflow_share,
    (c.employed_in_school_city / nullif(c.employed, 0) + c.returned / nullif(c.studied_elsewhere_employed, 0)
     + c.came_in / nullif(c.employed_in_region, 0)) / 3.0                                 as attraction_index,
    ''                                                                                     as suppressed_columns
from (
    select
        region_code, grad_year,
        count(*) filter (where school_prefecture_code = region_code)                        as employed,
        count(*) filter (where school_prefecture_code = region_code
                           and employer_prefecture_code = region_code)                      as employed_in_school_city,
        count(*) filter (where origin_prefecture_code = region_code)                        as origin_graduates_employed,
        count(*) filter (where origin_prefecture_code = region_code
                           and employer_prefecture_code = region_code)                      as employed_in_origin,
        count(*) filter (where origin_prefecture_code = region_code
                           and school_prefecture_code is distinct from region_code)         as studied_elsewhere_employed,
        count(*) filter (where origin_prefecture_code = region_code
                           and school_prefecture_code is distinct from region_code
                           and employer_prefecture_code = region_code)                      as returned,
        count(*) filter (where employer_prefecture_code = region_code)                      as employed_in_region,
        count(*) filter (where employer_prefecture_code = region_code
                           and school_prefecture_code is distinct from region_code
                           and origin_prefecture_code is distinct from region_code)         as came_in
    from (
        select grad_year, school_prefecture_code, origin_prefecture_code, employer_prefecture_code,
               unnest(list_distinct(list_filter(
                   [school_prefecture_code, origin_prefecture_code, employer_prefecture_code],
                   x -> x is not null))) as region_code
        from graduates
        where is_employed
    )
    group by region_code, grad_year
) c
left join {seeds}.ref_region r on r.region_code = c.region_code
