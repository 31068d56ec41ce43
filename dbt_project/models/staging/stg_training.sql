-- 社会培训: one row per training course run by a school; latest delivery wins
-- (a corrected file replaces its earlier version).
select
    cast(course_id as string) as course_id,
    cast(course_name as string) as course_name,
    cast(school_code as string) as school_code,
    cast(training_type as string) as training_type,
    cast(enterprise_id as string) as enterprise_id,
    cast(occupation_code as string) as occupation_code,
    cast(region_code as string) as region_code,
    cast(trainees as bigint) as trainees,
    cast(training_hours as double) as training_hours,
    cast(certificates_awarded as bigint) as certificates_awarded,
    cast(start_date as date) as start_date,
    cast(end_date as date) as end_date,
    cast(period as string) as period,
    {{ provenance_columns() }}
from ({{ latest_row_per_key(source('raw', 'training'), ['course_id']) }}) as delivered
