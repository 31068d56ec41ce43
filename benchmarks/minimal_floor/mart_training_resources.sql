-- 培训资源清单: one row per training course (the latest delivery of each) × provider school, the place of the
-- course resolved to today's prefecture-level city, with the Chinese names of its school, training type and the
-- occupation it trains for; trainees and certificates as delivered (the build database is not suppressed).
select
    t.school_code, s.school_name, t.course_id, t.course_name, t.training_type,
    tt.label_zh as training_type_name, t.enterprise_id, t.occupation_code, o.occupation_name,
    place.prefecture_code as region_code, r.region_name, t.trainees, t.training_hours, t.certificates_awarded,
    t.start_date, t.end_date,
    ''                                                                      as suppressed_columns
{feed_rows_with_school_and_city(feed=training)}
left join {seeds}.ref_occupation o     on o.occupation_code = t.occupation_code
left join {seeds}.training_types tt    on tt.training_type = t.training_type
