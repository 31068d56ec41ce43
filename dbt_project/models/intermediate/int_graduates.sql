-- One row per graduate with every region resolved to today's codes and rolled up to
-- prefecture and province, the employer's industry at 大类 level, the occupation's 中类, and the major's 专业类.
-- Employed and placed: seeds/vocabulary/destination_types.csv; the major's level: major_levels.csv.
-- A graduate surveyed more than once (初次 and 年终 rounds) is described by the latest record; the placement of each
-- round is kept beside it (initial_is_placed, year_end_is_placed), never pooled across rounds.
with records as (
    select
        d.*,
        coalesce(destination.is_placed, false) as record_is_placed,
        {{ survey_round('d.survey_date', 'd.grad_year') }} as survey_round,
        row_number() over (
            partition by d.graduate_id order by d.survey_date desc
        ) as recency
    from {{ ref('stg_graduate_destinations') }} as d
    left join {{ ref('destination_types') }} as destination on d.destination_type = destination.destination_type
),

round_records as (
    -- the latest record of each graduate in each round
    select
        graduate_id,
        survey_round,
        record_is_placed,
        row_number() over (partition by graduate_id, survey_round order by survey_date desc) as round_recency
    from records
    where survey_round is not null
),

placement_by_round as (
    select
        graduate_id,
        bool_or(record_is_placed) filter (where survey_round = 'initial') as initial_is_placed,
        bool_or(record_is_placed) filter (where survey_round = 'year_end') as year_end_is_placed
    from round_records
    where round_recency = 1
    group by graduate_id
),

g as (
    select
        r.*,
        p.initial_is_placed,
        p.year_end_is_placed
    from records as r
    left join placement_by_round as p on r.graduate_id = p.graduate_id
    where r.recency = 1
)

select
    g.graduate_id,
    g.grad_year,
    g.school_code,
    g.major_code,
    g.level,
    {{ higher_major_category('g.major_code', 'major_level') }} as higher_major_category_code,
    g.destination_type,
    coalesce(destination.is_employed, false) as is_employed,
    coalesce(destination.is_placed, false) as is_placed,
    {{ region_columns('school', 'school_') }},
    {{ region_columns('origin', 'origin_') }},
    {{ region_columns('employer', 'employer_') }},
    {{ industry_division('g.employer_industry_code') }} as employer_industry_division_code,
    g.occupation_code,
    {{ occupation_sub_major_group('g.occupation_code') }} as occupation_sub_major_group_code,
    g.employer_enterprise_id,
    g.employer_is_partner,
    g.order_class,
    g.apprenticeship,
    g.major_related,
    g.monthly_salary_cny,
    g.survey_date,
    g.initial_is_placed,
    g.year_end_is_placed
from g
{{ join_region('g.school_region_code', 'school') }}
{{ join_region('g.origin_region_code', 'origin') }}
{{ join_region('g.employer_region_code', 'employer') }}
{{ join_major_level('g.major_code', 'major_level') }}
left join {{ ref('destination_types') }} as destination on g.destination_type = destination.destination_type
