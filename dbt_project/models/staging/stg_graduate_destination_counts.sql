-- 毕业去向统计（汇总）: graduate destinations delivered as counts, one row per cell. The latest delivery of a
-- table slice (school × major × level × grad_year × survey date) replaces all its cells. int_graduates puts
-- these cells beside the microdata, each with its number of graduates.
select
    cast(grad_year as integer) as grad_year,
    cast(school_code as string) as school_code,
    cast(school_region_code as string) as school_region_code,
    cast(major_code as string) as major_code,
    cast(level as string) as level,
    cast(survey_date as date) as survey_date,
    cast(destination_type as string) as destination_type,
    cast(origin_region_code as string) as origin_region_code,
    cast(employer_region_code as string) as employer_region_code,
    cast(employer_industry_code as string) as employer_industry_code,
    cast(occupation_code as string) as occupation_code,
    cast(employer_is_partner as boolean) as employer_is_partner,
    cast(major_related as boolean) as major_related,
    cast(order_class as boolean) as order_class,
    cast(apprenticeship as boolean) as apprenticeship,
    cast(graduates as bigint) as graduates,
    cast(period as string) as period,
    {{ provenance_columns() }}
from (
    {{ latest_slice_rows(source('raw', 'graduate_destination_counts'),
        ['grad_year', 'school_code', 'major_code', 'level', 'survey_date']) }}
) as delivered
