-- 专业预警: school region (city, and province) × major × grad_year (school_region_counts, _common.sql): the
-- graduates' outcomes, the market of the industries the major's 专业类 serves through the major→industry bridge
-- (岗位供需比 over those 大类 of talent_match in the same region and year: demand, and the supply of every major
-- bridged to them), and a traffic light by the stated rules. The rules read the placement rate of the round with
-- more graduates surveyed (年终 on a tie); a rule whose figure is null does not fire. Below
-- {warning_min_graduates} graduates: no level. Red: placement rate below {warning_red_placement_rate_below}, or at
-- least {warning_red_min_yellow_rules} yellow rules. Yellow: placement rate below
-- {warning_yellow_placement_rate_below}, major fit below {warning_yellow_major_fit_rate_below}, served vacancies per
-- graduate below {warning_yellow_vacancies_per_graduate_below}, city retention below
-- {warning_yellow_city_retention_rate_below}.
select
    l.region_level, l.region_code, r.region_name, l.major_code, m.major_name, l.higher_major_category_code,
    l.grad_year, l.graduates, l.graduates_initial_survey, l.placed_initial, l.initial_placement_rate,
    l.graduates_year_end_survey, l.placed_year_end, l.year_end_placement_rate, l.placement_round,
    l.employed, l.employed_major_related, l.major_fit_rate, l.employed_in_school_city, l.city_retention_rate,
    l.employed_in_school_province, l.employed_outside_province, l.employed_region_unknown,
    l.served_industries, l.served_vacancy_headcount, l.served_graduates_supplied, l.served_vacancies_per_graduate,
    l.warning_level,
    case l.warning_level when 'red' then '红色预警' when 'yellow' then '黄色预警' when 'green' then '绿色'
                         else '数据不足' end                                         as warning_level_name,
    case when l.below_minimum then 'graduates_below_minimum' else array_to_string(l.fired, ',') end
                                                                                    as warning_reason_codes,
    case when l.below_minimum then '毕业生少于{warning_min_graduates}人，不评级'
         else array_to_string(list_transform(l.fired, reason -> case reason
             when 'placement_rate_below_red'
                 then '毕业去向落实率低于' || printf('%g', {warning_red_placement_rate_below} * 100.0) || '%'
             when 'placement_rate_below_yellow'
                 then '毕业去向落实率低于' || printf('%g', {warning_yellow_placement_rate_below} * 100.0) || '%'
             when 'major_fit_rate_low'
                 then '专业对口率低于' || printf('%g', {warning_yellow_major_fit_rate_below} * 100.0) || '%'
             when 'served_vacancies_per_graduate_low'
                 then '服务产业岗位供需比低于' || printf('%g', {warning_yellow_vacancies_per_graduate_below} * 1.0)
             when 'city_retention_rate_low'
                 then '本市就业率低于' || printf('%g', {warning_yellow_city_retention_rate_below} * 100.0) || '%'
             end), '；') end                                                       as warning_reasons,
    'placement_rate = the rate of placement_round (the round with more graduates surveyed); '
        || 'graduates >= {warning_min_graduates}; red: placement_rate < {warning_red_placement_rate_below} or at least '
        || '{warning_red_min_yellow_rules} yellow rules; yellow: placement_rate < {warning_yellow_placement_rate_below}, '
        || 'major_fit_rate < {warning_yellow_major_fit_rate_below}, served_vacancies_per_graduate < '
        || '{warning_yellow_vacancies_per_graduate_below}, city_retention_rate < '
        || '{warning_yellow_city_retention_rate_below}'                            as warning_rule,
    '{bridge_version}' as bridge_version, '{weighting_rule}' as weighting_rule, '' as suppressed_columns
from (
    select *,
           case when below_minimum then 'insufficient_data'
                when placement_red or placement_low::integer + major_fit_low::integer + served_demand_low::integer
                     + city_retention_low::integer >= {warning_red_min_yellow_rules} then 'red'
                when placement_low or major_fit_low or served_demand_low or city_retention_low then 'yellow'
                else 'green' end                                                   as warning_level,
           -- the rules that fired, in the order the reasons are given
           list_filter([case when placement_red then 'placement_rate_below_red' end,
                        case when placement_low and not placement_red then 'placement_rate_below_yellow' end,
                        case when major_fit_low then 'major_fit_rate_low' end,
                        case when served_demand_low then 'served_vacancies_per_graduate_low' end,
                        case when city_retention_low then 'city_retention_rate_low' end], reason -> reason is not null)
                                                                                    as fired
    from (
        select *,
               graduates < {warning_min_graduates}                                           as below_minimum,
               coalesce(placement_rate < {warning_red_placement_rate_below}, false)           as placement_red,
               coalesce(placement_rate < {warning_yellow_placement_rate_below}, false)        as placement_low,
               coalesce(major_fit_rate < {warning_yellow_major_fit_rate_below}, false)        as major_fit_low,
               coalesce(served_vacancies_per_graduate < {warning_yellow_vacancies_per_graduate_below}, false)
                                                                                              as served_demand_low,
               coalesce(city_retention_rate < {warning_yellow_city_retention_rate_below}, false)
                                                                                              as city_retention_low
        from (
            select *,
                   case placement_round when 'year_end' then year_end_placement_rate
                                        when 'initial' then initial_placement_rate end        as placement_rate
            from (
                select c.*,
                       c.placed_initial / nullif(c.graduates_initial_survey, 0)             as initial_placement_rate,
                       c.placed_year_end / nullif(c.graduates_year_end_survey, 0)           as year_end_placement_rate,
                       -- the round with more graduates surveyed (年终 on a tie)
                       case when c.graduates_year_end_survey > 0
                                 and c.graduates_year_end_survey >= c.graduates_initial_survey then 'year_end'
                            when c.graduates_initial_survey > 0 then 'initial' end          as placement_round,
                       c.employed_major_related / nullif(c.employed_fit_known, 0)           as major_fit_rate,
                       c.employed_in_school_city / nullif(c.employed, 0)                    as city_retention_rate,
                       coalesce(s.served_industries, 0)                                     as served_industries,
                       coalesce(s.served_vacancy_headcount, 0)                              as served_vacancy_headcount,
                       coalesce(s.served_graduates_supplied, 0)                             as served_graduates_supplied,
                       s.served_vacancy_headcount / nullif(cast(s.served_graduates_supplied as double), 0)
                                                                                            as served_vacancies_per_graduate
                from school_region_counts c
                left join (
                    -- the industries each major serves, with their demand and (unrounded, summed, then rounded)
                    -- supply in the region and year
                    select c.region_level, c.region_code, c.major_code, c.grad_year,
                           count(*)                                    as served_industries,
                           sum(coalesce(t.vacancy_headcount, 0))       as served_vacancy_headcount,
                           round(sum(coalesce(t.exact_supply, 0)), 4)  as served_graduates_supplied
                    from school_region_counts c
                    join {seeds}.bridge_major_category_industry b
                      on b.major_category_code = c.higher_major_category_code and b.mapping_version = '{bridge_version}'
                    left join talent_match t
                      on t.classification = 'industry' and t.code_level = 'division'
                     and t.region_level = c.region_level and t.region_code = c.region_code
                     and t.code = b.industry_code and t.year = c.grad_year
                    group by all
                ) s using (region_level, region_code, major_code, grad_year)
            )
        )
    )
) l
left join {seeds}.ref_region r on r.region_code = l.region_code
left join major_names m on m.major_code = l.major_code
