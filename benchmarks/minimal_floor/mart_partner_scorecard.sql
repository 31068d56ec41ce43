select
    h.enterprise_id, d.enterprise_name, d.region_code, h.year, h.graduates_hired, h.partner_hires,
    h.partner_schools, h.hires_in_school_city, h.hires_in_school_city / nullif(h.graduates_hired, 0) as city_retention_rate,
    h.employed_major_related, h.employed_major_related / nullif(h.fit_known, 0)           as major_fit_rate,
    h.order_class_hires, h.apprenticeship_hires,
    coalesce(d.vacancy_headcount, 0)                                               as vacancy_headcount,
    h.graduates_hired / nullif(cast(d.vacancy_headcount as double), 0)             as hires_per_vacancy,
    {activity_columns(of=a)}
    ''                                                                             as suppressed_columns
from ({enterprise_hires(by=employer_enterprise_id as enterprise_id, grad_year as year)}) h
left join (
    -- an enterprise posting in several cities is placed where it posted the most headcount that year (ties:
    -- the lowest code)
    select enterprise_id, year,
           arg_max(enterprise_name, [headcount, -cast(prefecture_code as bigint)]) as enterprise_name,
           arg_max(prefecture_code, [headcount, -cast(prefecture_code as bigint)]) as region_code,
           sum(headcount) as vacancy_headcount
    from (
        select enterprise_id, posted_year as year, prefecture_code, sum(headcount) as headcount,
               max(enterprise_name) as enterprise_name
        from vacancies
        where enterprise_id in (select employer_enterprise_id from graduates where employer_is_partner)
        group by all
    )
    group by all
) d using (enterprise_id, year)
left join ({activity_by(by=enterprise_id; rows=enterprise_id is not null)}) a using (enterprise_id, year)
-- listed: enterprises that hired a graduate as a 校企合作 partner of the graduate's school in some year
where h.enterprise_id in (select employer_enterprise_id from graduates where employer_is_partner)
