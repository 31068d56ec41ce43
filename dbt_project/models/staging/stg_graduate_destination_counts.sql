-- 毕业去向统计（汇总）: graduate destinations delivered as counts, one row per cell. The latest delivery of a
-- table slice (school × major × level × grad_year × survey date) replaces all its cells. int_graduates puts
-- these cells beside the microdata, each with its number of graduates.
select
    {{ typed_columns('raw', 'graduate_destination_counts', overrides={'grad_year': 'integer'}) }}
from (
    {{ latest_slice_rows(source('raw', 'graduate_destination_counts'),
        ['grad_year', 'school_code', 'major_code', 'level', 'survey_date']) }}
) as delivered
