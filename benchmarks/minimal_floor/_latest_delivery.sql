-- Helper (inlined where _common.sql names it): the latest delivery of each key of one raw-zone feed. The
-- latest version of each source file; among its rows the most recently ingested row of a key wins (ties: the
-- later file name, then the later row).
select * from read_parquet('{raw}/{feed}/*/*.parquet', union_by_name = true)
where (source_file, ingested_at) in (
    select source_file, max(ingested_at)
    from read_parquet('{raw}/{feed}/*/*.parquet', union_by_name = true)
    group by source_file)
qualify row_number() over (
    partition by {key} order by ingested_at desc, source_file desc, source_row desc) = 1
