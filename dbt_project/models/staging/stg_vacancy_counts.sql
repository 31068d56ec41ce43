-- 人力资源市场供求状况（汇总）: vacancies (需求人数) and job seekers (求职人数) delivered as counts, one row per
-- cell. The latest delivery of a table slice (period × region × source) replaces all its cells.
-- int_vacancy_counts puts these cells beside the postings.
select
    cast(period as string) as period,
    cast(substr(period, 1, 4) as integer) as year,
    {{ typed_columns('raw', 'vacancy_counts', exclude=['period']) }}
from (
    {{ latest_slice_rows(source('raw', 'vacancy_counts'), ['period', 'region_code', 'source']) }}
) as delivered
