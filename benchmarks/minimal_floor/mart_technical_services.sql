-- 技术服务清单: one row per technical-service project (the latest delivery of each), the place of service resolved
-- to today's prefecture-level city, with the Chinese names of its school, industry, service type and status.
select
    t.project_id, t.school_code, s.school_name, t.enterprise_id, t.enterprise_name,
    place.prefecture_code as region_code, r.region_name, t.industry_code, i.industry_name,
    t.service_type, st.label_zh as service_type_name, t.contract_value_10k_cny,
    t.start_date, t.end_date, t.status,
    ps.label_zh as status_name,
    ''                                                                      as suppressed_columns
{feed_rows_with_school_and_city(feed=technical_services)}
left join {seeds}.ref_industry i       on i.industry_code = t.industry_code
left join {seeds}.service_types st     on st.service_type = t.service_type
left join {seeds}.project_statuses ps  on ps.project_status = t.status
