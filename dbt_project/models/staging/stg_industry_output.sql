-- 产业产值: one row per region × industry × period; latest delivery wins (a corrected file replaces its earlier version).
select
    {{ typed_columns('raw', 'industry_output') }}
from
    ({{ latest_row_per_key(source('raw', 'industry_output'), ['period', 'region_code', 'industry_code']) }})
        as delivered
