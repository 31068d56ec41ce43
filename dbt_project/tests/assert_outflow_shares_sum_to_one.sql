{{ config(meta={"dagster": {"ref": {"name": "mart_talent_outflow"}}}) }}
-- retention + outflow + unknown = 1 wherever a rate is defined.
select * from {{ ref('mart_talent_outflow') }}
where employed > 0 and abs(province_retention_rate + outflow_rate + region_unknown_rate - 1) > 1e-9
