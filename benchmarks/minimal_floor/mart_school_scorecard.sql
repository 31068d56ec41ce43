select
    g.school_code, e.school_name, g.region_code, r.region_name, g.grad_year, g.graduates,
    g.graduates_initial_survey, g.placed_initial,
    g.placed_initial / nullif(g.graduates_initial_survey, 0)            as initial_placement_rate,
    g.graduates_year_end_survey, g.placed_year_end,
    g.placed_year_end / nullif(g.graduates_year_end_survey, 0)          as year_end_placement_rate,
    g.employed, g.employed_in_school_city,
    g.employed_in_school_city / nullif(g.employed, 0)                          as city_retention_rate,
    g.partner_hires, g.partner_hires_in_school_city,
    g.partner_hires / nullif(g.employed, 0)                             as partner_hire_rate,
    g.employed_major_related,
    g.employed_major_related / nullif(g.fit_known, 0)                   as major_fit_rate,
    g.order_class_graduates, g.order_class_partner_hires,
    g.order_class_partner_hires / nullif(g.order_class_graduates, 0)    as order_class_partner_hire_rate,
    g.apprenticeship_graduates, g.apprenticeship_partner_hires,
    g.apprenticeship_partner_hires / nullif(g.apprenticeship_graduates, 0) as apprenticeship_partner_hire_rate,
    e.enrolled_total, e.expected_graduates, e.order_class_enrolment, e.apprenticeship_enrolment,
    {activity_columns(of=a)}
    ''                                                                  as suppressed_columns
from (
    select
        school_code, grad_year,
        min(school_prefecture_code)                                                     as region_code,
        count(*)                                                                        as graduates,
        {placement_rounds()}
        count(*) filter (where is_employed)                                             as employed,
        count(*) filter (where is_employed and employer_prefecture_code = school_prefecture_code)
                                                                                        as employed_in_school_city,
        count(*) filter (where is_employed and employer_is_partner)                     as partner_hires,
        count(*) filter (where is_employed and employer_is_partner
                           and employer_prefecture_code = school_prefecture_code)       as partner_hires_in_school_city,
        count(*) filter (where is_employed and major_related is not null)               as fit_known,
        count(*) filter (where is_employed and major_related)                           as employed_major_related,
        count(*) filter (where order_class)                                             as order_class_graduates,
        count(*) filter (where order_class and is_employed and employer_is_partner)     as order_class_partner_hires,
        count(*) filter (where apprenticeship)                                          as apprenticeship_graduates,
        count(*) filter (where apprenticeship and is_employed and employer_is_partner)  as apprenticeship_partner_hires
    from graduates
    group by school_code, grad_year
) g
left join (
    select school_code, year, min(school_name) as school_name, sum(enrolled_total) as enrolled_total,
           sum(expected_graduates) as expected_graduates, sum(order_class_enrolment) as order_class_enrolment,
           sum(apprenticeship_enrolment) as apprenticeship_enrolment
    from enrolment
    group by school_code, year
) e on e.school_code = g.school_code and e.year = g.grad_year
left join ({activity_by(by=school_code; rows=true)}) a on a.school_code = g.school_code and a.year = g.grad_year
left join {seeds}.ref_region r on r.region_code = g.region_code
