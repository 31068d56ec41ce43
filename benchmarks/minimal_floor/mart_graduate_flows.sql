select
    g.grad_year,
    case when g.origin_prefecture_code is not null
         then case when g.origin_province_code in (select school_province_code from graduates) then 'prefecture' else 'province' end
    end                                          as origin_region_level,
    case when g.origin_province_code in (select school_province_code from graduates) then g.origin_prefecture_code
         when g.origin_prefecture_code is not null then g.origin_province_code end as origin_region_code,
    ro.region_name                               as origin_region_name,
    g.origin_province_code,
    g.school_prefecture_code                     as school_region_code,
    rs.region_name                               as school_region_name,
    g.school_province_code,
    case when g.is_employed and g.employer_prefecture_code is not null
         then case when g.employer_province_code in (select school_province_code from graduates) then 'prefecture' else 'province' end
    end                                          as employer_region_level,
    case when not g.is_employed then null
         when g.employer_province_code in (select school_province_code from graduates) then g.employer_prefecture_code
         when g.employer_prefecture_code is not null then g.employer_province_code end as employer_region_code,
    re.region_name                               as employer_region_name,
    case when g.is_employed then g.employer_province_code end   as employer_province_code,
    case when not g.is_employed                                      then 'not_employed'
         when g.employer_prefecture_code is null                     then 'employer_region_unknown'
         when g.employer_prefecture_code = g.school_prefecture_code  then 'stayed_in_school_city'
         when g.employer_prefecture_code = g.origin_prefecture_code  then 'returned_to_origin'
         when g.employer_province_code = g.school_province_code      then 'moved_within_province'
         else 'left_province' end                as flow_type,
    count(*)                                     as graduates,
    ''                                           as suppressed_columns
from graduates g
left join {seeds}.ref_region ro on ro.region_code = case
    when g.origin_province_code in (select school_province_code from graduates) then g.origin_prefecture_code
    when g.origin_prefecture_code is not null then g.origin_province_code end
left join {seeds}.ref_region rs on rs.region_code = g.school_prefecture_code
left join {seeds}.ref_region re on re.region_code = case
    when not g.is_employed then null
    when g.employer_province_code in (select school_province_code from graduates) then g.employer_prefecture_code
    when g.employer_prefecture_code is not null then g.employer_province_code end
where g.school_prefecture_code is not null
group by all
