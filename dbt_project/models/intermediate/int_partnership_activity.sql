-- 技术服务与社会培训 per school × enterprise × calendar year: the one place their sums are computed, read by
-- mart_partnership_contribution (per partnership), mart_school_scorecard (per school) and mart_partner_scorecard
-- (per enterprise). A project counts in the calendar year of its start_date (the contract's start: its value is
-- not spread over the years it runs); terminated projects are neither counted nor valued, but a school–enterprise
-- pair that had only terminated projects keeps its row (with zeros). A course counts in the year of its start_date;
-- courses open to all (no enterprise) have a null enterprise_id and count for the school only.
with services as (
    select
        school_code,
        enterprise_id,
        cast(year(start_date) as integer) as calendar_year,
        count(*) filter (where status <> 'terminated') as service_projects,
        coalesce(sum(contract_value_10k_cny) filter (where status <> 'terminated'), 0)
            as technical_service_value_10k_cny
    from {{ ref('stg_technical_services') }}
    group by school_code, enterprise_id, cast(year(start_date) as integer)
),

trainings as (
    select
        school_code,
        enterprise_id,
        cast(year(start_date) as integer) as calendar_year,
        count(*) as training_courses,
        sum(trainees) as training_person_times,
        sum(coalesce(certificates_awarded, 0)) as certificates_awarded
    from {{ ref('stg_training') }}
    group by school_code, enterprise_id, cast(year(start_date) as integer)
),

activity_keys as (
    select
        school_code,
        enterprise_id,
        calendar_year
    from services
    union
    select
        school_code,
        enterprise_id,
        calendar_year
    from trainings
)

select
    cast(k.school_code as string) as school_code,
    cast(k.enterprise_id as string) as enterprise_id,
    cast(k.calendar_year as integer) as calendar_year,
    cast(coalesce(s.service_projects, 0) as bigint) as service_projects,
    cast(coalesce(s.technical_service_value_10k_cny, 0) as double) as technical_service_value_10k_cny,
    cast(coalesce(t.training_courses, 0) as bigint) as training_courses,
    cast(coalesce(t.training_person_times, 0) as bigint) as training_person_times,
    cast(coalesce(t.certificates_awarded, 0) as bigint) as certificates_awarded
from activity_keys as k
left join services as s
    on
        k.school_code = s.school_code
        and k.enterprise_id is not distinct from s.enterprise_id
        and k.calendar_year = s.calendar_year
left join trainings as t
    on
        k.school_code = t.school_code
        and k.enterprise_id is not distinct from t.enterprise_id
        and k.calendar_year = t.calendar_year
