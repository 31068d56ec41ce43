{#- The year a posting was posted in (int_vacancies.posted_year, the year of the enterprise list's lines). -#}
{% macro posted_year(posted_date) -%}
    cast(year({{ posted_date }}) as integer)
{%- endmacro %}


{#- The posting years the deliveries of vacancies since the last build touched (values_touched_since_last_build,
    macros/deliveries.sql): the years of mart_enterprise_demand an incremental build recomputes. -#}
{% macro posted_years_touched() -%}
    {{ return(values_touched_since_last_build('vacancies', ['posting_id'], posted_year('posted_date'))) }}
{%- endmacro %}
