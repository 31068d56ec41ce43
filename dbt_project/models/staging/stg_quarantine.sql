-- Rows refused at ingestion, with their reasons (one row per refused input row).
select
    cast(feed as string) as feed,
    cast(source_file as string) as source_file,
    cast(source_row as bigint) as source_row,
    cast(file_sha256 as string) as file_sha256,
    cast(reason as string) as reason,
    cast(raw_record as string) as raw_record,
    ingested_at
from {{ source('raw', 'quarantine') }}
