-- One row per graduate with every region resolved to today's codes and rolled up to
-- prefecture and province, the employer's industry at 大类 level, the occupation's 中类, and the major's 专业类.
select
    g.graduate_id,
    g.grad_year,
    g.school_code,
    g.major_code,
    g.level,
    {{ higher_major_category('g.major_code') }}     as higher_major_category_code,
    g.destination_type,
    {{ is_employed('g.destination_type') }}         as is_employed,
    {{ is_placed('g.destination_type') }}           as is_placed,
    school.current_region_code                      as school_region_code,
    school.prefecture_code                          as school_prefecture_code,
    school.province_code                            as school_province_code,
    origin.current_region_code                      as origin_region_code,
    origin.prefecture_code                          as origin_prefecture_code,
    origin.province_code                            as origin_province_code,
    employer.current_region_code                    as employer_region_code,
    employer.prefecture_code                        as employer_prefecture_code,
    employer.province_code                          as employer_province_code,
    substr(g.employer_industry_code, 1, 2)          as employer_industry_division_code,
    g.occupation_code,
    substr(g.occupation_code, 1, 4)                 as occupation_sub_major_group_code,
    g.employer_enterprise_id,
    g.employer_is_partner,
    g.order_class,
    g.apprenticeship,
    g.major_related,
    g.monthly_salary_cny,
    g.survey_date
from {{ ref('stg_graduate_destinations') }} g
left join {{ ref('dim_region_code_map') }} school   on school.region_code = g.school_region_code
left join {{ ref('dim_region_code_map') }} origin   on origin.region_code = g.origin_region_code
left join {{ ref('dim_region_code_map') }} employer on employer.region_code = g.employer_region_code
