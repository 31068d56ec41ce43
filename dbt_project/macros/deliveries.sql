{#- Rows of the latest delivered version of each source file. A file delivered again under the same
    name with other bytes (a correction) replaces its earlier version entirely: rows it no longer has are
    gone from staging (the raw zone keeps every version). -#}
{% macro latest_file_versions(relation) -%}
    (select * from {{ relation }}
     where (source_file, ingested_at) in (
         select source_file, max(ingested_at) from {{ relation }} group by source_file))
{%- endmacro %}


{#- One row per key: among the rows of the latest version of each source file, the most recently ingested
    row of a key wins (ties: the later file name, then the later row).

    In an incremental build (``is_incremental()``) only the keys touched since the last build are
    recomputed: every key of a row ingested after the newest row already in the model, and every key whose
    current row came from a file that has just been delivered again (a correction). For those keys the
    winner is chosen among all delivered rows, exactly as in a full build, and the model replaces them
    (``delete+insert`` on the key). Keys that a correction removed from every file are deleted by
    ``delete_superseded_rows`` (the model's post-hook). A full and an incremental build give the same
    table (tests/e2e/test_incremental.py).

    The rule is written twice, one form per engine (the Spark build is proven equal to the DuckDB one:
    tests/e2e/test_spark_parity.py; the two forms are compared in tests/unit/test_latest_row_per_key.py). On
    DuckDB only the keys delivered more than once are ranked, the rows of every other key being the winners
    as they are: ranking every row (a window over the feed's rows, every column carried through its sort)
    took 52.9 s of the 20M vacancies at scale L, ranking the repeated keys alone 36.9 s (23.0 s is writing
    the table at all; docs/performance.md). Spark computes the delivered rows once for each time the
    statement reads them (four times in that form, 1.5–1.9× the window's time), so on Spark every row is
    ranked. Keys are compared null-safe, as a window's partitions compare them. -#}
{% macro latest_row_per_key(relation, key) -%}
    {{ return(adapter.dispatch('latest_row_per_key', 'talent_warehouse')(relation, key)) }}
{%- endmacro %}

{% macro default__latest_row_per_key(relation, key) -%}
    {%- set k = key | join(', ') -%}
    {%- set same_key -%}
        {%- for c in key %}{{ ' and ' if not loop.first }}repeated.{{ c }} is not distinct from d.{{ c }}{% endfor -%}
    {%- endset -%}
    with delivered_rows as (
        {{ delivered_rows_to_rank(relation, key) }}
    ),

    repeated_keys as (
        select {{ k }} from delivered_rows group by {{ k }} having count(*) > 1
    )

    select * from (
        select d.*, row_number() over (
            partition by {{ k }}
            order by ingested_at desc, source_file desc, source_row desc) as delivery_rank
        from delivered_rows as d
        where exists (select 1 from repeated_keys as repeated where {{ same_key }})
    ) as ranked
    where delivery_rank = 1
    union all
    select d.*, cast(1 as bigint) as delivery_rank
    from delivered_rows as d
    where not exists (select 1 from repeated_keys as repeated where {{ same_key }})
{%- endmacro %}

{% macro spark__latest_row_per_key(relation, key) -%}
    select * from (
    select delivered.*, row_number() over (
        partition by {{ key | join(', ') }}
        order by ingested_at desc, source_file desc, source_row desc) as delivery_rank
    from ({{ delivered_rows_to_rank(relation, key) }}) as delivered
    ) as ranked
    where delivery_rank = 1
{%- endmacro %}


{#- The rows latest_row_per_key ranks: the latest version of each source file, in an incremental build only
    the keys touched since the last build. -#}
{% macro delivered_rows_to_rank(relation, key) -%}
    {%- set k = key | join(', ') -%}
    select * from {{ latest_file_versions(relation) }} as delivered
    {%- if is_incremental() %}
    where ({{ k }}) in (
        with new_rows as (
            select {{ k }}, source_file from {{ relation }}
            where ingested_at > (select coalesce(max(ingested_at), '-infinity'::timestamptz) from {{ this }}))
        select {{ k }} from new_rows
        union
        select {{ k }} from {{ this }} where source_file in (select source_file from new_rows))
    {%- endif %}
{%- endmacro %}


{#- Post-hook of an incremental staging model: after an incremental build, the rows whose source file has
    been delivered again (their version is no longer the latest) are the keys the correction removed. -#}
{% macro delete_superseded_rows(relation) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where (source_file, ingested_at) not in (
        select source_file, max(ingested_at) from {{ relation }} group by source_file)
    {%- endif -%}
{%- endmacro %}


{#- The columns ingestion adds to every row of a feed, last in every staging model over a feed: where the row
    came from (the source file, its row, the file's SHA-256) and when it was ingested (latest_row_per_key
    orders by them). -#}
{% macro provenance_columns() -%}
    cast(source_file as string) as source_file,
    cast(source_row as bigint) as source_row,
    cast(file_sha256 as string) as file_sha256,
    ingested_at
{%- endmacro %}


{#- The select list of a staging model over a feed of the raw zone: every column the source
    <source_name>.<table_name> declares (_sources.yml, generated from ingestion/contracts.yml: a feed column is
    declared once), in its order, cast to its declared data_type as every engine reads it (varchar is string,
    varchar[] is type_string_array()) or to the type <overrides> gives it ({column: type}: a year the raw zone
    holds as bigint is an integer in staging); the columns ingestion adds to every row last, as
    provenance_columns() gives them. <exclude>: columns the model selects itself (stg_vacancy_counts puts
    period first, with the year it derives from it). -#}
{% macro typed_columns(source_name, table_name, overrides={}, exclude=[]) -%}
    {%- set provenance = ['source_file', 'source_row', 'file_sha256', 'ingested_at'] -%}  {#- provenance_columns() -#}
    {%- set types = {'varchar': 'string', 'varchar[]': type_string_array()} -%}
    {#- the graph is there once dbt executes (at parse time the list is empty) -#}
    {%- set found = (graph.sources.values() if execute else [])
        | selectattr('source_name', 'equalto', source_name) | selectattr('name', 'equalto', table_name) | list -%}
    {%- if execute and not found -%}
        {{ exceptions.raise_compiler_error('typed_columns: no source ' ~ source_name ~ '.' ~ table_name) }}
    {%- endif -%}
    {%- for column in (found[0].columns.values() if found else []) -%}
        {%- if column.name not in provenance and column.name not in exclude %}
    {%- set type = overrides.get(column.name) or types.get(column.data_type, column.data_type) %}
    cast({{ column.name }} as {{ type }}) as {{ column.name }},
        {%- endif -%}
    {%- endfor %}
    {{ provenance_columns() }}
{%- endmacro %}


{#- The config of a staging model over a large feed of the raw source: incremental where the engine allows
    it (large_model_materialization), delete+insert on the feed's key, the rows a corrected file no longer
    has deleted by delete_superseded_rows; meta.feed names the feed (its generic tests read, in an incremental
    build, only the rows of the keys touched since the last: rows_touched_since_last_build). -#}
{% macro large_feed_config(feed, key) -%}
    {{ config(
        materialized=large_model_materialization(), incremental_strategy='delete+insert',
        unique_key=key, on_schema_change='fail',
        post_hook="{{ delete_superseded_rows(source('raw', '" ~ feed ~ "')) }}",
        meta={'feed': feed}
    ) }}
{%- endmacro %}


{#- The condition a generic test of <relation> adds to its rows (get_where_subquery, macros/tests/): for the test
    of the uniqueness of an incremental staging model's key (unique, unique_combination_of_columns over exactly
    its unique_key; the model over a feed: large_feed_config) in an incremental build, its rows of the keys
    touched since the last build (keys_delivered_since_last_build); '' (every row) for any other test or
    model, in a full build, and in a build not told which file versions are new (dbt run by hand).

    A repeated key would be a row inserted now beside another of its key: an incremental build only deletes
    and inserts the rows of touched keys (and deletes the rows a correction dropped, which cannot repeat a
    key), so both rows are among those read; keys no delivery touched were unique when the last build tested
    them. The first build, a full build and a build after a failed one (the file versions are those the last
    successful build did not have) test every row they must. At scale L, warm, the uniqueness of
    stg_vacancies.posting_id took 2.7 s over the 20M postings (7–12 s read cold), 0.4 s over the keys of a
    month's ten files. The other tests read every row: DuckDB answers a not_null from its statistics in 1 ms,
    where matching the touched keys took 0.3 s (each of nine tests: the refresh at L was 5 s slower with them
    all restricted), and a test that reads another model too (relationships: its parent may have lost a key
    an untouched row points to) needs every row. -#}
{% macro rows_touched_since_last_build(relation) -%}
    {%- set models = (graph.nodes.values() if execute else []) | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', relation.identifier) | list -%}
    {%- set staged = models[0] if models | length == 1 else none -%}
    {%- set condition = '' -%}
    {%- if staged is not none and staged.config.materialized == 'incremental' and staged.config.meta.get('feed')
        and not flags.FULL_REFRESH -%}
        {%- set key = [staged.config.unique_key] if staged.config.unique_key is string else staged.config.unique_key -%}
        {%- set test = model.test_metadata if model is defined and model.test_metadata else none -%}
        {%- set name = test.name if test is not none else '' -%}
        {%- set kwargs = test.kwargs if test is not none else {} -%}
        {%- set of_the_key = (name == 'unique' and [kwargs.get('column_name')] == key)
            or (name == 'unique_combination_of_columns' and (kwargs.get('columns') or []) | sort == key | sort) -%}
        {%- if of_the_key -%}
            {%- set keys = keys_delivered_since_last_build(staged.config.meta['feed'], key) -%}
            {%- set condition = '(' ~ (key | join(', ')) ~ ') in (' ~ keys ~ ')' if keys else '' -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(condition) }}
{%- endmacro %}


{#- The keys (<key>: columns of the raw feed <feed>) of every row, in any version, of a file delivered since
    the last build (its name among TW_NEW_FILE_VERSIONS: values_touched_since_last_build), as a query; ''
    when the build was not told which file versions of the feed are new. -#}
{% macro keys_delivered_since_last_build(feed, key) -%}
    {%- set versions = (fromjson(env_var('TW_NEW_FILE_VERSIONS', '{}')) or {}).get(feed) -%}
    {%- set names -%}
        {%- for name in (versions or []) | map('first') | unique | sort %}
            {{- ', ' if not loop.first }}{{ sql_string(name) }}
        {%- endfor -%}
    {%- endset -%}
    {%- set query = 'select ' ~ (key | join(', ')) ~ ' from ' ~ source('raw', feed) ~ ' where source_file in ('
        ~ names ~ ')' -%}
    {{ return(query if versions else '') }}
{%- endmacro %}


{#- Rows of an aggregate feed (a contract with `replaces`): among the latest version of each source file, the
    most recent delivery of each table slice (the columns <slice>, e.g. school × major × level × year) wins
    with all its rows; cells an earlier delivery had and the latest one has not are gone. A file repeats no
    full key (the validator quarantines a repeated one), so the result has one row per key. -#}
{% macro latest_slice_rows(relation, slice) -%}
    {%- set k = slice | join(', ') -%}
    select * from (
    select delivered.*, dense_rank() over (
        partition by {{ k }}
        order by ingested_at desc, source_file desc) as slice_rank
    from {{ latest_file_versions(relation) }} as delivered
    ) as ranked
    where slice_rank = 1
{%- endmacro %}


{#- Whether the counted cell <counts> (an alias) is of a slice that the relation <described> (the same facts at
    a finer grain) also describes, matched on <key> ({column of counts: column of described}, or a list of
    columns named alike in both): the cells a model reading both grains leaves out (int_graduates,
    int_vacancy_counts) and the grain-overlap tests report (counted_cells_left_out). -#}
{% macro described_at_finer_grain(counts, described, key) -%}
    {%- set key = key if key is mapping else dict(zip(key, key)) -%}
    exists (
        select 1 from {{ described }} as d
        where
            {%- for column, described_column in key.items() %}
            {{ 'and ' if not loop.first }}d.{{ described_column }} = {{ counts }}.{{ column }}
            {%- endfor %}
    )
{%- endmacro %}


{#- The body of the grain-overlap tests (tests/assert_*_grains_do_not_overlap.sql): the cells of the table of
    counts `counts` (a relation with a column `source_file`) that `described` (the same facts at the finer
    grain) also describes, matched on `key` ({column of counts: column of described}), with the sum of their
    `measure` (`<measure>_left_out`) and the first counts file that delivered them. The model reading both
    takes the finer grain and leaves these cells out. -#}
{% macro counted_cells_left_out(counts, described, key, measure) -%}
select
    {%- for column in key %}
    c.{{ column }},
    {%- endfor %}
    sum(c.{{ measure }}) as {{ measure }}_left_out,
    min(c.source_file) as counts_file
from {{ counts }} as c
where {{ described_at_finer_grain('c', described, key) }}
group by all
{%- endmacro %}


{#- The values of <expression> (over a row of the raw feed <feed>, e.g. a posting's year) that the deliveries
    since the last build may have changed a model's rows of: those of every delivered row, in any version, of
    a key (<key>) that is in any version of a file delivered since (a new file, or a file delivered again: a
    correction moves keys to other values or drops them, and its earlier versions hold where they were). A
    model keyed by those values recomputes exactly them: its other rows come from keys no delivery touched.
    The file versions (name, SHA-256) the last successful build did not read, per feed, are what the refresh
    puts in TW_NEW_FILE_VERSIONS (transformation/build_plan.py: dbt_build_env); the rows are matched on the
    file's name, so every version of such a file counts, whatever the clocks (a version without rows too:
    more is recomputed, never less). Two passes over the feed's key, file and expression columns (at scale L
    0.4 s, against 1.7 s for matching the new versions' rows first). Read only when an incremental model
    runs (callers test is_incremental() first: dbt parses the project with it false, so a new value costs no
    parse). Without it (dbt run by hand, or a feed the refresh does not name) every value of the feed: the
    whole model is recomputed. -#}
{% macro values_touched_since_last_build(feed, key, expression) -%}
    {%- set keys = keys_delivered_since_last_build(feed, key) -%}
    select distinct {{ expression }} as touched_value from {{ source('raw', feed) }}
    {%- if keys %}
    where ({{ key | join(', ') }}) in ({{ keys }})
    {%- endif %}
{%- endmacro %}


{#- <value> as a SQL string literal (quotes doubled). -#}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- Whether <column> (of the model's rows) is of the values <touched> (a macro returning a query of one column,
    touched_value: values_touched_since_last_build) in an incremental build; in any other build every row is.
    A plain `in`: a row whose value is null is never touched (kept by the delete, not recomputed), so the delete
    and the refill agree; the models using it have no null value in that column (the list's year is not
    null). `exists` with a null-safe comparison kept the filter out of the scan: 1 s more at scale L. -#}
{% macro in_values_touched(column, touched) -%}
    {%- if is_incremental() -%}
    {{ column }} in ({{ touched() }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of a model an incremental build recomputes for the values <touched> (as in_values_touched) of its
    column <column>: its rows of those values are deleted first, in the model's transaction, then the model
    appends them recomputed; a value no row has any more is gone. Nothing in any other build. -#}
{% macro delete_rows_touched(column, touched) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ in_values_touched(this ~ '.' ~ column, touched) }}
    {%- endif -%}
{%- endmacro %}
