-- Vacancy demand aggregated once for the talent match: postings and headcount by workplace
-- (prefecture, province) × industry 大类 × occupation × posting year. int_talent_match_counts rolls this up for
-- both classifications instead of reading every posting (at scale L, 20M postings read once, not twice).
select
    prefecture_code,
    province_code,
    industry_division_code,
    occupation_code,
    occupation_sub_major_group_code,
    posted_year,
    cast(sum(headcount) as bigint) as vacancy_headcount,
    cast(count(*) as bigint) as vacancy_postings
from {{ ref('int_vacancies') }}
where prefecture_code is not null
group by
    prefecture_code, province_code, industry_division_code, occupation_code, occupation_sub_major_group_code,
    posted_year
