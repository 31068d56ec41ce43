{{ config(meta={"dagster": {"ref": {"name": "dim_region_history"}}}) }}
-- Records resolve to today's code by code alone (dim_region_code_map). That is right only while no
-- retired code was later re-issued for another area: this test fails if a classification update breaks it.
select region_code
from {{ ref('dim_region_history') }}
group by region_code
having bool_or(status = 'retired') and bool_or(status = 'in_force')
