{{ large_feed_config('vacancies', 'posting_id') }}
-- 企业岗位需求: one row per posting; latest delivery wins (a corrected file replaces its earlier version).
select
    {{ typed_columns('raw', 'vacancies') }}
from ({{ latest_row_per_key(source('raw', 'vacancies'), ['posting_id']) }}) as delivered
