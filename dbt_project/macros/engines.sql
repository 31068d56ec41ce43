{#-
  The few places where DuckDB SQL and Spark SQL differ, each as an adapter-dispatched macro of the project
  (dbt's own cross-database macros cover none of them). Everything else in the models is SQL both engines
  read the same way: `string`, `bigint`, `integer`, `double`, `boolean`, `date`, `decimal(p, s)` types,
  `grouping sets`, `filter (where …)`, `bool_or`, `split_part`, `group by all`, windows.
  docs/scale-out.md lists the differences and how the Spark build is proven equal to the DuckDB one. One
  more is dispatched beside the rule it writes: latest_row_per_key (macros/deliveries.sql), a form per
  engine for speed, not for syntax.
-#}

{#- The type of a list of strings (required_major_codes). -#}
{% macro type_string_array() -%}
    {{ return(adapter.dispatch('type_string_array', 'talent_warehouse')()) }}
{%- endmacro %}
{% macro default__type_string_array() -%} varchar[] {%- endmacro %}
{% macro spark__type_string_array() -%} array<string> {%- endmacro %}


{#- One row per element of a list column, as a select-list expression. -#}
{% macro unnest_list(column) -%}
    {{ return(adapter.dispatch('unnest_list', 'talent_warehouse')(column)) }}
{%- endmacro %}
{% macro default__unnest_list(column) -%} unnest({{ column }}) {%- endmacro %}
{% macro spark__unnest_list(column) -%} explode({{ column }}) {%- endmacro %}


{#- The value of `value` on the row where the tuple `order_by` (a list of expressions, compared left to
    right) is greatest, as an aggregate. -#}
{% macro arg_max_by(value, order_by) -%}
    {{ return(adapter.dispatch('arg_max_by', 'talent_warehouse')(value, order_by)) }}
{%- endmacro %}
{% macro default__arg_max_by(value, order_by) -%}
    arg_max({{ value }}, [{{ order_by | join(', ') }}])
{%- endmacro %}
{% macro spark__arg_max_by(value, order_by) -%}
    max_by({{ value }}, struct({{ order_by | join(', ') }}))
{%- endmacro %}


{#- The materialization of a large model an incremental build recomputes in part: incremental on DuckDB (a
    staging model over a large feed: delete+insert on the feed's key, macros/deliveries.sql; the enterprise list:
    the posting years touched, macros/vacancies.sql). Spark's Parquet tables have no delete, and the table formats that do
    (Delta, Iceberg) need jars this project does not ship: on Spark the model is rebuilt as a table. -#}
{% macro large_model_materialization() -%}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{%- endmacro %}


{#- on-run-start: make the raw zone readable as the `raw` source. DuckDB reads the Parquet files directly
    (the source's external_location, read_parquet). Spark registers one table per feed over the same files
    (`using parquet`, every part file under the feed's folder, columns merged by name). -#}
{% macro register_raw_zone() -%}
    {{ return(adapter.dispatch('register_raw_zone', 'talent_warehouse')()) }}
{%- endmacro %}
{% macro default__register_raw_zone() -%}
    {{ return('') }}
{%- endmacro %}
{% macro spark__register_raw_zone() -%}
    {%- if execute -%}
    {%- set raw_dir = env_var('TW_RAW_DIR', '../var/raw') -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
        {%- set folder = '_quarantine' if source.name == 'quarantine' else source.name -%}
        {%- do run_query('drop table if exists raw.' ~ source.name) -%}
        {%- do run_query("create table raw." ~ source.name ~ " using parquet options (path '"
                         ~ raw_dir ~ "/" ~ folder ~ "', recursiveFileLookup 'true', pathGlobFilter '*.parquet', "
                         ~ "mergeSchema 'true')") -%}
    {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{#- Seeds on Spark. dbt-spark's own loader binds every value as a quoted string, so an empty CSV cell
    arrives as the string 'None' instead of NULL with the session method (dbt-labs/dbt-adapters#487, open):
    this loader writes the values as SQL literals, NULL for an empty cell. Root-project macros take
    precedence over the adapter's of the same name. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_literal(value) -%}
    {%- if value is none -%} null
    {%- elif value is sameas true -%} true
    {%- elif value is sameas false -%} false
    {%- elif value is number -%} {{ value }}
    {%- else -%} '{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
