-- Helper (inlined where it is named): the graduates an enterprise hired (employed, employer enterprise known) per
-- {by}: hired, of them as a partner of their school (and from how many schools), employed in their school's city
-- (本地就业), of known and of related fit (岗位适配), from order classes and apprenticeships.
select
    {by},
    count(*)                                                                   as graduates_hired,
    count(*) filter (where employer_is_partner)                                as partner_hires,
    count(distinct school_code) filter (where employer_is_partner)             as partner_schools,
    count(*) filter (where employer_prefecture_code = school_prefecture_code)  as hires_in_school_city,
    count(*) filter (where major_related is not null)                          as fit_known,
    count(*) filter (where major_related)                                      as employed_major_related,
    count(*) filter (where order_class)                                        as order_class_hires,
    count(*) filter (where apprenticeship)                                     as apprenticeship_hires
from graduates
where is_employed and employer_enterprise_id is not null
group by all
