-- 产业产值: one row per region × industry × period; latest delivery wins (a corrected file replaces its earlier version).
select
    cast(period as string) as period,
    cast(region_code as string) as region_code,
    cast(industry_code as string) as industry_code,
    cast(output_value_100m_cny as double) as output_value_100m_cny,
    cast(value_added_100m_cny as double) as value_added_100m_cny,
    cast(employment_10k as double) as employment_10k,
    cast(source_file as string) as source_file,
    cast(source_row as bigint) as source_row,
    cast(file_sha256 as string) as file_sha256,
    ingested_at
from
    ({{ latest_row_per_key(source('raw', 'industry_output'), ['period', 'region_code', 'industry_code']) }})
        as delivered
