-- Graduates by destination, from either grain, with every region resolved to today's codes and rolled up to
-- prefecture and province, the employer's industry at 大类 level, the occupation's 中类, and the major's 专业类.
-- Employed and placed: seeds/vocabulary/destination_types.csv; the major's level: major_levels.csv.
-- Microdata (graduate_destinations): one row per graduate (graduates = 1), described by the latest record; a
-- graduate surveyed in both rounds (初次 and 年终) counts once, and in each round's placement by that round's
-- latest record, never pooled across rounds.
-- Counts (graduate_destination_counts): one row per delivered cell. The destinations of a school × major ×
-- level × grad_year are the cells of its latest tabulation (graduates = the cell's count); each round's
-- placement counts the cells of that round's latest tabulation (graduates_initial_survey / _year_end_survey).
-- A cell of an earlier round only adds to its round's placement (graduates = 0). A school × major × level ×
-- grad_year delivered as microdata takes no counts (the overlap is reported by the test
-- assert_graduate_grains_do_not_overlap). Every mart sums these measures, so both grains publish alike.
with records as (
    select
        d.*,
        coalesce(destination.is_placed, false) as record_is_placed,
        {{ survey_round('d.survey_date', 'd.grad_year') }} as survey_round
    from {{ ref('stg_graduate_destinations') }} as d
    left join {{ ref('destination_types') }} as destination on d.destination_type = destination.destination_type
),

graduate_placement as (
    -- each graduate's latest survey date, and each round's placement by the latest record of that round.
    -- Aggregated by graduate and joined back on the latest date rather than ranked by windows (a window over
    -- millions of graduates sorts every column of every record: at scale L, docs/performance.md): one row per
    -- graduate because (graduate_id, survey_date) is the staging model's key, both never null (its tests; the
    -- feed's contract requires them)
    select
        graduate_id,
        max(survey_date) as latest_survey_date,
        {{ arg_max_by('record_is_placed', ['survey_date']) }} filter (where survey_round = 'initial')
            as initial_is_placed,
        {{ arg_max_by('record_is_placed', ['survey_date']) }} filter (where survey_round = 'year_end')
            as year_end_is_placed
    from records
    group by graduate_id
),

graduate_rows as (
    select
        r.graduate_id,
        r.grad_year,
        r.school_code,
        r.school_region_code,
        r.major_code,
        r.level,
        r.origin_region_code,
        r.destination_type,
        r.employer_region_code,
        r.employer_industry_code,
        r.occupation_code,
        r.employer_enterprise_id,
        r.employer_is_partner,
        r.order_class,
        r.apprenticeship,
        r.major_related,
        r.monthly_salary_cny,
        r.survey_date,
        'microdata' as input_grain,
        1 as graduates,
        cast(p.initial_is_placed is not null as integer) as graduates_initial_survey,
        cast(coalesce(p.initial_is_placed, false) as integer) as placed_initial,
        cast(p.year_end_is_placed is not null as integer) as graduates_year_end_survey,
        cast(coalesce(p.year_end_is_placed, false) as integer) as placed_year_end
    from records as r
    inner join graduate_placement as p on r.graduate_id = p.graduate_id and r.survey_date = p.latest_survey_date
),

microdata_slices as (
    select distinct
        grad_year,
        school_code,
        major_code,
        level
    from graduate_rows
),

cells as (
    -- the counted cells of slices no microdata describes, with their round and tabulation recency
    select
        c.*,
        coalesce(destination.is_placed, false) as cell_is_placed,
        {{ survey_round('c.survey_date', 'c.grad_year') }} as survey_round,
        c.survey_date = max(c.survey_date) over (
            partition by c.grad_year, c.school_code, c.major_code, c.level
        ) as is_latest_tabulation
    from {{ ref('stg_graduate_destination_counts') }} as c
    left join {{ ref('destination_types') }} as destination on c.destination_type = destination.destination_type
    where not {{ described_at_finer_grain(
        'c', 'microdata_slices', ['grad_year', 'school_code', 'major_code', 'level']
    ) }}
),

cells_by_round as (
    select
        *,
        survey_date = max(survey_date) over (
            partition by grad_year, school_code, major_code, level, survey_round
        ) as is_latest_in_round
    from cells
),

count_rows as (
    select
        cast(null as string) as graduate_id,
        grad_year,
        school_code,
        school_region_code,
        major_code,
        level,
        origin_region_code,
        destination_type,
        employer_region_code,
        employer_industry_code,
        occupation_code,
        cast(null as string) as employer_enterprise_id,
        employer_is_partner,
        order_class,
        apprenticeship,
        major_related,
        cast(null as double) as monthly_salary_cny,
        survey_date,
        'counts' as input_grain,
        case when is_latest_tabulation then graduates else 0 end as graduates,
        case when survey_round = 'initial' and is_latest_in_round then graduates else 0 end
            as graduates_initial_survey,
        case when survey_round = 'initial' and is_latest_in_round and cell_is_placed then graduates else 0 end
            as placed_initial,
        case when survey_round = 'year_end' and is_latest_in_round then graduates else 0 end
            as graduates_year_end_survey,
        case when survey_round = 'year_end' and is_latest_in_round and cell_is_placed then graduates else 0 end
            as placed_year_end
    from cells_by_round
),

g as (
    select * from graduate_rows
    union all
    select * from count_rows
    -- a cell that counts nobody in any measure (a zero cell, or an earlier tabulation of a round) is dropped
    where graduates > 0 or graduates_initial_survey > 0 or graduates_year_end_survey > 0
)

select
    g.graduate_id,
    g.grad_year,
    g.school_code,
    g.major_code,
    g.level,
    -- the 2021 高职 专业类 the record counts under, whatever edition its code is of (null: no 2021 专业类,
    -- path mapped_*_division or unmapped); the record keeps its own code (dim_major_code_map)
    major_map.higher_major_category_code,
    major_map.major_code_edition,
    major_map.major_mapping_path,
    g.destination_type,
    coalesce(destination.is_employed, false) as is_employed,
    coalesce(destination.is_placed, false) as is_placed,
    {{ region_columns('school', 'school_') }},
    {{ region_columns('origin', 'origin_') }},
    {{ region_columns('employer', 'employer_') }},
    {{ activity_codes('g.employer_industry_code', 'g.occupation_code', industry_prefix='employer_') }},
    g.employer_enterprise_id,
    g.employer_is_partner,
    g.order_class,
    g.apprenticeship,
    g.major_related,
    g.monthly_salary_cny,
    g.survey_date,
    g.input_grain,
    cast(g.graduates as bigint) as graduates,
    cast(g.graduates_initial_survey as bigint) as graduates_initial_survey,
    cast(g.placed_initial as bigint) as placed_initial,
    cast(g.graduates_year_end_survey as bigint) as graduates_year_end_survey,
    cast(g.placed_year_end as bigint) as placed_year_end
from g
{{ join_region('g.school_region_code', 'school') }}
{{ join_region('g.origin_region_code', 'origin') }}
{{ join_region('g.employer_region_code', 'employer') }}
{{ join_major_map('g.major_code', 'g.level', 'g.grad_year', 'graduates', 'major_map') }}
left join {{ ref('destination_types') }} as destination on g.destination_type = destination.destination_type
