{{ config(severity='warn', meta={"dagster": {"ref": {"name": "int_graduates"}}}) }}
-- A school × major × level × grad_year delivered both as graduate microdata and as counts: int_graduates takes
-- the microdata and leaves the counted cells out (one delivery of the same graduates, not two). Reported, not
-- blocking: the office should retract one of them (tw retract FILE).
select
    c.grad_year,
    c.school_code,
    c.major_code,
    c.level,
    sum(c.graduates) as graduates_left_out,
    min(c.source_file) as counts_file
from {{ ref('stg_graduate_destination_counts') }} as c
where
    exists (
        select 1 from {{ ref('stg_graduate_destinations') }} as d
        where
            d.grad_year = c.grad_year
            and d.school_code = c.school_code
            and d.major_code = c.major_code
            and d.level = c.level
    )
group by c.grad_year, c.school_code, c.major_code, c.level
