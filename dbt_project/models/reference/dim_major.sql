-- Majors of the 2021 vocational catalogue at their level. Sources, first one wins:
--   1. major_catalogue_official (filled by `tw catalogue FILE` from the published catalogue),
--   2. major_higher (the project's transcription, name_status = transcribed_unverified),
--   3. every well-formed code seen in the feeds and in neither (in_catalogue = false: kept, not dropped).
-- The level of a major: seeds/vocabulary/major_levels.csv.
with official as (
    select
        major_code,
        major_name,
        'official' as name_status,
        true as in_catalogue,
        1 as priority
    from {{ ref('major_catalogue_official') }}
),

transcribed as (
    select
        major_code,
        major_name,
        name_status,
        true as in_catalogue,
        2 as priority
    from {{ ref('major_higher') }}
),

observed as (
    select distinct major_code from {{ ref('stg_enrolment') }}
    union
    select distinct major_code from {{ ref('stg_graduate_destinations') }}
    union
    select distinct {{ unnest_list('required_major_codes') }} as major_code from {{ ref('stg_vacancies') }}
),

codes as (
    select * from official
    union all
    select * from transcribed
    union all
    select
        major_code,
        null as major_name,
        'not_in_catalogue_table' as name_status,
        false as in_catalogue,
        3 as priority
    from observed
),

chosen as (
    select * from (
        select
            codes.*,
            row_number() over (partition by codes.major_code order by codes.priority) as source_rank
        from codes
    ) as ranked
    where source_rank = 1
)

select
    c.major_code,
    c.major_name,
    coalesce(major_level.level, 'unknown') as level,
    substr(c.major_code, 1, 4) as major_category_code,
    substr(c.major_code, 1, 2) as major_division_code,
    {{ higher_major_category('c.major_code', 'major_level') }} as higher_major_category_code,
    cat.major_category_name,
    cat.major_division_name,
    c.in_catalogue,
    c.name_status
from chosen as c
{{ join_major_level('c.major_code', 'major_level') }}
left join {{ ref('major_category_higher') }} as cat
    on cat.major_category_code = {{ higher_major_category('c.major_code', 'major_level') }}
