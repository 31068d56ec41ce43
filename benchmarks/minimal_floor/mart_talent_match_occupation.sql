-- As mart_talent_match, by occupation (大典 2022 中类, and 大类): supply through the major→occupation bridge,
-- demand from the postings' occupation, employment from the graduates' occupation. As in the industry mart, a
-- cell with supply and no demand has demand_supply_ratio 0; without employment it has no major_fit_rate.
select
    c.region_level, c.region_code, r.region_name, c.occupation_level, c.occupation_code, o.occupation_name,
    c.year,
    round(coalesce(c.graduates_supplied, 0), 4)                                          as graduates_supplied,
    coalesce(c.vacancy_headcount, 0)                                                     as vacancy_headcount,
    coalesce(c.vacancy_headcount, 0) / nullif(cast(round(c.graduates_supplied, 4) as double), 0)
                                                                                         as demand_supply_ratio,
    coalesce(c.employed, 0)                                                              as graduates_employed_in_occupation,
    coalesce(c.related, 0)                                                               as graduates_employed_major_related,
    c.related / nullif(c.fit_known, 0)                                                   as major_fit_rate,
    '{bridge_version}'                                                                   as bridge_version,
    '{weighting_rule}'                                                                   as weighting_rule,
    ''                                                                                   as suppressed_columns
from (
    select
        case when grouping(prefecture_code) = 0 then 'prefecture' else 'province' end       as region_level,
        case when grouping(prefecture_code) = 0 then prefecture_code else province_code end as region_code,
        case when grouping(sub_major_group_code) = 0 then 'sub_major_group' else 'major_group' end
                                                                                            as occupation_level,
        case when grouping(sub_major_group_code) = 0 then sub_major_group_code else major_group_code end
                                                                                            as occupation_code,
        year,
        sum(weight)                                                              as graduates_supplied,
        case when bool_or(is_posting) then sum(headcount) end                     as vacancy_headcount,
        case when bool_or(is_employment) then count(*) filter (where is_employment) end as employed,
        case when bool_or(is_employment)
             then count(*) filter (where is_employment and major_related is not null) end as fit_known,
        case when bool_or(is_employment)
             then count(*) filter (where is_employment and major_related) end     as related
    from (
        select g.school_prefecture_code as prefecture_code, g.school_province_code as province_code,
               b.occupation_code as sub_major_group_code, split_part(b.occupation_code, '-', 1) as major_group_code,
               g.grad_year as year, cast(b.weight as decimal(38, 18)) as weight, null::bigint as headcount,
               false as is_posting, false as is_employment, null::boolean as major_related
        from graduates g
        join {seeds}.bridge_major_category_occupation b
          on b.major_category_code = g.higher_major_category_code and b.mapping_version = '{bridge_version}'
        where g.school_prefecture_code is not null
        union all
        select prefecture_code, province_code, occupation_sub_major_group_code,
               split_part(occupation_code, '-', 1), posted_year, null, headcount, true, false, null
        from vacancies
        where prefecture_code is not null and occupation_code is not null
        union all
        select employer_prefecture_code, employer_province_code, occupation_sub_major_group_code,
               split_part(occupation_code, '-', 1), grad_year, null, null, false, true, major_related
        from graduates
        where is_employed and employer_prefecture_code is not null and occupation_code is not null
    ) u
    group by grouping sets (
        (prefecture_code, province_code, sub_major_group_code, major_group_code, year),
        (province_code, sub_major_group_code, major_group_code, year),
        (prefecture_code, province_code, major_group_code, year),
        (province_code, major_group_code, year))
) c
left join {seeds}.ref_region r     on r.region_code = c.region_code
left join {seeds}.ref_occupation o on o.occupation_code = c.occupation_code
