{#- Rows of the latest delivered version of each source file. A file delivered again under the same
    name with other bytes (a correction) replaces its earlier version entirely: rows it no longer has are
    gone from staging (the raw zone keeps every version). -#}
{% macro latest_file_versions(relation) -%}
    (select * from {{ relation }}
     qualify dense_rank() over (partition by source_file order by ingested_at desc) = 1)
{%- endmacro %}
