-- Additive counts of the talent match, for both classifications at once: region (prefecture and province) ×
-- code (industry: GB/T 4754 大类 division and 门类 section; occupation: 大典 2022 中类 sub_major_group and 大类
-- major_group) × year. Supply through the major→industry and major→occupation bridges, vacancy demand,
-- graduate employment. A count is null where nothing of its kind falls in the cell (the marts decide how
-- to publish that). mart_talent_match and mart_talent_match_occupation read their classification. The three
-- kinds of rows, each classified both ways, are rolled up together: a cell is there where any kind has a row.
-- Supply the bridge cannot place is the row of code var unmapped_code (at both code levels) of its region and
-- year: graduates_supplied summed over the codes of a level is every graduate of the region's schools.
with supplying_graduates as (
    {{ graduates_of_school_cities([
        'school_prefecture_code as prefecture_code',
        'school_province_code as province_code',
        'grad_year as year',
        'higher_major_category_code',
    ]) }}
),

bridged_graduates as (
    -- each graduate (or counted cell) once per classification, spread over the bridge's codes by weight; one
    -- the bridge cannot place (no 2021 专业类: path mapped_*_division or unmapped; or a 专业类 without a link)
    -- counts whole under var unmapped_code, so that supply over the codes of a level is every graduate
    select
        g.prefecture_code,
        g.province_code,
        g.year,
        coalesce(b.industry_code, '{{ var("unmapped_code") }}') as industry_code,
        cast(null as string) as occupation_code,
        coalesce(b.weight, 1) as weight,
        g.graduates
    from supplying_graduates as g
    left join {{ ref('bridge_major_industry') }} as b on g.higher_major_category_code = b.higher_major_category_code
    union all
    select
        g.prefecture_code,
        g.province_code,
        g.year,
        cast(null as string) as industry_code,
        coalesce(b.occupation_code, '{{ var("unmapped_code") }}') as occupation_code,
        coalesce(b.weight, 1) as weight,
        g.graduates
    from supplying_graduates as g
    left join {{ ref('bridge_major_occupation') }} as b
        on g.higher_major_category_code = b.higher_major_category_code
),

counted_rows as (
    -- supply: one row per graduate (or counted cell) and bridge weight
    {{ rows_by_classification(
        'bridged_graduates',
        ['r.prefecture_code', 'r.province_code', 'r.year', 'r.weight', 'r.graduates',
         'cast(null as bigint) as vacancy_headcount',
         'cast(null as bigint) as vacancy_postings', 'cast(null as bigint) as job_seekers',
         'cast(null as bigint) as vacancies_with_job_seekers', 'false as is_employment',
         'cast(null as boolean) as major_related'],
        industry_division='industry_code', occupation='occupation_code', occupation_sub_major_group='occupation_code'
    ) }}
    union all
    -- demand: the postings counted by int_vacancy_counts
    {{ rows_by_classification(
        ref('int_vacancy_counts'),
        ['r.prefecture_code', 'r.province_code', 'r.posted_year', 'cast(null as double)', 'cast(null as bigint)',
         'r.vacancy_headcount',
         'r.vacancy_postings', 'r.job_seekers', 'r.vacancies_with_job_seekers', 'false', 'cast(null as boolean)'],
        industry_division='industry_division_code'
    ) }}
    union all
    -- employment: one row per employed graduate (or counted cell) whose employer's city is known
    {{ rows_by_classification(
        ref('int_graduates'),
        ['r.employer_prefecture_code', 'r.employer_province_code', 'r.grad_year', 'cast(null as double)',
         'r.graduates', 'cast(null as bigint)', 'cast(null as bigint)', 'cast(null as bigint)', 'cast(null as bigint)',
         'true', 'r.major_related'],
        industry_division='employer_industry_division_code',
        where='r.is_employed and r.employer_prefecture_code is not null and r.graduates > 0'
    ) }}
)

select
    {{ rollup_keys() }},
    year,
    sum({{ exact_weight("weight") }} * graduates) as graduates_supplied,
    sum(vacancy_headcount) as vacancy_headcount,
    cast(sum(vacancy_postings) as bigint) as vacancy_postings,
    cast(sum(job_seekers) as bigint) as job_seekers,
    cast(sum(vacancies_with_job_seekers) as bigint) as vacancies_with_job_seekers,
    nullif({{ graduates_where('is_employment') }}, 0) as graduates_employed,
    case when {{ graduates_where('is_employment') }} > 0 then {{ graduates_where('major_related is not null') }} end
        as employed_fit_known,
    case when {{ graduates_where('is_employment') }} > 0 then {{ graduates_where('major_related') }} end
        as employed_major_related
from counted_rows
group by {{ rollup_grouping_sets() }}
