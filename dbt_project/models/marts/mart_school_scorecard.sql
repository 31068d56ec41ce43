-- 学校成效记分卡: school × graduation year. Local = the school's prefecture-level city (本地就业).
with grads as (
    select
        school_code,
        grad_year,
        min(school_prefecture_code)  -- one city per school; min() keeps a rebuild deterministic if not
            as region_code,
        sum(graduates) as graduates,
        {{ placement_round_counts() }},
        {{ graduates_where('is_employed') }} as employed,
        {{ graduates_where(
            'is_employed'
            ~ ' and employer_prefecture_code = school_prefecture_code'
        ) }} as employed_in_school_city,
        {{ graduates_where('is_employed and employer_is_partner') }} as partner_hires,
        {{ graduates_where(
            'is_employed'
            ~ ' and employer_is_partner'
            ~ ' and employer_prefecture_code = school_prefecture_code'
        ) }} as partner_hires_in_school_city,
        {{ graduates_where('is_employed and major_related is not null') }} as fit_known,
        {{ graduates_where('is_employed and major_related') }} as employed_major_related,
        {{ graduates_where('order_class') }} as order_class_graduates,
        {{ graduates_where(
            'order_class'
            ~ ' and is_employed'
            ~ ' and employer_is_partner'
        ) }} as order_class_partner_hires,
        {{ graduates_where('apprenticeship') }} as apprenticeship_graduates,
        {{ graduates_where(
            'apprenticeship'
            ~ ' and is_employed'
            ~ ' and employer_is_partner'
        ) }} as apprenticeship_partner_hires
    from {{ ref('int_graduates') }}
    group by school_code, grad_year
),

enrolment as (
    select
        school_code,
        year,
        min(school_name) as school_name,  -- deterministic if a school reports two names
        sum(enrolled_total) as enrolled_total,
        sum(expected_graduates) as expected_graduates,
        sum(order_class_enrolment) as order_class_enrolment,
        sum(apprenticeship_enrolment) as apprenticeship_enrolment
    from {{ ref('stg_enrolment') }}
    group by school_code, year
),

activity as (
    -- 技术服务 and 社会培训 of the school, every enterprise (and courses open to all)
    {{ partnership_activity_of('school_code') }}
),

published as (
    select
        g.*,
        e.school_name,
        r.region_name,
        {{ placement_rates('g') }},
        {{ safe_divide('g.employed_in_school_city', 'g.employed') }} as city_retention_rate,
        {{ safe_divide('g.partner_hires', 'g.employed') }} as partner_hire_rate,
        {{ safe_divide('g.employed_major_related', 'g.fit_known') }} as major_fit_rate,
        {{ safe_divide('g.order_class_partner_hires', 'g.order_class_graduates') }} as order_class_partner_hire_rate,
        {{ safe_divide('g.apprenticeship_partner_hires', 'g.apprenticeship_graduates') }}
            as apprenticeship_partner_hire_rate,
        e.enrolled_total,
        e.expected_graduates,
        e.order_class_enrolment,
        e.apprenticeship_enrolment,
        {{ partnership_activity_columns('a') }}
    from grads as g
    left join enrolment as e on g.school_code = e.school_code and g.grad_year = e.year
    left join activity as a on g.school_code = a.school_code and g.grad_year = a.calendar_year
    left join {{ ref('dim_region') }} as r on g.region_code = r.region_code
)

select {{ contract_columns('published') }}
from published
