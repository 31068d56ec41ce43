-- Only city × 大类 and city × 中类 cells can be listed, and only where there is demand (≥ the minimum
-- headcount): so supply and demand at that level alone, no roll-ups and no employment.
select
    region_code, region_name, year, classification, code, name,
    row_number() over (partition by region_code, year, classification order by shortage_index desc, code)
                                                           as shortage_rank,
    shortage_index,
    case when shortage_index >= 3 then 'severe' else 'shortage' end as shortage_level,
    graduates_supplied > 0                                 as has_vocational_supply,
    vacancy_headcount, graduates_supplied,
    vacancy_headcount / nullif(cast(graduates_supplied as double), 0) as demand_supply_ratio,
    'shortage_index = vacancy_headcount / (graduates_supplied + 1) >= {shortage_min_index} '
        || 'and vacancy_headcount >= {shortage_min_headcount}' as listing_rule,
    '{bridge_version}'                                     as bridge_version,
    '{weighting_rule}'                                     as weighting_rule,
    ''                                                     as suppressed_columns
from (
    select c.*, r.region_name,
           cast(c.vacancy_headcount as double) / (cast(c.graduates_supplied as double) + 1.0) as shortage_index
    from (
        select prefecture_code as region_code, year, classification, code,
               round(coalesce(sum(weight), 0), 4) as graduates_supplied,
               coalesce(sum(headcount), 0)        as vacancy_headcount
        from (
            select g.school_prefecture_code as prefecture_code, g.grad_year as year,
                   'industry_division' as classification, b.industry_code as code,
                   cast(b.weight as decimal(38, 18)) as weight, null::bigint as headcount
            from graduates g
            join {seeds}.bridge_major_category_industry b
              on b.major_category_code = g.higher_major_category_code and b.mapping_version = '{bridge_version}'
            join {seeds}.ref_industry i on i.industry_code = b.industry_code
            where g.school_prefecture_code is not null
            union all
            select v.prefecture_code, v.posted_year, 'industry_division', v.industry_division_code, null, v.headcount
            from vacancies v
            join {seeds}.ref_industry i on i.industry_code = v.industry_division_code
            where v.prefecture_code is not null
            union all
            select g.school_prefecture_code, g.grad_year, 'occupation_sub_major_group', b.occupation_code,
                   cast(b.weight as decimal(38, 18)), null
            from graduates g
            join {seeds}.bridge_major_category_occupation b
              on b.major_category_code = g.higher_major_category_code and b.mapping_version = '{bridge_version}'
            where g.school_prefecture_code is not null
            union all
            select prefecture_code, posted_year, 'occupation_sub_major_group', occupation_sub_major_group_code,
                   null, headcount
            from vacancies
            where prefecture_code is not null and occupation_code is not null
        ) u
        group by all
    ) c
    left join {seeds}.ref_region r on r.region_code = c.region_code
) scored
left join (
    select industry_code as code, 'industry_division' as classification, industry_name as name
    from {seeds}.ref_industry
    union all
    select occupation_code, 'occupation_sub_major_group', occupation_name from {seeds}.ref_occupation
) names using (classification, code)
where shortage_index >= {shortage_min_index} and vacancy_headcount >= {shortage_min_headcount}
