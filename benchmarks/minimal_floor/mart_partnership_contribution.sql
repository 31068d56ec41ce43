-- 区域产业贡献度 per school × enterprise × calendar year. A partnership: a school and an enterprise that the
-- graduates' records name as the school's partner, or that the school served (技术服务) or trained staff for
-- (社会培训), that year. Parts: local hires (employed by the enterprise in the school's city), 技术服务产值 and
-- 岗位适配率 (related ÷ hires of known fit); each of the first two scaled to the best partnership of the same city
-- and year; the index weighs the parts that are defined. Graduates of the microdata only: counts carry no
-- enterprise (the model's not_covered).
select
    school_code, enterprise_id, calendar_year, region_code, graduates_hired, hires_in_school_city,
    employed_major_related, job_fit_rate, service_projects, technical_service_value_10k_cny, training_courses,
    training_person_times, certificates_awarded, hires_in_school_city_score, technical_service_value_score,
    round((  {contribution_weight_hires_in_school_city} * coalesce(hires_in_school_city_score, 0)
           + {contribution_weight_technical_service_value} * coalesce(technical_service_value_score, 0)
           + {contribution_weight_job_fit} * coalesce(job_fit_rate, 0))
          / nullif(  {contribution_weight_hires_in_school_city} * (hires_in_school_city_score is not null)::integer
                   + {contribution_weight_technical_service_value} * (technical_service_value_score is not null)::integer
                   + {contribution_weight_job_fit} * (job_fit_rate is not null)::integer, 0), 9)
                                                                                    as contribution_index,
    ''                                                                              as suppressed_columns
from (
    select *,
           hires_in_school_city
               / nullif(max(hires_in_school_city) over (partition by region_code, calendar_year), 0)
                                                                                    as hires_in_school_city_score,
           technical_service_value_10k_cny
               / nullif(max(technical_service_value_10k_cny) over (partition by region_code, calendar_year), 0)
                                                                                    as technical_service_value_score
    from (
        select
            p.school_code, p.enterprise_id, p.calendar_year, c.region_code,
            {activity_columns(of=a)}
            coalesce(h.graduates_hired, 0)                                          as graduates_hired,
            coalesce(h.hires_in_school_city, 0)                                     as hires_in_school_city,
            coalesce(h.employed_major_related, 0)                                   as employed_major_related,
            h.employed_major_related / nullif(h.fit_known, 0)                       as job_fit_rate
        from (
            select school_code, employer_enterprise_id as enterprise_id, grad_year as calendar_year
            from graduates
            where is_employed and employer_is_partner and employer_enterprise_id is not null
            union
            select school_code, enterprise_id, year from activity where enterprise_id is not null
        ) p
        -- the partnership's city: its school's (the least, were the graduates' records to give two)
        left join (select school_code, min(school_prefecture_code) as region_code from graduates group by all) c
          using (school_code)
        left join ({enterprise_hires(by=school_code, employer_enterprise_id as enterprise_id,
                                     grad_year as calendar_year)}) h
          using (school_code, enterprise_id, calendar_year)
        left join (select *, year as calendar_year from activity where enterprise_id is not null) a
          using (school_code, enterprise_id, calendar_year)
    )
)
