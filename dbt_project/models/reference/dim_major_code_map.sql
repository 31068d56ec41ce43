-- Every major code as found in a record → its catalogue edition and the 2021 高职专科 专业类 it counts under,
-- per record kind (enrolment by school year, graduates by grad_year) × level × year, since the edition depends
-- on the record's level and year (ingestion/major_editions.py has the same rules and quarantines a code of no
-- edition). The links: seeds/reference/major_code_correspondence.csv (basis, confidence); docs/reference.md.
-- major_mapping_path: current | mapped_2015_category | mapped_2015_division | mapped_2010_division | unmapped.
with graduate_records as (
    -- both grains of graduate records: microdata and counts
    select
        major_code,
        level,
        grad_year
    from {{ ref('stg_graduate_destinations') }}
    union all
    select
        major_code,
        level,
        grad_year
    from {{ ref('stg_graduate_destination_counts') }}
),

observed as (
    select distinct
        'enrolment' as record_kind,
        major_code,
        level,
        year
    from {{ ref('stg_enrolment') }}
    union
    select distinct
        'graduates' as record_kind,
        major_code,
        level,
        grad_year as year
    from graduate_records
),

links as (
    select * from {{ ref('major_code_correspondence') }}
),

categories_2015 as (
    select distinct old_code as category_code from links
    where old_edition = 'higher_2015' and link_level = 'category'
),

editions as (
    select
        o.*,
        {{ major_edition(
            'o.major_code', 'o.level', 'o.year', 'o.record_kind',
            'c2021.major_category_code is not null', 'c2015.category_code is not null'
        ) }} as major_code_edition
    from observed as o
    left join {{ ref('major_category_higher') }} as c2021 on substr(o.major_code, 1, 4) = c2021.major_category_code
    left join categories_2015 as c2015 on substr(o.major_code, 1, 4) = c2015.category_code
),

linked as (
    select
        e.*,
        category_link.new_code as category_link_code,
        category_link.basis as category_basis,
        category_link.confidence as category_confidence,
        division_link.new_code as division_link_code,
        division_link.basis as division_basis,
        division_link.confidence as division_confidence
    from editions as e
    left join links as category_link
        on
            e.major_code_edition = category_link.old_edition
            and category_link.link_level = 'category'
            and substr(e.major_code, 1, 4) = category_link.old_code
            and category_link.new_code is not null
    left join links as division_link
        on
            e.major_code_edition = division_link.old_edition
            and division_link.link_level = 'division'
            and substr(e.major_code, 1, 2) = division_link.old_code
)

select
    l.record_kind,
    l.major_code,
    l.level,
    l.year,
    coalesce(l.major_code_edition, 'none') as major_code_edition,
    case
        when l.major_code_edition = '2021' then 'current'
        when l.major_code_edition = 'higher_2015' and l.category_link_code is not null then 'mapped_2015_category'
        when l.major_code_edition = 'higher_2015' and l.division_link_code is not null then 'mapped_2015_division'
        when l.major_code_edition = 'secondary_2010' and l.division_link_code is not null then 'mapped_2010_division'
        else 'unmapped'
    end as major_mapping_path,
    case
        when l.major_code_edition = '2021' then {{ higher_major_category('l.major_code', 'major_level') }}
        when l.major_code_edition = 'higher_2015' then l.category_link_code
    end as higher_major_category_code,
    case
        when l.major_code_edition = '2021' then substr({{ higher_major_category('l.major_code', 'major_level') }}, 1, 2)
        when l.major_code_edition = 'higher_2015' then l.division_link_code
        -- 2010 中职 links name 2021 中职 大类 (61–79): the 高职 equivalent is 20 lower
        when l.major_code_edition = 'secondary_2010' then cast(cast(l.division_link_code as integer) - 20 as string)
    end as higher_major_division_code,
    case
        when l.major_code_edition = '2021' then 'current_code'
        when l.category_link_code is not null then l.category_basis
        else l.division_basis
    end as mapping_basis,
    case
        when l.major_code_edition = '2021' then 'high'
        when l.category_link_code is not null then l.category_confidence
        else l.division_confidence
    end as mapping_confidence
from linked as l
{{ join_major_level('l.major_code', 'major_level') }}
