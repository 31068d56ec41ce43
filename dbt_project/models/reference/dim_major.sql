-- Majors of the 2021 vocational catalogue at their level, plus every well-formed major code seen
-- in the feeds that the catalogue table does not list (in_catalogue = false, kept, not dropped).
with catalogue as (
    select major_code, major_name, name_status, true as in_catalogue from {{ ref('major_higher') }}
),
observed as (
    select distinct major_code from {{ ref('stg_enrolment') }}
    union
    select distinct major_code from {{ ref('stg_graduate_destinations') }}
    union
    select distinct unnest(required_major_codes) as major_code from {{ ref('stg_vacancies') }}
),
codes as (
    select major_code, major_name, name_status, in_catalogue from catalogue
    union all
    select o.major_code, null, 'not_in_catalogue_table', false
    from observed o
    where o.major_code not in (select major_code from catalogue)
)
select
    c.major_code,
    c.major_name,
    case when cast(substr(c.major_code, 1, 2) as integer) between 21 and 39 then 'bachelor'
         when cast(substr(c.major_code, 1, 2) as integer) between 41 and 59 then 'higher'
         when cast(substr(c.major_code, 1, 2) as integer) between 61 and 79 then 'secondary'
         else 'unknown' end                                       as level,
    substr(c.major_code, 1, 4)                                    as major_category_code,
    substr(c.major_code, 1, 2)                                    as major_division_code,
    {{ higher_major_category('c.major_code') }}                   as higher_major_category_code,
    cat.major_category_name,
    cat.major_division_name,
    c.in_catalogue,
    c.name_status
from codes c
left join {{ ref('major_category_higher') }} cat
    on cat.major_category_code = {{ higher_major_category('c.major_code') }}
