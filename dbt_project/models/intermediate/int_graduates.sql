-- One row per graduate with every region resolved to today's codes and rolled up to
-- prefecture and province, the employer's industry at 大类 level, the occupation's 中类, and the major's 专业类.
-- Employed and placed: seeds/vocabulary/destination_types.csv; the major's level: major_levels.csv.
select
    g.graduate_id,
    g.grad_year,
    g.school_code,
    g.major_code,
    g.level,
    {{ higher_major_category('g.major_code', 'major_level') }} as higher_major_category_code,
    g.destination_type,
    coalesce(destination.is_employed, false) as is_employed,
    coalesce(destination.is_placed, false) as is_placed,
    {{ region_columns('school', 'school_') }},
    {{ region_columns('origin', 'origin_') }},
    {{ region_columns('employer', 'employer_') }},
    {{ activity_codes('g.employer_industry_code', 'g.occupation_code', industry_prefix='employer_') }},
    g.employer_enterprise_id,
    g.employer_is_partner,
    g.order_class,
    g.apprenticeship,
    g.major_related,
    g.monthly_salary_cny,
    g.survey_date
from {{ ref('stg_graduate_destinations') }} as g
{{ join_region('g.school_region_code', 'school') }}
{{ join_region('g.origin_region_code', 'origin') }}
{{ join_region('g.employer_region_code', 'employer') }}
{{ join_major_level('g.major_code', 'major_level') }}
left join {{ ref('destination_types') }} as destination on g.destination_type = destination.destination_type
