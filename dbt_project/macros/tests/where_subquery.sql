{#- The rows every generic test reads (its `model`): dbt's get_where_subquery, overridden. The test's `where`
    config as in dbt, and for the uniqueness of an incremental staging model's key in an incremental build the
    rows of the keys delivered since the last build (rows_touched_since_last_build, macros/deliveries.sql): the
    test groups a month's keys, not a feed's 20 million again. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where') or '', rows_touched_since_last_build(relation)] | reject('equalto', '') | list -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ conditions | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {% do return(filtered) %}
    {%- else -%}
        {% do return(relation) %}
    {%- endif -%}
{%- endmacro %}
