-- 技术服务清单: one row per technical-service project (横向项目) of a school, as delivered in the feed, with the
-- place of service resolved to today's prefecture-level city (the city whose list it is on), the industry as
-- delivered (any GB/T 4754 level) and the Chinese names of its school, service type and status.
with published as (
    select
        t.project_id,
        t.school_code,
        s.school_name,
        t.enterprise_id,
        t.enterprise_name,
        place.prefecture_code as region_code,
        r.region_name,
        t.industry_code,
        i.industry_name,
        t.service_type,
        st.label_zh as service_type_name,
        t.contract_value_10k_cny,
        t.start_date,
        t.end_date,
        t.status,
        ps.label_zh as status_name
    {{ feed_rows_with_school_and_city('stg_technical_services') }}
    left join {{ ref('dim_industry') }} as i on t.industry_code = i.industry_code
    left join {{ ref('service_types') }} as st on t.service_type = st.service_type
    left join {{ ref('project_statuses') }} as ps on t.status = ps.project_status
)

select {{ contract_columns('published') }}
from published
