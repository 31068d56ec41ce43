{#- Generic test: the checks a published model declares in its config.meta (the same declaration
    transformation/marts.py reads for the model's Great Expectations suite): unit_interval columns lie in
    [0, 1]; every count of persons (disclosure.counts) and every non_negative column is ≥ 0; each min_value
    column is at least its threshold (a dbt var, rendered); not_null columns have no nulls. Returns the rows
    that break any of them. -#}
{% test declared_checks(model) %}
{%- set node = none -%}
{%- if execute -%}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model.identifier) | first -%}
{%- endif -%}
{%- set meta = node.config.meta if node else {} -%}
{%- set checks = meta.get('checks', {}) -%}
{%- set counts = meta.get('disclosure', {}).get('counts', []) -%}
select *
from {{ model }}
where false
{%- for column in checks.get('unit_interval', []) %}
    or {{ column }} < 0 or {{ column }} > 1
{%- endfor %}
{%- for column in counts + checks.get('non_negative', []) %}
    or {{ column }} < 0
{%- endfor %}
{%- for column, minimum in checks.get('min_value', {}).items() %}
    or {{ column }} < {{ minimum }}
{%- endfor %}
{%- for column in checks.get('not_null', []) %}
    or {{ column }} is null
{%- endfor %}
{% endtest %}
