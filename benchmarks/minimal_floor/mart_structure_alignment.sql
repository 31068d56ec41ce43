-- City × year: the 门类 mix of students on roll (spread over industries by the major→industry bridge) against
-- the 门类 mix of output and of employment; dissimilarity = ½ Σ |share − share|, alignment = 1 − it. The output
-- measure is gross output where every 门类 compared has it, else value added; coverage is the 门类 sum over the
-- larger of it and the city's 三次产业 rows (primary / secondary / tertiary), and below
-- alignment_min_output_coverage the output indices are null with their reason. A 门类 row delivered whole is
-- taken as delivered, else its 大类 rows are summed (as mart_industry_structure does).
select
    x.region_code, r.region_name, x.year,
    round(x.enrolled, 4)                                                            as enrolled_total,
    x.output_value                                                                  as output_value_100m_cny,
    x.output_measure,
    x.employment                                                                    as employment_10k,
    x.sections_compared,
    x.output_sections                                                               as output_sections_compared,
    x.coverage                                                                      as output_coverage_share,
    x.null_reason                                                                   as output_alignment_null_reason,
    case when x.output_comparable and x.null_reason is null then x.output_dissimilarity end
                                                                                    as output_dissimilarity_index,
    case when x.output_comparable and x.null_reason is null then 1 - x.output_dissimilarity end
                                                                                    as output_alignment_index,
    case when x.employment_comparable then x.employment_dissimilarity end           as employment_dissimilarity_index,
    case when x.employment_comparable then 1 - x.employment_dissimilarity end       as employment_alignment_index,
    '{bridge_version}'                                                              as bridge_version,
    '{weighting_rule}'                                                              as weighting_rule,
    ''                                                                              as suppressed_columns
from (
    select *,
           output_value / nullif(greatest(output_value, sector_output), 0) as coverage,
           case when enrolled = 0 then 'no_enrolment'
                when coalesce(output_value, 0) = 0 then 'no_output'
                when output_value / nullif(greatest(output_value, sector_output), 0)
                     < {alignment_min_output_coverage} then 'low_output_coverage' end as null_reason
    from (
        select region_code, year,
               sum(enrolled) as enrolled, sum(output_value) as output_value, sum(employment) as employment,
               count(*) as sections_compared, count(output_value) as output_sections,
               min(output_measure) as output_measure, min(sector_output) as sector_output,
               bool_or(enrolment_share is not null) and bool_or(output_share is not null)     as output_comparable,
               bool_or(enrolment_share is not null) and bool_or(employment_share is not null) as employment_comparable,
               0.5 * sum(abs(coalesce(enrolment_share, 0) - coalesce(output_share, 0)))       as output_dissimilarity,
               0.5 * sum(abs(coalesce(enrolment_share, 0) - coalesce(employment_share, 0)))   as employment_dissimilarity
        from (
            select *,
                   cast(enrolled as double) / nullif(cast(sum(enrolled) over w as double), 0)       as enrolment_share,
                   output_value / nullif(sum(output_value) over w, 0)                               as output_share,
                   employment / nullif(sum(employment) over w, 0)                                   as employment_share
            from (
                select coalesce(e.region_code, o.region_code) as region_code, coalesce(e.year, o.year) as year,
                       coalesce(e.section_code, o.section_code) as section_code,
                       coalesce(e.enrolled, 0) as enrolled,
                       case when m.output_measure = 'gross_output' then o.gross else o.added end as output_value,
                       o.employment, m.output_measure, m.sector_output
                from (
                    select r.prefecture_code as region_code, e.year, i.section_code,
                           sum(e.enrolled_total * cast(b.weight as decimal(38, 18))) as enrolled
                    from enrolment e
                    join region_map r on r.region_code = e.school_region_code
                    join {seeds}.bridge_major_category_industry b
                      on b.mapping_version = '{bridge_version}'
                     and b.major_category_code = e.higher_major_category_code
                    join {seeds}.ref_industry i on i.industry_code = b.industry_code
                    where r.prefecture_code is not null
                    group by all
                ) e
                full join (
                    -- annual periods; a 门类 delivered whole, else the sum of its 大类 rows (_common.sql)
                    select region_code, year, industry_code as section_code, output_value as gross,
                           value_added as added, employment
                    from industry_output_annual
                    where region_level = 'prefecture' and industry_grain = 'section'
                ) o using (region_code, year, section_code)
                left join (
                    -- the measure of each city and year over its 门类 with a figure, and its 三次产业 total in it
                    select s.region_code, s.year, s.output_measure,
                           sum(case when s.output_measure = 'gross_output' then t.output_value
                                    else t.value_added end) as sector_output
                    from (
                        select region_code, year,
                               case when count(output_value) = count(coalesce(output_value, value_added))
                                         then 'gross_output'
                                    when count(value_added) = count(coalesce(output_value, value_added))
                                         then 'value_added'
                                    when count(output_value) >= count(value_added) then 'gross_output'
                                    else 'value_added' end as output_measure
                        from industry_output_annual
                        where region_level = 'prefecture' and industry_grain = 'section'
                          and coalesce(output_value, value_added) is not null
                        group by all
                    ) s
                    left join (
                        select region_code, year, output_value, value_added
                        from industry_output_annual
                        where region_level = 'prefecture' and industry_grain = 'sector'
                    ) t using (region_code, year)
                    group by all
                ) m using (region_code, year)
            )
            window w as (partition by region_code, year)
        )
        group by region_code, year
    )
) x
left join {seeds}.ref_region r on r.region_code = x.region_code
