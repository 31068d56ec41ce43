-- City × year: the 门类 mix of students on roll (spread over industries by the major→industry bridge) against
-- the 门类 mix of output value and of employment; dissimilarity = ½ Σ |share − share|, alignment = 1 − it.
select
    x.region_code, r.region_name, x.year,
    round(x.enrolled, 4)                                                            as enrolled_total,
    x.output_value                                                                  as output_value_100m_cny,
    x.employment                                                                    as employment_10k,
    x.sections_compared,
    case when x.output_comparable then x.output_dissimilarity end                   as output_dissimilarity_index,
    case when x.output_comparable then 1 - x.output_dissimilarity end               as output_alignment_index,
    case when x.employment_comparable then x.employment_dissimilarity end           as employment_dissimilarity_index,
    case when x.employment_comparable then 1 - x.employment_dissimilarity end       as employment_alignment_index,
    '{bridge_version}'                                                              as bridge_version,
    '{weighting_rule}'                                                              as weighting_rule,
    ''                                                                              as suppressed_columns
from (
    select region_code, year,
           sum(enrolled) as enrolled, sum(output_value) as output_value, sum(employment) as employment,
           count(*) as sections_compared,
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
                   coalesce(e.enrolled, 0) as enrolled, coalesce(o.output_value, 0) as output_value,
                   coalesce(o.employment, 0) as employment
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
                -- annual periods only; industry given as 门类 letter or 大类 digits
                select r.prefecture_code as region_code, cast(o.period as integer) as year, i.section_code,
                       sum(o.output_value_100m_cny) as output_value, sum(o.employment_10k) as employment
                from industry_output o
                join region_map r on r.region_code = o.region_code
                join {seeds}.ref_industry i on i.industry_code = o.industry_code
                where length(o.period) = 4 and r.prefecture_code is not null
                group by all
            ) o using (region_code, year, section_code)
        )
        window w as (partition by region_code, year)
    )
    group by region_code, year
) x
left join {seeds}.ref_region r on r.region_code = x.region_code
