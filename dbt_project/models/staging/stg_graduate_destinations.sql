{{ large_feed_config('graduate_destinations', ['graduate_id', 'survey_date']) }}
-- 毕业去向: one row per graduate and survey date (graduate_id is already pseudonymised); latest delivery wins (a
-- corrected file replaces its earlier version). int_graduates keeps each graduate's latest record and the
-- placement of each survey round.
select
    {{ typed_columns('raw', 'graduate_destinations', overrides={'grad_year': 'integer'}) }}
from ({{ latest_row_per_key(source('raw', 'graduate_destinations'), ['graduate_id', 'survey_date']) }}) as delivered
