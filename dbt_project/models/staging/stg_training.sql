-- 社会培训: one row per training course run by a school; latest delivery wins
-- (a corrected file replaces its earlier version).
select
    {{ typed_columns('raw', 'training') }}
from ({{ latest_row_per_key(source('raw', 'training'), ['course_id']) }}) as delivered
