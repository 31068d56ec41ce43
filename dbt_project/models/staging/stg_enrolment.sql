-- 招生/在校生: one row per school × major × level × year (the latest delivery of a key wins; a corrected file
-- replaces its earlier version).
select
    {{ typed_columns('raw', 'enrolment', overrides={'year': 'integer'}) }}
from ({{ latest_row_per_key(source('raw', 'enrolment'), ['year', 'school_code', 'major_code', 'level']) }}) as delivered
