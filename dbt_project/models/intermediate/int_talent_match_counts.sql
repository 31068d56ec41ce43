-- Additive counts of the talent match, for both classifications at once: region (prefecture and province) ×
-- code (industry: GB/T 4754 大类 division and 门类 section; occupation: 大典 2022 中类 sub_major_group and 大类
-- major_group) × year. Supply through the major→industry and major→occupation bridges and graduate employment
-- (int_talent_match_graduate_counts), vacancy demand (int_vacancy_counts, rolled up here the same way). A count
-- is null where nothing of its kind falls in the cell (the marts decide how to publish that). mart_talent_match
-- and mart_talent_match_occupation read their classification. A cell is there where any kind has a row; each
-- side's rows are sums over its own rows of the cell, so adding the two sides' rows of a cell is the roll-up of
-- all three kinds of rows together. Supply the bridge cannot place is the row of code var unmapped_code.
-- vacancy_rows: the demand int_vacancy_counts counted, once for each classification
with vacancy_rows as (
    {{ rows_by_classification(
        ref('int_vacancy_counts'),
        ['r.prefecture_code', 'r.province_code', 'r.posted_year as year', 'r.vacancy_headcount',
         'r.vacancy_postings', 'r.job_seekers', 'r.vacancies_with_job_seekers'],
        industry_division='industry_division_code'
    ) }}
),

vacancy_counts as (
    select
        {{ rollup_keys() }},
        year,
        sum(vacancy_headcount) as vacancy_headcount,
        sum(vacancy_postings) as vacancy_postings,
        sum(job_seekers) as job_seekers,
        sum(vacancies_with_job_seekers) as vacancies_with_job_seekers
    from vacancy_rows
    group by {{ rollup_grouping_sets() }}
),

counts_of_both_sides as (
    select
        region_level,
        region_code,
        classification,
        code_level,
        code,
        year,
        graduates_supplied,
        null as vacancy_headcount,
        null as vacancy_postings,
        null as job_seekers,
        null as vacancies_with_job_seekers,
        graduates_employed,
        employed_fit_known,
        employed_major_related
    from {{ ref('int_talent_match_graduate_counts') }}
    union all
    select
        region_level,
        region_code,
        classification,
        code_level,
        code,
        year,
        null as graduates_supplied,
        vacancy_headcount,
        vacancy_postings,
        job_seekers,
        vacancies_with_job_seekers,
        null as graduates_employed,
        null as employed_fit_known,
        null as employed_major_related
    from vacancy_counts
)

select
    region_level,
    region_code,
    classification,
    code_level,
    code,
    year,
    sum(graduates_supplied) as graduates_supplied,
    sum(vacancy_headcount) as vacancy_headcount,
    cast(sum(vacancy_postings) as bigint) as vacancy_postings,
    cast(sum(job_seekers) as bigint) as job_seekers,
    cast(sum(vacancies_with_job_seekers) as bigint) as vacancies_with_job_seekers,
    sum(graduates_employed) as graduates_employed,
    sum(employed_fit_known) as employed_fit_known,
    sum(employed_major_related) as employed_major_related
from counts_of_both_sides
group by region_level, region_code, classification, code_level, code, year
