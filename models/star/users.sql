{#-
  One row per distinct non-empty userId across all events (not only NextSong). Names, gender
  and level come from the user's latest event by ts, so a user who upgrades appears once, as
  paid. Ties on ts are broken by itemInSession, then sessionId, latest first.

  Incremental: a run rebuilds the rows of the users who appear in the events loaded since the last
  run, from all of their events since the earliest of their latest new events (an earlier event
  cannot be the latest of any of them), so a late event (an older ts in a newer file) never
  overrides a later state, and a day's run ranks the users' recent events, not their history.

  Redshift keys: a small dimension, copied to every node (DISTSTYLE ALL) so joins never move it.
-#}
{{ config(materialized='incremental', unique_key='user_id', tags=['dimension'], dist='all', sort=['user_id']) }}

{% if is_incremental() %}
-- the users of the events loaded since the last run, each with the time of their latest new event
with touched as (
    select trim(userid) as uid, max(ts) as latest_new_ts
    from {{ source('sparkify', 'staging_events') }}
    where nullif(trim(userid), '') is not null
    and {{ newly_loaded('sparkify', 'staging_events') }}
    group by trim(userid)
),

-- no touched user's latest event is older than the earliest of their latest new events, so the events before it
-- cannot win and are not ranked (when one of them has no new event with a ts, every event is ranked)
since as (
    select case when count(latest_new_ts) = count(*) then min(latest_new_ts) else cast(-9223372036854775807 as bigint) - 1 end as ts
    from touched
),

ranked as (
{%- else %}
with ranked as (
{%- endif %}
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
    and trim(userid) in (select uid from touched)
    -- events without ts are ranked too, wherever the engine sorts NULL
    and (ts >= (select ts from since) or ts is null)
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
