-- 培训资源清单: one row per training course (社会培训) × provider school, as delivered in the feed, with the place
-- of the course resolved to today's prefecture-level city (the city whose list it is on) and the Chinese names
-- of its school, training type and the occupation it trains for (大典 2022 细类).
with published as (
    select
        t.school_code,
        s.school_name,
        t.course_id,
        t.course_name,
        t.training_type,
        tt.label_zh as training_type_name,
        t.enterprise_id,
        t.occupation_code,
        o.occupation_name,
        place.prefecture_code as region_code,
        r.region_name,
        t.trainees,
        t.training_hours,
        t.certificates_awarded,
        t.start_date,
        t.end_date
    {{ feed_rows_with_school_and_city('stg_training') }}
    left join {{ ref('dim_occupation') }} as o on t.occupation_code = o.occupation_code
    left join {{ ref('training_types') }} as tt on t.training_type = tt.training_type
)

select {{ contract_columns('published') }}
from published
