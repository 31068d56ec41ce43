{#-
  Region × classification roll-ups, written once for every model that publishes parent rows.
-#}

{#- The level and the code of a roll-up row: the fine column when it was grouped, else the coarse one. -#}
{% macro rollup_level(fine, fine_name, coarse_name) -%}
    case when grouping({{ fine }}) = 0 then {{ fine_name }} else {{ coarse_name }} end
{%- endmacro %}

{% macro rollup_code(fine, coarse) -%}
    case when grouping({{ fine }}) = 0 then {{ fine }} else {{ coarse }} end
{%- endmacro %}

{#- The grouped relation has the region hierarchy (prefecture_code, province_code), a classification with
    its two levels (fine_level, coarse_level: their names; fine_code, coarse_code: the codes) and a year.
    The two ROLLUPs multiply into four grouping sets: prefecture × fine code, province × fine code,
    prefecture × coarse code, province × coarse code (written as ROLLUPs, which DuckDB, Spark and sqlfluff
    all read; GROUPING SETS sqlfluff's DuckDB dialect does not parse). Additive columns of a parent row are
    the sum of its children by construction (tested in dbt: assert_talent_match_rollups_add_up,
    assert_occupation_rollups_add_up). -#}
{% macro rollup_grouping_sets() -%}
    province_code, classification, fine_level, coarse_level, coarse_code, year,
    rollup(prefecture_code), rollup(fine_code)
{%- endmacro %}

{#- The key columns of a roll-up row grouped by rollup_grouping_sets: region_level, region_code,
    classification, code_level, code. -#}
{% macro rollup_keys() -%}
    {{ rollup_level('prefecture_code', "'prefecture'", "'province'") }} as region_level,
    {{ rollup_code('prefecture_code', 'province_code') }} as region_code,
    classification,
    {{ rollup_level('fine_code', 'fine_level', 'coarse_level') }} as code_level,
    {{ rollup_code('fine_code', 'coarse_code') }} as code
{%- endmacro %}
