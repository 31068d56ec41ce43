-- 技术服务（横向项目）: one row per technical-service project (contract) of a school; latest delivery wins
-- (a corrected file replaces its earlier version).
select
    cast(project_id as string) as project_id,
    cast(school_code as string) as school_code,
    cast(enterprise_id as string) as enterprise_id,
    cast(enterprise_name as string) as enterprise_name,
    cast(region_code as string) as region_code,
    cast(industry_code as string) as industry_code,
    cast(service_type as string) as service_type,
    cast(contract_value_10k_cny as double) as contract_value_10k_cny,
    cast(start_date as date) as start_date,
    cast(end_date as date) as end_date,
    cast(status as string) as status,
    cast(period as string) as period,
    {{ provenance_columns() }}
from ({{ latest_row_per_key(source('raw', 'technical_services'), ['project_id']) }}) as delivered
