-- 企业需求清单: enterprise × city × industry 大类 × occupation × education level asked × posting year. The postings
-- of one enterprise with the same workplace city, industry, occupation and level, posted in the same year, are one
-- line: how many postings, how many people wanted, and the salary range offered (monthly, CNY). Postings whose
-- workplace resolves to no prefecture-level city are not on any city's list.
--
-- Incremental on DuckDB (large_model_materialization): a month of vacancies recomputes the lines of the posting
-- years the deliveries since the last build touched (posted_years_touched, macros/vacancies.sql), deleted first
-- by the pre-hook; the other years' lines come from postings no delivery touched. A full build, and a build
-- not told which file versions are new (dbt run by hand), computes every year. Reference data changes only
-- with the code, and a code change is a full build (transformation/build_plan.py). The raw vacancies the
-- touched years are read from are upstream already (through stg_vacancies), and read in an incremental build
-- only: not a dependency of their own (which would make the unit test below give them).
{{ config(
    materialized=large_model_materialization(), incremental_strategy='append', on_schema_change='fail',
    pre_hook="{{ delete_rows_touched('year', posted_years_touched) }}"
) }}
with postings as (
    select
        enterprise_id,
        prefecture_code as region_code,
        industry_division_code,
        occupation_code,
        required_level,
        posted_year,
        enterprise_name,
        posting_id,
        headcount,
        salary_min_cny,
        salary_max_cny,
        posted_date
    from {{ ref('int_vacancies') }}
    where
        prefecture_code is not null
        and {{ in_values_touched('posted_year', posted_years_touched) }}
),

lines as (
    select
        enterprise_id,
        region_code,
        industry_division_code,
        occupation_code,
        required_level,
        posted_year,
        max(enterprise_name) as enterprise_name,  -- deterministic if an enterprise posts under two names
        count(*) as vacancy_postings,
        sum(headcount) as vacancy_headcount,
        min(salary_min_cny) as salary_min_cny,
        max(salary_max_cny) as salary_max_cny,
        min(posted_date) as first_posted_date,
        max(posted_date) as last_posted_date
    from postings
    group by all
),

published as (
    select
        l.*,
        r.region_name,
        l.industry_division_code as industry_code,
        i.industry_name,
        o.occupation_name,
        lv.label_zh as required_level_name,
        l.posted_year as year
    from lines as l
    left join {{ ref('dim_region') }} as r on l.region_code = r.region_code
    left join {{ ref('dim_industry') }} as i on l.industry_division_code = i.industry_code
    left join {{ ref('dim_occupation') }} as o on l.occupation_code = o.occupation_code
    left join {{ ref('major_levels') }} as lv on l.required_level = lv.level
)

select {{ contract_columns('published') }}
from published
