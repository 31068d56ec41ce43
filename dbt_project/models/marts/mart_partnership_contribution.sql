-- 区域产业贡献度: what each school–enterprise partnership brought its region, by calendar year. A partnership is
-- a school and an enterprise that graduates' records name as the school's partner, that the school delivered a
-- technical service to, or that it trained staff for. Parts: 本地就业人数 (graduates of the school employed by
-- the enterprise in the school's city), 技术服务产值 (contract value of projects started, terminated ones
-- left out), 学生岗位适配率 (major-related share of its hires whose fit is known); beside them training
-- person-times and certificates. The index weighs each part scaled to the best partnership of the same city
-- and year (dbt vars contribution_weight_*), over the parts that are defined.
with hires as (
    {{ enterprise_hires([
        'school_code',
        'employer_enterprise_id as enterprise_id',
        'grad_year as calendar_year',
        'bool_or(employer_is_partner) as named_as_partner',
    ]) }}
),

activity as (
    -- the sums of technical services and training: int_partnership_activity, the one place they are computed
    select *
    from {{ ref('int_partnership_activity') }}
    where enterprise_id is not null
),

partnerships as (
    select
        school_code,
        enterprise_id,
        calendar_year
    from hires
    where named_as_partner
    union
    select
        school_code,
        enterprise_id,
        calendar_year
    from activity
),

school_cities as (
    select
        school_code,
        min(school_prefecture_code) as region_code
    from {{ ref('int_graduates') }}
    group by all
),

parts as (
    select
        p.school_code,
        p.enterprise_id,
        p.calendar_year,
        c.region_code,
        coalesce(h.graduates_hired, 0) as graduates_hired,
        coalesce(h.hires_in_school_city, 0) as hires_in_school_city,
        coalesce(h.employed_major_related, 0) as employed_major_related,
        {{ safe_divide('h.employed_major_related', 'h.hires_fit_known') }} as job_fit_rate,
        coalesce(a.service_projects, 0) as service_projects,
        coalesce(a.technical_service_value_10k_cny, 0) as technical_service_value_10k_cny,
        coalesce(a.training_courses, 0) as training_courses,
        coalesce(a.training_person_times, 0) as training_person_times,
        coalesce(a.certificates_awarded, 0) as certificates_awarded
    from partnerships as p
    left join school_cities as c using (school_code)
    left join hires as h using (school_code, enterprise_id, calendar_year)
    left join activity as a using (school_code, enterprise_id, calendar_year)
),

scored as (
    select
        *,
        {{ safe_divide(
            'hires_in_school_city',
            'max(hires_in_school_city) over (partition by region_code, calendar_year)'
        ) }} as hires_in_school_city_score,
        {{ safe_divide(
            'technical_service_value_10k_cny',
            'max(technical_service_value_10k_cny) over (partition by region_code, calendar_year)'
        ) }} as technical_service_value_score
    from parts
),

weighted as (
    select
        *,
        {{ var('contribution_weight_hires_in_school_city') }} * coalesce(hires_in_school_city_score, 0)
        + {{ var('contribution_weight_technical_service_value') }} * coalesce(technical_service_value_score, 0)
        + {{ var('contribution_weight_job_fit') }} * coalesce(job_fit_rate, 0) as weighted_sum,
        {{ var('contribution_weight_hires_in_school_city') }}
        * cast((hires_in_school_city_score is not null) as integer)
        + {{ var('contribution_weight_technical_service_value') }}
        * cast((technical_service_value_score is not null) as integer)
        + {{ var('contribution_weight_job_fit') }} * cast((job_fit_rate is not null) as integer) as weights_defined
    from scored
),

published as (
    select
        *,
        -- rounded: a weighted mean of parts in [0, 1] must not read 1.0000000000000002 (the 0–1 check)
        round({{ safe_divide('weighted_sum', 'weights_defined') }}, 9) as contribution_index
    from weighted
)

select {{ contract_columns('published') }}
from published
