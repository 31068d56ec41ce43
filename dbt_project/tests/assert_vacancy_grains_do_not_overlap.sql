{{ config(severity='warn', meta={"dagster": {"ref": {"name": "int_vacancy_counts"}}}) }}
-- A year × city × source delivered both as postings and as a table of counts: int_vacancy_counts takes the
-- postings and leaves the counted cells out (the same demand once, not twice). Reported, not blocking: the
-- office should retract one of them (tw retract FILE).
with counted as (
    select
        c.year,
        m.prefecture_code,
        c.source,
        c.vacancies,
        c.source_file
    from {{ ref('stg_vacancy_counts') }} as c
    left join {{ ref('dim_region_code_map') }} as m on c.region_code = m.region_code
)

select
    counted.year,
    counted.prefecture_code,
    counted.source,
    sum(counted.vacancies) as vacancies_left_out,
    min(counted.source_file) as counts_file
from counted
where
    exists (
        select 1 from {{ ref('int_vacancies') }} as v
        where
            v.posted_year = counted.year
            and v.prefecture_code = counted.prefecture_code
            and v.source = counted.source
    )
group by counted.year, counted.prefecture_code, counted.source
