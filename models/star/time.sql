{#-
  One row per distinct songplays.start_time, broken into units. weekday is 0 for Sunday
  through 6 for Saturday; week is the ISO 8601 week. date_part() spells both the same way on
  every engine.

  Incremental: a run adds the start times of the plays loaded since the last run (the same times
  songplays gets from them), replacing rows of the same start_time.

  Redshift keys: distributed and sorted on start_time, the key songplays joins it on.
-#}
{{ config(materialized='incremental', unique_key='start_time', tags=['dimension'], dist='start_time', sort=['start_time']) }}

with times as (
    {% if is_incremental() %}
    select distinct {{ epoch_ms_to_timestamp('ts') }} as start_time
    from {{ source('sparkify', 'staging_events') }}
    where page = 'NextSong' and {{ newly_loaded('sparkify', 'staging_events') }}
    {% else %}
    select distinct start_time
    from {{ ref('songplays') }}
    {% endif %}
)

select
    start_time,
    {{ date_part('hour', 'start_time') }} as hour,
    {{ date_part('day', 'start_time') }} as day,
    {{ date_part('week', 'start_time') }} as week,
    {{ date_part('month', 'start_time') }} as month,
    {{ date_part('year', 'start_time') }} as year,
    {{ date_part('dow', 'start_time') }} as weekday
from times
