-- 招生/在校生: one row per school × major × level × year (the latest delivery of a key wins; a corrected file
-- replaces its earlier version).
select
    cast(year as integer) as year,
    cast(school_code as string) as school_code,
    cast(school_name as string) as school_name,
    cast(school_region_code as string) as school_region_code,
    cast(level as string) as level,
    cast(major_code as string) as major_code,
    cast(new_enrolment as bigint) as new_enrolment,
    cast(enrolled_total as bigint) as enrolled_total,
    cast(expected_graduates as bigint) as expected_graduates,
    cast(order_class_enrolment as bigint) as order_class_enrolment,
    cast(apprenticeship_enrolment as bigint) as apprenticeship_enrolment,
    cast(period as string) as period,
    {{ provenance_columns() }}
from ({{ latest_row_per_key(source('raw', 'enrolment'), ['year', 'school_code', 'major_code', 'level']) }}) as delivered
