{#- The rows every generic test reads (its `model`): dbt's get_where_subquery, overridden. The test's `where`
    config as in dbt, and the rows an incremental build may have changed of an incremental staging model
    (rows_touched_since_last_build, macros/deliveries.sql): a test of a feed's 20 million rows reads the
    month delivered since the last build, not all of them again. -#}
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
