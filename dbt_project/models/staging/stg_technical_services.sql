-- 技术服务（横向项目）: one row per technical-service project (contract) of a school; latest delivery wins
-- (a corrected file replaces its earlier version).
select
    {{ typed_columns('raw', 'technical_services') }}
from ({{ latest_row_per_key(source('raw', 'technical_services'), ['project_id']) }}) as delivered
