select
    c.region_level, c.region_code, r.region_name, c.major_code,
    coalesce(mo.major_name, mh.major_name)                 as major_name,
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
from (
    select
        case when grouping(school_prefecture_code) = 0 then 'prefecture' else 'province' end as region_level,
        case when grouping(school_prefecture_code) = 0 then school_prefecture_code
             else school_province_code end                                                as region_code,
        major_code, grad_year,
        count(*)                                                                          as graduates,
        {placement_rounds()}
        count(*) filter (where is_employed)                                               as employed,
        -- at province level "the school's city" is any city of the province
        case when grouping(school_prefecture_code) = 0
             then count(*) filter (where is_employed and employer_prefecture_code = school_prefecture_code)
             else count(*) filter (where is_employed and employer_province_code = school_province_code)
        end                                                                               as employed_in_school_city,
        count(*) filter (where is_employed and employer_province_code = school_province_code)
                                                                                          as employed_in_school_province,
        count(*) filter (where is_employed and employer_province_code <> school_province_code)
                                                                                          as employed_outside_province,
        count(*) filter (where is_employed and employer_province_code is null)            as employed_region_unknown
    from graduates
    where school_prefecture_code is not null
    group by grouping sets ((school_prefecture_code, school_province_code, major_code, grad_year),
                            (school_province_code, major_code, grad_year))
) c
left join {seeds}.ref_region r on r.region_code = c.region_code
left join {seeds}.major_catalogue_official mo on mo.major_code = c.major_code
left join {seeds}.major_higher mh on mh.major_code = c.major_code and mo.major_code is null
