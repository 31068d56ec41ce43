-- Shared by every mart's query: the named subqueries below are inlined into each mart's one statement (no
-- table is created). Raw zone feeds as delivered, the latest delivery of each key (the latest version of
-- each source file; among its rows the most recently ingested row of a key wins, ties: the later file name,
-- then the later row), and every region code resolved to today's prefecture-level city and province.
-- Reference data: the seeds in the pipeline's build database ({seeds}). A helper named in braces with its
-- arguments is the SQL of _<helper>.sql inlined with those values (benchmarks/minimal_floor.py).
region_map as (
    -- any GB/T 2260 code ever issued → today's code's level, prefecture and province (a retired code follows
    -- its successor; split areas: the first listed successor, as ref_region_history resolves it)
    select a.region_code, r.region_level as current_region_level, r.prefecture_code, r.province_code
    from (
        select region_code, region_code as current_region_code from {seeds}.ref_region
        union all
        select region_code, max(current_region_code) filter (where current_region_code is not null)
        from {seeds}.ref_region_history
        where region_code not in (select region_code from {seeds}.ref_region)
        group by region_code
    ) a
    left join {seeds}.ref_region r on r.region_code = a.current_region_code
),
graduates as (
    select
        g.grad_year, g.school_code, g.major_code,
        {higher_major_category(major_code=g.major_code)} as higher_major_category_code,
        g.destination_type in ('employed_contract', 'employed_flexible', 'self_employed') as is_employed,
        g.destination_type in ('employed_contract', 'employed_flexible', 'self_employed', 'further_study',
                               'enlisted')                                 as is_placed,
        s.prefecture_code as school_prefecture_code,   s.province_code as school_province_code,
        o.prefecture_code as origin_prefecture_code,   o.province_code as origin_province_code,
        e.prefecture_code as employer_prefecture_code, e.province_code as employer_province_code,
        substr(g.employer_industry_code, 1, 2)                            as employer_industry_division_code,
        g.occupation_code,
        substr(g.occupation_code, 1, 4)                                   as occupation_sub_major_group_code,
        g.employer_enterprise_id, g.employer_is_partner, g.order_class, g.apprenticeship, g.major_related,
        g.initial_is_placed, g.year_end_is_placed
    from (
        -- one record per graduate and survey date; the graduate's latest record, and per survey round (初次 up
        -- to 31 Aug, 年终 up to 31 Dec of grad_year) whether the round's latest record is placed
        select *,
               arg_max(record_is_placed, survey_date) filter (where survey_round = 'initial')
                   over (partition by graduate_id)                                as initial_is_placed,
               arg_max(record_is_placed, survey_date) filter (where survey_round = 'year_end')
                   over (partition by graduate_id)                                as year_end_is_placed
        from (
            select *,
                   destination_type in ('employed_contract', 'employed_flexible', 'self_employed',
                                        'further_study', 'enlisted')              as record_is_placed,
                   case when survey_date <= make_date(grad_year, 8, 31) then 'initial'
                        when survey_date <= make_date(grad_year, 12, 31) then 'year_end' end as survey_round
            from ({latest_delivery(feed=graduate_destinations; key=graduate_id, survey_date)})
        ) d
        qualify row_number() over (partition by graduate_id order by survey_date desc) = 1
    ) g
    left join region_map s on s.region_code = g.school_region_code
    left join region_map o on o.region_code = g.origin_region_code
    left join region_map e on e.region_code = g.employer_region_code
),
vacancies as (
    select
        v.enterprise_id, v.enterprise_name, r.prefecture_code, r.province_code,
        substr(v.industry_code, 1, 2)          as industry_division_code,
        v.occupation_code,
        substr(v.occupation_code, 1, 4)        as occupation_sub_major_group_code,
        v.required_level, v.headcount, v.salary_min_cny, v.salary_max_cny, v.posted_date,
        cast(year(v.posted_date) as integer)   as posted_year
    from ({latest_delivery(feed=vacancies; key=posting_id)}) v
    left join region_map r on r.region_code = v.region_code
),
enrolment as (
    select *, {higher_major_category(major_code=major_code)} as higher_major_category_code
    from ({latest_delivery(feed=enrolment; key=year, school_code, major_code, level)})
),
industry_output as (
    {latest_delivery(feed=industry_output; key=period, region_code, industry_code)}
),
industry_output_annual as (
    -- the annual periods of industry_output by region (a prefecture-level city, or a province delivered for
    -- itself) × year × industry: a GB/T 4754 门类 (grain section) or a 三次产业 (grain sector: primary, secondary,
    -- tertiary, where a delivery gave only the three sectors, as a statistical yearbook does). A 门类 or sector
    -- delivered whole is taken as delivered, else the 门类's 大类 rows are summed (divisions_reported of them).
    select region_level, region_code, province_code, year, industry_grain, industry_code,
           case when bool_or(whole) then sum(output_value_100m_cny) filter (where whole)
                else sum(output_value_100m_cny) end                                 as output_value,
           case when bool_or(whole) then sum(value_added_100m_cny) filter (where whole)
                else sum(value_added_100m_cny) end                                  as value_added,
           case when bool_or(whole) then sum(employment_10k) filter (where whole)
                else sum(employment_10k) end                                        as employment,
           case when bool_or(whole) then 0 else count(*) end                        as divisions_reported
    from (
        select case when r.prefecture_code is not null then 'prefecture' else 'province' end as region_level,
               coalesce(r.prefecture_code, r.province_code)                         as region_code,
               r.province_code, cast(o.period as integer)                           as year,
               case when s.sector_code is not null then 'sector' else 'section' end as industry_grain,
               coalesce(s.sector_code, i.section_code)                              as industry_code,
               i.industry_level is distinct from 'division'                         as whole,
               o.output_value_100m_cny, o.value_added_100m_cny, o.employment_10k
        from industry_output o
        join region_map r on r.region_code = o.region_code
        left join {seeds}.ref_industry i on i.industry_code = o.industry_code
        left join (select distinct sector_code from {seeds}.industry_sectors) s on s.sector_code = o.industry_code
        where length(o.period) = 4 and (r.prefecture_code is not null or r.current_region_level = 'province')
          and (i.industry_code is not null or s.sector_code is not null)
    )
    group by all
),
technical_services as (
    {latest_delivery(feed=technical_services; key=project_id)}
),
training as (
    {latest_delivery(feed=training; key=course_id)}
),
school_names as (
    -- a school's name as its enrolment reports it (the least if it reports two)
    select school_code, min(school_name) as school_name from enrolment group by school_code
),
school_region_counts as (
    -- the graduates of the schools of each prefecture-level city, and of each province, × major × grad_year: the
    -- survey rounds, the employed and where they work (at province level "the school's city" is any city of the
    -- province), the fit of the employed and the major's 专业类
    select
        case when grouping(school_prefecture_code) = 0 then 'prefecture' else 'province' end as region_level,
        case when grouping(school_prefecture_code) = 0 then school_prefecture_code
             else school_province_code end                                                as region_code,
        major_code, grad_year,
        min(higher_major_category_code)                                                   as higher_major_category_code,
        count(*)                                                                          as graduates,
        {placement_rounds()}
        count(*) filter (where is_employed)                                               as employed,
        case when grouping(school_prefecture_code) = 0
             then count(*) filter (where is_employed and employer_prefecture_code = school_prefecture_code)
             else count(*) filter (where is_employed and employer_province_code = school_province_code)
        end                                                                               as employed_in_school_city,
        count(*) filter (where is_employed and employer_province_code = school_province_code)
                                                                                          as employed_in_school_province,
        count(*) filter (where is_employed and employer_province_code <> school_province_code)
                                                                                          as employed_outside_province,
        count(*) filter (where is_employed and employer_province_code is null)            as employed_region_unknown,
        count(*) filter (where is_employed and major_related is not null)                 as employed_fit_known,
        count(*) filter (where is_employed and major_related)                             as employed_major_related
    from graduates
    where school_prefecture_code is not null
    group by grouping sets ((school_prefecture_code, school_province_code, major_code, grad_year),
                            (school_province_code, major_code, grad_year))
),
major_names as (
    -- a major's name: the official catalogue's (tw catalogue), else the project's transcription
    select major_code, major_name from {seeds}.major_catalogue_official
    union all
    select major_code, major_name from {seeds}.major_higher
    where major_code not in (select major_code from {seeds}.major_catalogue_official)
),
talent_match_rows as (
    -- the graduates supplied (one row per bridge weight, once for each classification; a graduate whose 专业类
    -- has no link in the bridge counts whole under '{unmapped_code}'), the postings and the employed graduates
    select g.school_prefecture_code as prefecture_code, g.school_province_code as province_code,
           g.grad_year as year, coalesce(b.industry_code, '{unmapped_code}') as industry_division_code,
           null as occupation_code, null as occupation_sub_major_group_code,
           coalesce(cast(b.weight as decimal(38, 18)), 1) as weight,
           null::bigint as headcount, false as is_posting, false as is_employment, null::boolean as major_related
    from graduates g
    left join {seeds}.bridge_major_category_industry b
      on b.major_category_code = g.higher_major_category_code and b.mapping_version = '{bridge_version}'
    where g.school_prefecture_code is not null
    union all
    select g.school_prefecture_code, g.school_province_code, g.grad_year, null,
           coalesce(b.occupation_code, '{unmapped_code}'), coalesce(b.occupation_code, '{unmapped_code}'),
           coalesce(cast(b.weight as decimal(38, 18)), 1), null, false, false, null
    from graduates g
    left join {seeds}.bridge_major_category_occupation b
      on b.major_category_code = g.higher_major_category_code and b.mapping_version = '{bridge_version}'
    where g.school_prefecture_code is not null
    union all
    select prefecture_code, province_code, posted_year, industry_division_code, occupation_code,
           occupation_sub_major_group_code, null, headcount, true, false, null
    from vacancies
    where prefecture_code is not null
    union all
    select employer_prefecture_code, employer_province_code, grad_year, employer_industry_division_code,
           occupation_code, occupation_sub_major_group_code, null, null, false, true, major_related
    from graduates
    where is_employed and employer_prefecture_code is not null
),
talent_match as (
    -- 人才供需匹配 of both classifications: supply (graduates through the major→industry and major→occupation
    -- bridges), vacancy demand and graduate employment in one union, each row classified by industry (大类 of
    -- ref_industry → 门类) and by occupation (中类 → 大类), rolled up once: region (city, province) × code
    -- (fine, coarse) × year. A cell exists where any of the three has a row; a count without rows is 0.
    select
        classification,
        case when grouping(prefecture_code) = 0 then 'prefecture' else 'province' end       as region_level,
        case when grouping(prefecture_code) = 0 then prefecture_code else province_code end as region_code,
        case when grouping(fine_code) = 0 then fine_level else coarse_level end             as code_level,
        case when grouping(fine_code) = 0 then fine_code else coarse_code end               as code,
        year,
        round(coalesce(sum(weight), 0), 4)                                                  as graduates_supplied,
        -- unrounded: what a threshold compares and a sum over several cells adds (rounded once, after)
        coalesce(sum(weight), 0)                                                            as exact_supply,
        coalesce(sum(headcount), 0)                                                         as vacancy_headcount,
        count(*) filter (where is_posting)                                                  as vacancy_postings,
        case when coarse_code <> '{unmapped_code}'  -- the unmapped row (its own parent) has no demand, no ratio
             then coalesce(sum(headcount), 0) / nullif(cast(round(sum(weight), 4) as double), 0) end
                                                                                            as vacancies_per_graduate,
        count(*) filter (where is_employment)                                               as graduates_employed,
        count(*) filter (where is_employment and major_related)                   as employed_major_related,
        count(*) filter (where is_employment and major_related)
            / nullif(count(*) filter (where is_employment and major_related is not null), 0) as major_fit_rate,
        '{bridge_version}'                                                                  as bridge_version,
        '{weighting_rule}'                                                                  as weighting_rule,
        ''                                                                                  as suppressed_columns
    from (
        -- the unmapped code is kept at both levels (its own parent); any other code must be in ref_industry
        select u.*, 'industry' as classification, 'division' as fine_level, 'section' as coarse_level,
               u.industry_division_code as fine_code,
               case when u.industry_division_code = '{unmapped_code}' then '{unmapped_code}' else i.section_code end
                   as coarse_code
        from talent_match_rows u
        left join {seeds}.ref_industry i on i.industry_code = u.industry_division_code
        where i.industry_code is not null or u.industry_division_code = '{unmapped_code}'
        union all
        select u.*, 'occupation', 'sub_major_group', 'major_group', u.occupation_sub_major_group_code,
               split_part(u.occupation_code, '-', 1)
        from talent_match_rows u
        where u.occupation_code is not null
    ) classified
    group by classification, fine_level, coarse_level, province_code, coarse_code, year,
             rollup(prefecture_code), rollup(fine_code)
),
shortage_listed as (
    -- both shortage lists (macros/shortage.sql's rule): supply and demand per city and province × 大类 or 中类
    -- × year, listed by the minimum volumes and ratio, ranked by the gap (ties: the ratio, then the code)
    select s.*, r.region_name,
           row_number() over (partition by classification, region_level, region_code, year
                              order by shortage_gap desc, vacancies_per_graduate desc, code) as shortage_rank,
           case when vacancies_per_graduate >= {shortage_severe_ratio} then 'severe' else 'shortage' end
                                                                                  as shortage_level,
           'graduates_supplied >= {shortage_min_supply} and vacancy_headcount >= {shortage_min_headcount} '
               || 'and vacancy_headcount / graduates_supplied >= {shortage_min_ratio}; ranked by '
               || 'vacancy_headcount - graduates_supplied'                      as listing_rule,
           '{bridge_version}' as bridge_version, '{weighting_rule}' as weighting_rule, '' as suppressed_columns
    from (
        select *, vacancy_headcount - graduates_supplied as shortage_gap,
               vacancy_headcount / cast(graduates_supplied as double) as vacancies_per_graduate
        from (
            select classification,
                   case when grouping(prefecture_code) = 0 then 'prefecture' else 'province' end as region_level,
                   case when grouping(prefecture_code) = 0 then prefecture_code else province_code end
                                                                                  as region_code,
                   year, code,
                   round(coalesce(sum(weight), 0), 4) as graduates_supplied,
                   coalesce(sum(headcount), 0)        as vacancy_headcount
            from (
                select g.school_prefecture_code as prefecture_code, g.school_province_code as province_code,
                       g.grad_year as year, 'industry_division' as classification, b.industry_code as code,
                       cast(b.weight as decimal(38, 18)) as weight, null::bigint as headcount
                from graduates g
                join {seeds}.bridge_major_category_industry b
                  on b.major_category_code = g.higher_major_category_code
                 and b.mapping_version = '{bridge_version}'
                join {seeds}.ref_industry i on i.industry_code = b.industry_code
                where g.school_prefecture_code is not null
                union all
                select v.prefecture_code, v.province_code, v.posted_year, 'industry_division',
                       v.industry_division_code, null, v.headcount
                from vacancies v
                join {seeds}.ref_industry i on i.industry_code = v.industry_division_code
                where v.prefecture_code is not null
                union all
                select g.school_prefecture_code, g.school_province_code, g.grad_year, 'occupation_sub_major_group',
                       b.occupation_code, cast(b.weight as decimal(38, 18)), null
                from graduates g
                join {seeds}.bridge_major_category_occupation b
                  on b.major_category_code = g.higher_major_category_code
                 and b.mapping_version = '{bridge_version}'
                where g.school_prefecture_code is not null
                union all
                select prefecture_code, province_code, posted_year, 'occupation_sub_major_group',
                       occupation_sub_major_group_code, null, headcount
                from vacancies
                where prefecture_code is not null and occupation_code is not null
            ) u
            group by grouping sets ((classification, prefecture_code, province_code, year, code),
                                    (classification, province_code, year, code))
        ) c
    ) s
    left join (select region_code as named_code, region_name from {seeds}.ref_region) r
      on r.named_code = s.region_code
    where graduates_supplied >= {shortage_min_supply} and vacancy_headcount >= {shortage_min_headcount}
      and vacancies_per_graduate >= {shortage_min_ratio}
),
activity as (
    -- 技术服务 and 社会培训 per school × enterprise × calendar year of the project's or course's start_date;
    -- terminated projects are neither counted nor valued; courses open to all have no enterprise
    select school_code, enterprise_id, year,
           count(*) filter (where kind = 'service' and status <> 'terminated')            as service_projects,
           coalesce(sum(value_10k_cny) filter (where kind = 'service' and status <> 'terminated'), 0)
                                                                                           as technical_service_value_10k_cny,
           count(*) filter (where kind = 'training')                                       as training_courses,
           coalesce(sum(trainees), 0)                                                      as training_person_times,
           coalesce(sum(certificates_awarded), 0)                                          as certificates_awarded
    from (
        select 'service' as kind, school_code, enterprise_id, year(cast(start_date as date)) as year, status,
               cast(contract_value_10k_cny as double) as value_10k_cny,
               cast(null as bigint) as trainees, cast(null as bigint) as certificates_awarded
        from technical_services
        union all
        select 'training', school_code, enterprise_id, year(cast(start_date as date)), null, null,
               cast(trainees as bigint), cast(certificates_awarded as bigint)
        from training
    ) a
    group by all
)
