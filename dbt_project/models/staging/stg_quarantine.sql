-- Rows refused at ingestion, with their reasons (one row per refused input row).
select
    cast(feed as varchar)          as feed,
    cast(source_file as varchar)   as source_file,
    cast(source_row as bigint)     as source_row,
    cast(file_sha256 as varchar)   as file_sha256,
    cast(reason as varchar)        as reason,
    cast(raw_record as varchar)    as raw_record,
    ingested_at
from {{ source('raw', 'quarantine') }}
