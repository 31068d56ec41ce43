{#-
  Region × classification roll-ups, written once for every mart that publishes parent rows.
  The four grouping sets give: prefecture × fine code, province × fine code, prefecture × coarse code,
  province × coarse code. Additive columns of a parent row are the sum of its children by construction
  (tested in dbt: assert_talent_match_rollups_add_up).
-#}
{% macro rollup_grouping_sets(prefecture, province, fine, coarse, other) -%}
    grouping sets (
        ({{ prefecture }}, {{ province }}, {{ fine }}, {{ coarse }}, {{ other }}),
        ({{ province }}, {{ fine }}, {{ coarse }}, {{ other }}),
        ({{ prefecture }}, {{ province }}, {{ coarse }}, {{ other }}),
        ({{ province }}, {{ coarse }}, {{ other }})
    )
{%- endmacro %}

{#- The level and the code of a roll-up row: the fine column when it was grouped, else the coarse one. -#}
{% macro rollup_level(fine, fine_name, coarse_name) -%}
    case when grouping({{ fine }}) = 0 then '{{ fine_name }}' else '{{ coarse_name }}' end
{%- endmacro %}

{% macro rollup_code(fine, coarse) -%}
    case when grouping({{ fine }}) = 0 then {{ fine }} else {{ coarse }} end
{%- endmacro %}

{#- The four key columns of a roll-up row: region_level, region_code, <prefix>_level, <prefix>_code.
    Expects prefecture_code and province_code columns (the region hierarchy) in the grouped relation. -#}
{% macro rollup_keys(fine, coarse, fine_name, coarse_name, prefix) -%}
    {{ rollup_level('prefecture_code', 'prefecture', 'province') }} as region_level,
    {{ rollup_code('prefecture_code', 'province_code') }}            as region_code,
    {{ rollup_level(fine, fine_name, coarse_name) }}                 as {{ prefix }}_level,
    {{ rollup_code(fine, coarse) }}                                  as {{ prefix }}_code
{%- endmacro %}
