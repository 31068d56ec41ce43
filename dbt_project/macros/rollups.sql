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
    the sum of its children by construction (tested in dbt by the generic test rollups_add_up,
    macros/tests/rollups_add_up.sql, declared on int_talent_match_counts and the marts). -#}
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

{#- The rows of `relation` (aliased r) once for each classification, with the columns rollup_grouping_sets
    groups by (classification, fine_level, coarse_level, fine_code, coarse_code) after `columns` (select
    expressions): industry, every row whose GB/T 4754 大类 (the column `industry_division`) is in
    dim_industry, its 门类 the coarse code; occupation, every row with an occupation (the column
    `occupation`), its 大典 中类 (`occupation_sub_major_group`) the fine code and its 大类 the coarse one.
    The occupation columns default to the names activity_codes gives them. `where` restricts the rows. -#}
{% macro rows_by_classification(
    relation, columns, industry_division, occupation='occupation_code',
    occupation_sub_major_group='occupation_sub_major_group_code', where='true'
) -%}
{%- set classifications = [
    {'name': 'industry', 'fine_level': 'division', 'coarse_level': 'section',
     'fine_code': 'r.' ~ industry_division, 'coarse_code': 'i.section_code',
     'join': 'inner join ' ~ ref('dim_industry') ~ ' as i on r.' ~ industry_division ~ ' = i.industry_code',
     'condition': 'true'},
    {'name': 'occupation', 'fine_level': 'sub_major_group', 'coarse_level': 'major_group',
     'fine_code': 'r.' ~ occupation_sub_major_group, 'coarse_code': occupation_major_group('r.' ~ occupation),
     'join': '', 'condition': 'r.' ~ occupation ~ ' is not null'},
] -%}
{%- for c in classifications %}
    select
        {{ columns | join(', ') }},
        '{{ c.name }}' as classification,
        '{{ c.fine_level }}' as fine_level,
        '{{ c.coarse_level }}' as coarse_level,
        {{ c.fine_code }} as fine_code,
        {{ c.coarse_code }} as coarse_code
    from {{ relation }} as r
    {{ c.join }}
    where ({{ where }}) and {{ c.condition }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
{%- endmacro %}
