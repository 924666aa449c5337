{#-
  One row per song_id. Should two song files carry the same song_id, the row with the smallest
  (artist_id, title, duration, year) wins, so the result never depends on file order.

  Redshift keys: DISTSTYLE ALL (songs is small next to songplays) and sorted on song_id.
-#}
{{ config(materialized='table', tags=['dimension'], dist='all', sort=['song_id']) }}

with ranked as (
    select
        song_id,
        title,
        artist_id,
        year,
        duration,
        row_number() over (partition by song_id order by artist_id, title, duration, year) as pick
    from {{ source('sparkify', 'staging_songs') }}
    where song_id is not null
)

select song_id, title, artist_id, year, duration
from ranked
where pick = 1
