-- 专业结构与产业结构匹配度: per prefecture-level city and year, how far the industry mix of enrolment (students
-- on roll spread over industries through the major→industry bridge) is from the industry mix of output and of
-- employment, both at GB/T 4754 门类 level (the 门类 rows of mart_industry_structure: 大类 summed, a 门类 reported
-- whole taken as delivered). dissimilarity = ½ Σ |enrolment share − output share|; alignment = 1 − dissimilarity
-- (1 = same mix, 0 = no overlap). Output is one measure per city and year (output_measure: gross output where
-- every 门类 compared has it, else value added where every one has that, else the one more 门类 have), and
-- output_coverage_share is the part of the city's output in that measure the 门类 compared hold (the city's
-- output: the larger of the 门类 sum and its 三次产业 rows' sum). Below var alignment_min_output_coverage the output
-- indices are null and output_alignment_null_reason says why (docs/indicators.md, Structural alignment).
with enrolment as (
    select
        r.prefecture_code as region_code,
        e.year,
        i.section_code,
        sum(e.enrolled_total * {{ exact_weight("b.weight") }}) as enrolled
    from {{ ref('stg_enrolment') }} as e
    inner join {{ ref('dim_region_code_map') }} as r on e.school_region_code = r.region_code
    {{ join_major_map('e.major_code', 'e.level', 'e.year', 'enrolment', 'major_map') }}
    inner join
        {{ ref('bridge_major_industry') }} as b
        on major_map.higher_major_category_code = b.higher_major_category_code
    inner join {{ ref('dim_industry') }} as i on b.industry_code = i.industry_code
    where r.prefecture_code is not null
    group by all
),

structure as (
    select * from {{ ref('mart_industry_structure') }}
    where region_level = 'prefecture'
),

measures as (
    -- the output measure of each city and year, over its 门类 rows that have an output figure
    select
        region_code,
        year,
        case
            when count(output_value_100m_cny) = count(output_100m_cny) then 'gross_output'
            when count(value_added_100m_cny) = count(output_100m_cny) then 'value_added'
            when count(output_value_100m_cny) >= count(value_added_100m_cny) then 'gross_output'
            else 'value_added'
        end as output_measure
    from structure
    where industry_grain = 'section' and output_100m_cny is not null
    group by all
),

output as (
    select
        s.region_code,
        s.year,
        s.industry_code as section_code,
        case
            when m.output_measure = 'gross_output' then s.output_value_100m_cny else s.value_added_100m_cny
        end as output_value,
        s.employment_10k as employment
    from structure as s
    left join measures as m on s.region_code = m.region_code and s.year = m.year
    where s.industry_grain = 'section'
),

sector_totals as (
    -- the city's output as its 三次产业 rows give it, in the measure of its 门类
    select
        s.region_code,
        s.year,
        sum(
            case when m.output_measure = 'gross_output' then s.output_value_100m_cny else s.value_added_100m_cny end
        ) as sector_output
    from structure as s
    left join measures as m on s.region_code = m.region_code and s.year = m.year
    where s.industry_grain = 'sector'
    group by all
),

joined as (
    -- the key of a full join's using clause: the key of whichever side has the row
    select
        region_code,
        year,
        section_code,
        coalesce(e.enrolled, 0) as enrolled,
        o.output_value,
        o.employment
    from enrolment as e
    full join output as o using (region_code, year, section_code)
),

shares as (
    select
        *,
        {{ shares_over('w', {
            'enrolled': 'enrolment_share', 'output_value': 'output_share', 'employment': 'employment_share'
        }) }}
    from joined
    window w as (partition by region_code, year)
),

indices as (
    select
        region_code,
        year,
        sum(enrolled) as enrolled,
        sum(output_value) as output_value,
        sum(employment) as employment,
        count(*) as sections_compared,
        count(output_value) as output_sections,
        bool_or(enrolment_share is not null) and bool_or(output_share is not null) as output_comparable,
        bool_or(enrolment_share is not null) and bool_or(employment_share is not null) as employment_comparable,
        {{ dissimilarity_index('enrolment_share', 'output_share') }} as output_dissimilarity,
        {{ dissimilarity_index('enrolment_share', 'employment_share') }} as employment_dissimilarity
    from shares
    group by all
),

coverage as (
    select
        x.*,
        m.output_measure,
        {{ safe_divide("x.output_value", "greatest(x.output_value, t.sector_output)") }} as output_coverage,
        case
            when x.enrolled = 0 then 'no_enrolment'
            when coalesce(x.output_value, 0) = 0 then 'no_output'
            when
                {{ safe_divide("x.output_value", "greatest(x.output_value, t.sector_output)") }}
                < {{ var('alignment_min_output_coverage') }}
                then 'low_output_coverage'
        end as output_null_reason
    from indices as x
    left join measures as m on x.region_code = m.region_code and x.year = m.year
    left join sector_totals as t on x.region_code = t.region_code and x.year = t.year
),

published as (
    select
        x.*,
        r.region_name,
        round(x.enrolled, 4) as enrolled_total,
        x.output_value as output_value_100m_cny,
        x.employment as employment_10k,
        x.output_sections as output_sections_compared,
        x.output_coverage as output_coverage_share,
        x.output_null_reason as output_alignment_null_reason,
        case
            when x.output_comparable and x.output_null_reason is null then x.output_dissimilarity
        end as output_dissimilarity_index,
        case
            when x.output_comparable and x.output_null_reason is null then 1 - x.output_dissimilarity
        end as output_alignment_index,
        case when x.employment_comparable then x.employment_dissimilarity end as employment_dissimilarity_index,
        case when x.employment_comparable then 1 - x.employment_dissimilarity end as employment_alignment_index,
        {{ bridge_columns() }}
    from coverage as x
    left join {{ ref('dim_region') }} as r on x.region_code = r.region_code
)

select {{ contract_columns('published') }}
from published
