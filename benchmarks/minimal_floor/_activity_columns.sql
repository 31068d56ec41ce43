-- Helper (inlined where it is named): the published 技术服务 and 社会培训 columns of a scorecard from the
-- activity_by subquery joined as {of}, 0 where the school or enterprise has none that year.
coalesce({of}.service_projects, 0) as service_projects,
coalesce({of}.technical_service_value_10k_cny, 0) as technical_service_value_10k_cny,
coalesce({of}.training_courses, 0) as training_courses,
coalesce({of}.training_person_times, 0) as training_person_times,
coalesce({of}.certificates_awarded, 0) as certificates_awarded,
