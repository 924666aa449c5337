{#-
  The fact table: one row for every NextSong event, never dropped and never duplicated.

  Incremental: a run adds the plays of the events loaded since the last run (newly_loaded()),
  replacing rows of the same songplay_id; when anything else upstream changed (new song files, a
  reloaded log file) the whole table is built again, so it always equals a full build.

  Redshift keys: distributed on song_id, the join key to songs (and through it to artists'
  songs), so the largest join is collocated; sorted on start_time because analysts filter by
  time range, which lets Redshift skip blocks.
-#}
{{ config(materialized='incremental', unique_key='songplay_id', tags=['fact'], dist='song_id', sort=['start_time']) }}

with plays as (
    select *
    from {{ source('sparkify', 'staging_events') }}
    where page = 'NextSong'
    {% if is_incremental() %}and {{ newly_loaded('sparkify', 'staging_events') }}{% endif %}
),

-- A play matches the song whose (title, artist_name, duration) equal its (song, artist, length).
-- When several songs match, the smallest song_id wins, so the join never duplicates a play.
candidate_songs as (
    select
        song_id,
        artist_id,
        title,
        artist_name,
        duration,
        row_number() over (partition by title, artist_name, duration order by song_id) as song_rank
    from {{ source('sparkify', 'staging_songs') }}
)

select
    -- stable across reruns and engines: a hash of the event's identity
    {{ surrogate_key(['p.ts', 'p.userid', 'p.sessionid', 'p.iteminsession']) }} as songplay_id,
    {{ epoch_ms_to_timestamp('p.ts') }} as start_time,
    cast(nullif(trim(p.userid), '') as integer) as user_id,
    p.level,
    s.song_id,
    s.artist_id,
    p.sessionid as session_id,
    p.location,
    p.useragent as user_agent
from plays as p
left join candidate_songs as s
    on s.song_rank = 1
    and s.title = p.song
    and s.artist_name = p.artist
    and s.duration = p.length
