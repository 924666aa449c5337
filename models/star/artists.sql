{#-
  One row per artist_id. Song files of the same artist may disagree on name, location or
  coordinates. The rule: take the song file that has coordinates, then one that has a non-empty
  location, then the smallest song_id. All four columns come from that one file, so a row is
  never a mix of two files.

  Redshift keys: DISTSTYLE ALL, sorted on artist_id.
-#}
{{ config(materialized='table', tags=['dimension'], dist='all', sort=['artist_id']) }}

with ranked as (
    select
        artist_id,
        artist_name,
        artist_location,
        artist_latitude,
        artist_longitude,
        row_number() over (
            partition by artist_id
            order by
                case when artist_latitude is null or artist_longitude is null then 1 else 0 end,
                case when nullif(trim(artist_location), '') is null then 1 else 0 end,
                song_id
        ) as pick
    from {{ source('sparkify', 'staging_songs') }}
    where artist_id is not null
)

select
    artist_id,
    artist_name as name,
    artist_location as location,
    artist_latitude as latitude,
    artist_longitude as longitude
from ranked
where pick = 1
