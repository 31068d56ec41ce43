-- 技术服务清单: one row per technical-service project (横向项目) of a school, as delivered in the feed, with the
-- place of service resolved to today's prefecture-level city (the city whose list it is on), the industry as
-- delivered (any GB/T 4754 level) and the Chinese names of its school, service type and status.
select
    cast(t.project_id as string) as project_id,
    cast(t.school_code as string) as school_code,
    cast(s.school_name as string) as school_name,
    cast(t.enterprise_id as string) as enterprise_id,
    cast(t.enterprise_name as string) as enterprise_name,
    cast(place.prefecture_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(t.industry_code as string) as industry_code,
    cast(i.industry_name as string) as industry_name,
    cast(t.service_type as string) as service_type,
    cast(st.label_zh as string) as service_type_name,
    cast(t.contract_value_10k_cny as double) as contract_value_10k_cny,
    cast(t.start_date as date) as start_date,
    cast(t.end_date as date) as end_date,
    cast(t.status as string) as status,
    cast(ps.label_zh as string) as status_name,
    {{ suppressed_columns() }}
{{ feed_rows_with_school_and_city('stg_technical_services') }}
left join {{ ref('dim_industry') }} as i on t.industry_code = i.industry_code
left join {{ ref('service_types') }} as st on t.service_type = st.service_type
left join {{ ref('project_statuses') }} as ps on t.status = ps.project_status
