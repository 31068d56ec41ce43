-- 培训资源清单: one row per training course (社会培训) × provider school, as delivered in the feed, with the place
-- of the course resolved to today's prefecture-level city (the city whose list it is on) and the Chinese names
-- of its school, training type and the occupation it trains for (大典 2022 细类).
select
    cast(t.school_code as string) as school_code,
    cast(s.school_name as string) as school_name,
    cast(t.course_id as string) as course_id,
    cast(t.course_name as string) as course_name,
    cast(t.training_type as string) as training_type,
    cast(tt.label_zh as string) as training_type_name,
    cast(t.enterprise_id as string) as enterprise_id,
    cast(t.occupation_code as string) as occupation_code,
    cast(o.occupation_name as string) as occupation_name,
    cast(place.prefecture_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(t.trainees as bigint) as trainees,
    cast(t.training_hours as double) as training_hours,
    cast(t.certificates_awarded as bigint) as certificates_awarded,
    cast(t.start_date as date) as start_date,
    cast(t.end_date as date) as end_date,
    {{ suppressed_columns() }}
{{ feed_rows_with_school_and_city('stg_training') }}
left join {{ ref('dim_occupation') }} as o on t.occupation_code = o.occupation_code
left join {{ ref('training_types') }} as tt on t.training_type = tt.training_type
