-- Shared by every mart's query: the named subqueries below are inlined into each mart's one statement (no
-- table is created). Raw zone feeds as delivered, the latest delivery of each key (the latest version of
-- each source file; among its rows the most recently ingested row of a key wins, ties: the later file name,
-- then the later row), and every region code resolved to today's prefecture-level city and province.
-- Reference data: the seeds in the pipeline's build database ({seeds}).
region_map as (
    -- any GB/T 2260 code ever issued → today's code's prefecture and province (a retired code follows its
    -- successor; split areas: the first listed successor, as ref_region_history resolves it)
    select a.region_code, r.prefecture_code, r.province_code
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
        case when cast(substr(g.major_code, 1, 2) as integer) between 61 and 79
                 then lpad(cast(cast(substr(g.major_code, 1, 2) as integer) - 20 as varchar), 2, '0')
                      || substr(g.major_code, 3, 2)
             when cast(substr(g.major_code, 1, 2) as integer) between 21 and 39
                 then lpad(cast(cast(substr(g.major_code, 1, 2) as integer) + 20 as varchar), 2, '0')
                      || substr(g.major_code, 3, 2)
             else substr(g.major_code, 1, 4) end                          as higher_major_category_code,
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
            from read_parquet('{raw}/graduate_destinations/*/*.parquet', union_by_name = true)
            where (source_file, ingested_at) in (
                select source_file, max(ingested_at)
                from read_parquet('{raw}/graduate_destinations/*/*.parquet', union_by_name = true)
                group by source_file)
            qualify row_number() over (
                partition by graduate_id, survey_date
                order by ingested_at desc, source_file desc, source_row desc) = 1
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
        v.headcount,
        cast(year(v.posted_date) as integer)   as posted_year
    from (
        select * from read_parquet('{raw}/vacancies/*/*.parquet', union_by_name = true)
        where (source_file, ingested_at) in (
            select source_file, max(ingested_at)
            from read_parquet('{raw}/vacancies/*/*.parquet', union_by_name = true)
            group by source_file)
        qualify row_number() over (
            partition by posting_id order by ingested_at desc, source_file desc, source_row desc) = 1
    ) v
    left join region_map r on r.region_code = v.region_code
),
enrolment as (
    select * from read_parquet('{raw}/enrolment/*/*.parquet', union_by_name = true)
    where (source_file, ingested_at) in (
        select source_file, max(ingested_at)
        from read_parquet('{raw}/enrolment/*/*.parquet', union_by_name = true)
        group by source_file)
    qualify row_number() over (
        partition by year, school_code, major_code, level
        order by ingested_at desc, source_file desc, source_row desc) = 1
),
industry_output as (
    select * from read_parquet('{raw}/industry_output/*/*.parquet', union_by_name = true)
    where (source_file, ingested_at) in (
        select source_file, max(ingested_at)
        from read_parquet('{raw}/industry_output/*/*.parquet', union_by_name = true)
        group by source_file)
    qualify row_number() over (
        partition by period, region_code, industry_code
        order by ingested_at desc, source_file desc, source_row desc) = 1
),
shortage_listed as (
    -- both shortage lists (macros/shortage.sql's rule): supply and demand per city and province × 大类 or 中类
    -- × year, listed by the minimum volumes and ratio, ranked by the gap (ties: the ratio, then the code)
    select s.*, r.region_name,
           row_number() over (partition by classification, region_level, region_code, year
                              order by shortage_gap desc, demand_supply_ratio desc, code) as shortage_rank,
           case when demand_supply_ratio >= {shortage_severe_ratio} then 'severe' else 'shortage' end
                                                                                  as shortage_level,
           'graduates_supplied >= {shortage_min_supply} and vacancy_headcount >= {shortage_min_headcount} '
               || 'and vacancy_headcount / graduates_supplied >= {shortage_min_ratio}; ranked by '
               || 'vacancy_headcount - graduates_supplied'                      as listing_rule,
           '{bridge_version}' as bridge_version, '{weighting_rule}' as weighting_rule, '' as suppressed_columns
    from (
        select *, vacancy_headcount - graduates_supplied as shortage_gap,
               vacancy_headcount / cast(graduates_supplied as double) as demand_supply_ratio
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
      and demand_supply_ratio >= {shortage_min_ratio}
)
