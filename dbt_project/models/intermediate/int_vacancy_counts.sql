-- Vacancy demand aggregated once for the talent match: postings and headcount by workplace
-- (prefecture, province) × industry 大类 × occupation × year, from either grain. int_talent_match_counts rolls
-- this up for both classifications instead of reading every posting (at scale L, 20M postings read once, not
-- twice).
-- Postings (vacancies): headcount and postings by posting year. Counts (vacancy_counts): the people wanted of
-- each cell by the year of its period, no postings; job seekers (求职人数) where the table has them, and
-- vacancies_with_job_seekers, the people wanted of those cells (the numerator of the MOHRSS 求人倍率). A year ×
-- city × source that postings describe takes no counted cells (the same demand once; the test
-- assert_vacancy_grains_do_not_overlap reports them).
{#- the grain of demand: workplace (prefecture, province) × industry 大类 × occupation × year -#}
{%- set grain = [
    'prefecture_code', 'province_code', 'industry_division_code', 'occupation_code',
    'occupation_sub_major_group_code', 'posted_year',
] %}
with postings as (
    select
        {{ grain | join(', ') }},
        source,
        headcount
    from {{ ref('int_vacancies') }}
    where prefecture_code is not null
),

posting_slices as (
    select distinct
        posted_year,
        prefecture_code,
        source
    from postings
),

cells as (
    select
        {{ region_columns('workplace') }},
        {{ activity_codes('c.industry_code', 'c.occupation_code') }},
        c.year as posted_year,
        c.source,
        c.vacancies,
        c.job_seekers
    from {{ ref('stg_vacancy_counts') }} as c
    {{ join_region('c.region_code', 'workplace') }}
),

counted as (
    select c.*
    from cells as c
    where
        c.prefecture_code is not null
        and not {{ described_at_finer_grain('c', 'posting_slices', ['posted_year', 'prefecture_code', 'source']) }}
),

demand_rows as (
    select
        {{ grain | join(', ') }},
        headcount as vacancy_headcount,
        1 as vacancy_postings,
        cast(null as bigint) as job_seekers,
        cast(null as bigint) as vacancies_with_job_seekers
    from postings
    union all
    select
        {{ grain | join(', ') }},
        vacancies as vacancy_headcount,
        cast(null as integer) as vacancy_postings,
        job_seekers,
        case when job_seekers is not null then vacancies end as vacancies_with_job_seekers
    from counted
)

select
    {{ grain | join(', ') }},
    cast(sum(vacancy_headcount) as bigint) as vacancy_headcount,
    cast(sum(vacancy_postings) as bigint) as vacancy_postings,
    cast(sum(job_seekers) as bigint) as job_seekers,
    cast(sum(vacancies_with_job_seekers) as bigint) as vacancies_with_job_seekers
from demand_rows
group by {{ grain | join(', ') }}
