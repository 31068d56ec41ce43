{#- The last column of every published mart. Empty here: the build database holds exact figures.
    Small-cell suppression (orchestration/disclosure.py) fills it in the published release with the
    columns it masked, comma-separated. -#}
{% macro suppressed_columns() -%}
    '' as suppressed_columns
{%- endmacro %}
