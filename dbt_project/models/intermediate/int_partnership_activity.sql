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
)

select
    cast(coalesce(s.school_code, t.school_code) as string) as school_code,
    cast(coalesce(s.enterprise_id, t.enterprise_id) as string) as enterprise_id,
    cast(coalesce(s.calendar_year, t.calendar_year) as integer) as calendar_year,
    {{ partnership_activity_columns('s', 't') }}
from services as s
full join trainings as t
    on
        s.school_code = t.school_code
        and s.enterprise_id is not distinct from t.enterprise_id
        and s.calendar_year = t.calendar_year
