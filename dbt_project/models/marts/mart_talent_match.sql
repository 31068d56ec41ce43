-- 人才供需匹配: region (prefecture-level city, and province roll-up) × industry (GB/T 4754 大类, and 门类
-- roll-up) × year. Counts from int_talent_match_counts; columns and ratios written once, for both
-- classifications, in macros/talent_match.sql.
{{ talent_match_mart(
    'industry', region_attributes=['province_code'], code_attributes=['section_code'], with_postings=true
) }}
