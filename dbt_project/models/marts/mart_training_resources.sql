-- 培训资源清单: one row per training course (社会培训) × provider school, as delivered in the feed, with the place
-- of the course resolved to today's prefecture-level city (the city whose list it is on) and the Chinese names
-- of its school, training type and the occupation it trains for (大典 2022 细类).
with courses as (
    select
        t.course_id,
        t.course_name,
        t.school_code,
        t.training_type,
        t.enterprise_id,
        t.occupation_code,
        {{ region_columns('place') }},
        t.trainees,
        t.training_hours,
        t.certificates_awarded,
        t.start_date,
        t.end_date
    from {{ ref('stg_training') }} as t
    {{ join_region('t.region_code', 'place') }}
),

school_names as (
    select
        school_code,
        min(school_name) as school_name  -- deterministic if a school reports two names
    from {{ ref('stg_enrolment') }}
    group by all
)

select
    cast(c.school_code as string) as school_code,
    cast(s.school_name as string) as school_name,
    cast(c.course_id as string) as course_id,
    cast(c.course_name as string) as course_name,
    cast(c.training_type as string) as training_type,
    cast(tt.label_zh as string) as training_type_name,
    cast(c.enterprise_id as string) as enterprise_id,
    cast(c.occupation_code as string) as occupation_code,
    cast(o.occupation_name as string) as occupation_name,
    cast(c.prefecture_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(c.trainees as bigint) as trainees,
    cast(c.training_hours as double) as training_hours,
    cast(c.certificates_awarded as bigint) as certificates_awarded,
    cast(c.start_date as date) as start_date,
    cast(c.end_date as date) as end_date,
    {{ suppressed_columns() }}
from courses as c
left join school_names as s on c.school_code = s.school_code
left join {{ ref('dim_region') }} as r on c.prefecture_code = r.region_code
left join {{ ref('dim_occupation') }} as o on c.occupation_code = o.occupation_code
left join {{ ref('training_types') }} as tt on c.training_type = tt.training_type
