-- 产业结构: per region (prefecture-level city, and province), year and industry (门类, or 三次产业 where only the
-- three sectors were delivered: industry_output_annual, _common.sql), the output, value added and employment
-- delivered and each one's share of the region's total over its rows of the same grain (output: of the same
-- measure, gross output and value added never added). output = gross output where delivered, else value added;
-- an absent figure is null. A province's row is the one delivered for the province itself (cities_reported 0),
-- else the sum of its cities' rows (cities_reported), null for a figure one of those cities lacks.
select
    x.region_level, x.region_code, r.region_name, x.year, x.industry_grain, x.industry_code,
    coalesce(i.industry_name, s.sector_name)                                    as industry_name,
    case when x.industry_grain = 'sector' then x.industry_code else ss.sector_code end as sector_code,
    x.output_figure                                                             as output_100m_cny,
    x.output_measure,
    x.output_figure / nullif(sum(x.output_figure) over (
        partition by x.region_level, x.region_code, x.year, x.industry_grain, x.output_measure), 0)
                                                                                as output_share,
    x.output_value                                                              as output_value_100m_cny,
    x.value_added                                                               as value_added_100m_cny,
    x.employment                                                                as employment_10k,
    x.value_added / nullif(sum(x.value_added) over w, 0)                        as value_added_share,
    x.employment / nullif(sum(x.employment) over w, 0)                          as employment_share,
    x.divisions_reported, x.cities_reported,
    ''                                                                          as suppressed_columns
from (
    select *, coalesce(output_value, value_added) as output_figure,
           case when output_value is not null then 'gross_output'
                when value_added is not null then 'value_added' end as output_measure
    from (
        select region_level, region_code, year, industry_grain, industry_code, output_value, value_added,
               employment, divisions_reported,
               case when region_level = 'province' then 0 end as cities_reported
        from industry_output_annual
        union all
        select 'province', province_code, year, industry_grain, industry_code,
               case when count(output_value) = count(*) then sum(output_value) end,
               case when count(value_added) = count(*) then sum(value_added) end,
               case when count(employment) = count(*) then sum(employment) end,
               sum(divisions_reported), count(*)
        from industry_output_annual
        where region_level = 'prefecture'
        group by all
    )
    -- a province delivered for itself (cities_reported 0) before the sum of its cities
    qualify row_number() over (partition by region_level, region_code, year, industry_grain, industry_code
                               order by cities_reported) = 1
) x
left join {seeds}.ref_region r on r.region_code = x.region_code
left join {seeds}.ref_industry i on x.industry_grain = 'section' and i.industry_code = x.industry_code
left join (select distinct sector_code, label_zh as sector_name from {seeds}.industry_sectors) s
       on x.industry_grain = 'sector' and s.sector_code = x.industry_code
left join {seeds}.industry_sectors ss
       on x.industry_grain = 'section' and ss.industry_level = 'section' and ss.industry_code = x.industry_code
window w as (partition by x.region_level, x.region_code, x.year, x.industry_grain)
