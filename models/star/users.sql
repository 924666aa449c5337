{#-
  One row per distinct non-empty userId across all events (not only NextSong). Names, gender
  and level come from the user's latest event by ts, so a user who upgrades appears once, as
  paid. Ties on ts are broken by itemInSession, then sessionId, latest first.

  Incremental: a run rebuilds the rows of the users who appear in the events loaded since the last
  run, from all of their events, so a late event (an older ts in a newer file) never overrides a
  later state.

  Redshift keys: a small dimension, copied to every node (DISTSTYLE ALL) so joins never move it.
-#}
{{ config(materialized='incremental', unique_key='user_id', tags=['dimension'], dist='all', sort=['user_id']) }}

with ranked as (
    select
        cast(trim(userid) as integer) as user_id,
        firstname,
        lastname,
        gender,
        level,
        row_number() over (
            partition by trim(userid)
            order by ts desc, iteminsession desc, sessionid desc
        ) as recency
    from {{ source('sparkify', 'staging_events') }}
    where nullif(trim(userid), '') is not null
    {% if is_incremental() %}
    and trim(userid) in (
        select trim(userid) from {{ source('sparkify', 'staging_events') }}
        where {{ newly_loaded('sparkify', 'staging_events') }}
    )
    {% endif %}
)

select
    user_id,
    firstname as first_name,
    lastname as last_name,
    gender,
    level
from ranked
where recency = 1
