-- 技术服务清单: one row per technical-service project (横向项目) of a school, as delivered in the feed, with the
-- place of service resolved to today's prefecture-level city (the city whose list it is on), the industry as
-- delivered (any GB/T 4754 level) and the Chinese names of its school, service type and status.
with projects as (
    select
        t.project_id,
        t.school_code,
        t.enterprise_id,
        t.enterprise_name,
        {{ region_columns('place') }},
        t.industry_code,
        t.service_type,
        t.contract_value_10k_cny,
        t.start_date,
        t.end_date,
        t.status
    from {{ ref('stg_technical_services') }} as t
    {{ join_region('t.region_code', 'place') }}
),

school_names as (
    select
        school_code,
        min(school_name) as school_name  -- deterministic if a school reports two names
    from {{ ref('stg_enrolment') }}
    group by all
)

select
    cast(p.project_id as string) as project_id,
    cast(p.school_code as string) as school_code,
    cast(s.school_name as string) as school_name,
    cast(p.enterprise_id as string) as enterprise_id,
    cast(p.enterprise_name as string) as enterprise_name,
    cast(p.prefecture_code as string) as region_code,
    cast(r.region_name as string) as region_name,
    cast(p.industry_code as string) as industry_code,
    cast(i.industry_name as string) as industry_name,
    cast(p.service_type as string) as service_type,
    cast(st.label_zh as string) as service_type_name,
    cast(p.contract_value_10k_cny as double) as contract_value_10k_cny,
    cast(p.start_date as date) as start_date,
    cast(p.end_date as date) as end_date,
    cast(p.status as string) as status,
    cast(ps.label_zh as string) as status_name,
    {{ suppressed_columns() }}
from projects as p
left join school_names as s on p.school_code = s.school_code
left join {{ ref('dim_region') }} as r on p.prefecture_code = r.region_code
left join {{ ref('dim_industry') }} as i on p.industry_code = i.industry_code
left join {{ ref('service_types') }} as st on p.service_type = st.service_type
left join {{ ref('project_statuses') }} as ps on p.status = ps.project_status
