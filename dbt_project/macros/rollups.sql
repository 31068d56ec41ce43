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
    The occupation columns default to the names activity_codes gives them. `where` restricts the rows.
    A row whose code (industry_division, occupation) is var unmapped_code (supply the bridge cannot place) is
    kept with that code at both levels: its own parent, in no dimension. -#}
{% macro rows_by_classification(
    relation, columns, industry_division, occupation='occupation_code',
    occupation_sub_major_group='occupation_sub_major_group_code', where='true'
) -%}
{%- set unmapped = "'" ~ var('unmapped_code') ~ "'" -%}
{%- set industry = 'r.' ~ industry_division -%}
{%- set occupation_column = 'r.' ~ occupation -%}
{%- set classifications = [
    {'name': 'industry', 'fine_level': 'division', 'coarse_level': 'section',
     'fine_code': industry,
     'coarse_code': 'case when ' ~ industry ~ ' = ' ~ unmapped ~ ' then ' ~ unmapped ~ ' else i.section_code end',
     'join': 'left join ' ~ ref('dim_industry') ~ ' as i on ' ~ industry ~ ' = i.industry_code',
     'condition': '(i.industry_code is not null or ' ~ industry ~ ' = ' ~ unmapped ~ ')'},
    {'name': 'occupation', 'fine_level': 'sub_major_group', 'coarse_level': 'major_group',
     'fine_code': 'case when ' ~ occupation_column ~ ' = ' ~ unmapped ~ ' then ' ~ unmapped
        ~ ' else r.' ~ occupation_sub_major_group ~ ' end',
     'coarse_code': 'case when ' ~ occupation_column ~ ' = ' ~ unmapped ~ ' then ' ~ unmapped
        ~ ' else ' ~ occupation_major_group(occupation_column) ~ ' end',
     'join': '', 'condition': occupation_column ~ ' is not null'},
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
