-- Helper (inlined where a mart names it): the 技术服务 and 社会培训 of the shared activity subquery summed per
-- {by} and calendar year, over the activity rows where {rows}.
select {by}, year, sum(service_projects) as service_projects,
       sum(technical_service_value_10k_cny) as technical_service_value_10k_cny,
       sum(training_courses) as training_courses, sum(training_person_times) as training_person_times,
       sum(certificates_awarded) as certificates_awarded
from activity
where {rows}
group by all
