{#- The select list of a published mart: each column its YAML declares (the dbt contract, the one declaration
    of a mart's columns, their order and their types), in that order, cast to its declared data_type as the
    adapter names it (as dbt's contract check does): `cast(<relation>.<column> as <data_type>) as <column>`.
    The model computes every column under its published name in <relation> (a CTE) and selects
    `{{ contract_columns('<relation>') }} from <relation>`: a column's type is written once, in the YAML. The
    CTE may hold more columns than the contract declares (typically `x.*` of the model's last step, and the
    names, rates and renamed columns it adds): only the declared ones are selected. It must not hold a name
    twice (`x.*` and an added column of the same name): DuckDB renames the second and this reads the first.
    suppressed_columns, the last column of every published mart, is empty here (''): the build database holds
    exact figures, and small-cell suppression (publication/disclosure.py) fills it in the published release
    with the columns it masked, comma-separated; the model does not compute it.
    A unit test (dbt builds it in a manifest of its own, without the model's YAML) selects <relation>.* : it
    checks the values of the formulas; the build checks the types against the contract. -#}
{% macro contract_columns(relation) -%}
    {%- if model.resource_type == 'unit_test' -%}
    {{ relation }}.*
    {%- else -%}
        {%- set columns = model.columns.values() | list -%}
        {%- if execute and not columns -%}
            {{ exceptions.raise_compiler_error('contract_columns: ' ~ model.name ~ ' declares no columns') }}
        {%- endif -%}
        {%- for column in columns %}
    {%- set value = "''" if column.name == 'suppressed_columns' else relation ~ '.' ~ column.name %}
    cast({{ value }} as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
