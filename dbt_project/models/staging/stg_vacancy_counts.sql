-- 人力资源市场供求状况（汇总）: vacancies (需求人数) and job seekers (求职人数) delivered as counts, one row per
-- cell. The latest delivery of a table slice (period × region × source) replaces all its cells.
-- int_vacancy_counts puts these cells beside the postings.
select
    cast(period as string) as period,
    cast(substr(period, 1, 4) as integer) as year,
    cast(region_code as string) as region_code,
    cast(industry_code as string) as industry_code,
    cast(occupation_code as string) as occupation_code,
    cast(vacancies as bigint) as vacancies,
    cast(job_seekers as bigint) as job_seekers,
    cast(source as string) as source,
    {{ provenance_columns() }}
from (
    {{ latest_slice_rows(source('raw', 'vacancy_counts'), ['period', 'region_code', 'source']) }}
) as delivered
