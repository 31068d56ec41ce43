-- 产业产值: one row per region × industry × period; latest delivery wins (a corrected file replaces its earlier version).
select
    cast(period as string) as period,
    cast(region_code as string) as region_code,
    cast(industry_code as string) as industry_code,
    cast(output_value_100m_cny as double) as output_value_100m_cny,
    cast(value_added_100m_cny as double) as value_added_100m_cny,
    cast(employment_10k as double) as employment_10k,
    {{ provenance_columns() }}
from
    ({{ latest_row_per_key(source('raw', 'industry_output'), ['period', 'region_code', 'industry_code']) }})
        as delivered
