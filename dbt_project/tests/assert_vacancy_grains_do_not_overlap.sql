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

{{ counted_cells_left_out(
    'counted', ref('int_vacancies'),
    {'year': 'posted_year', 'prefecture_code': 'prefecture_code', 'source': 'source'},
    'vacancies',
) }}
