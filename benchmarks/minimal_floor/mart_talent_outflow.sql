select
    c.region_level, c.region_code, r.region_name, c.major_code,
    m.major_name,
    c.grad_year, c.graduates,
    c.graduates_initial_survey, c.placed_initial,
    c.placed_initial / nullif(c.graduates_initial_survey, 0)     as initial_placement_rate,
    c.graduates_year_end_survey, c.placed_year_end,
    c.placed_year_end / nullif(c.graduates_year_end_survey, 0)   as year_end_placement_rate,
    c.employed, c.employed_in_school_city, c.employed_in_school_province, c.employed_outside_province,
    c.employed_region_unknown,
    c.employed_in_school_city / nullif(c.employed, 0)      as city_retention_rate,
    c.employed_in_school_province / nullif(c.employed, 0)  as province_retention_rate,
    c.employed_outside_province / nullif(c.employed, 0)    as outflow_rate,
    c.employed_region_unknown / nullif(c.employed, 0)      as region_unknown_rate,
    'employed graduates'                                   as rate_denominator,
    ''                                                     as suppressed_columns
from school_region_counts c
left join {seeds}.ref_region r on r.region_code = c.region_code
left join major_names m on m.major_code = c.major_code
