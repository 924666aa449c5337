-- setup
CREATE SCHEMA IF NOT EXISTS "main";
DROP TABLE IF EXISTS "main"."songplays__sparkify_tmp";
DROP TABLE IF EXISTS "main"."users__sparkify_old";

-- source.sparkify.staging_events (copy)
DROP TABLE IF EXISTS "main"."staging_events__sparkify_tmp";
-- load source.sparkify.staging_events into main.staging_events__sparkify_tmp
BEGIN;
ALTER TABLE "main"."staging_events" RENAME TO "staging_events__sparkify_old";
ALTER TABLE "main"."staging_events__sparkify_tmp" RENAME TO "staging_events";
COMMIT;
DROP TABLE IF EXISTS "main"."staging_events__sparkify_old";
SELECT COUNT(*) AS n FROM "main"."staging_events";

-- model.users (table)
DROP TABLE IF EXISTS "main"."users__sparkify_tmp";
CREATE TABLE "main"."users__sparkify_tmp" AS
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
    from "main"."staging_events"
    where nullif(trim(userid), '') is not null
)

select
    user_id,
    firstname as first_name,
    lastname as last_name,
    gender,
    level
from ranked
where recency = 1;
BEGIN;
ALTER TABLE "main"."users" RENAME TO "users__sparkify_old";
ALTER TABLE "main"."users__sparkify_tmp" RENAME TO "users";
COMMIT;
DROP TABLE IF EXISTS "main"."users__sparkify_old";
SELECT COUNT(*) AS n FROM "main"."users";

-- source.sparkify.staging_songs (copy)
DROP TABLE IF EXISTS "main"."staging_songs__sparkify_tmp";
-- load source.sparkify.staging_songs into main.staging_songs__sparkify_tmp
BEGIN;
ALTER TABLE "main"."staging_songs" RENAME TO "staging_songs__sparkify_old";
ALTER TABLE "main"."staging_songs__sparkify_tmp" RENAME TO "staging_songs";
COMMIT;
DROP TABLE IF EXISTS "main"."staging_songs__sparkify_old";
SELECT COUNT(*) AS n FROM "main"."staging_songs";

-- model.artists (table)
DROP TABLE IF EXISTS "main"."artists__sparkify_tmp";
CREATE TABLE "main"."artists__sparkify_tmp" AS
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
    from "main"."staging_songs"
    where artist_id is not null
)

select
    artist_id,
    artist_name as name,
    artist_location as location,
    artist_latitude as latitude,
    artist_longitude as longitude
from ranked
where pick = 1;
BEGIN;
ALTER TABLE "main"."artists" RENAME TO "artists__sparkify_old";
ALTER TABLE "main"."artists__sparkify_tmp" RENAME TO "artists";
COMMIT;
DROP TABLE IF EXISTS "main"."artists__sparkify_old";
SELECT COUNT(*) AS n FROM "main"."artists";

-- model.songplays (table)
DROP TABLE IF EXISTS "main"."songplays__sparkify_tmp";
CREATE TABLE "main"."songplays__sparkify_tmp" AS
with plays as (
    select *
    from "main"."staging_events"
    where page = 'NextSong'
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
    from "main"."staging_songs"
)

select
    -- stable across reruns and engines: a hash of the event's identity
    MD5(COALESCE(CAST(p.ts AS VARCHAR), '') || '|' || COALESCE(CAST(p.userid AS VARCHAR), '') || '|' || COALESCE(CAST(p.sessionid AS VARCHAR), '') || '|' || COALESCE(CAST(p.iteminsession AS VARCHAR), '')) as songplay_id,
    EPOCH_MS(CAST(p.ts AS BIGINT)) as start_time,
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
    and s.duration = p.length;
BEGIN;
ALTER TABLE "main"."songplays" RENAME TO "songplays__sparkify_old";
ALTER TABLE "main"."songplays__sparkify_tmp" RENAME TO "songplays";
COMMIT;
DROP TABLE IF EXISTS "main"."songplays__sparkify_old";
SELECT COUNT(*) AS n FROM "main"."songplays";

-- model.songs (table)
DROP TABLE IF EXISTS "main"."songs__sparkify_tmp";
CREATE TABLE "main"."songs__sparkify_tmp" AS
with ranked as (
    select
        song_id,
        title,
        artist_id,
        year,
        duration,
        row_number() over (partition by song_id order by artist_id, title, duration, year) as pick
    from "main"."staging_songs"
    where song_id is not null
)

select song_id, title, artist_id, year, duration
from ranked
where pick = 1;
BEGIN;
ALTER TABLE "main"."songs" RENAME TO "songs__sparkify_old";
ALTER TABLE "main"."songs__sparkify_tmp" RENAME TO "songs";
COMMIT;
DROP TABLE IF EXISTS "main"."songs__sparkify_old";
SELECT COUNT(*) AS n FROM "main"."songs";

-- model.time (table)
DROP TABLE IF EXISTS "main"."time__sparkify_tmp";
CREATE TABLE "main"."time__sparkify_tmp" AS
with times as (
    select distinct start_time
    from "main"."songplays"
)

select
    start_time,
    CAST(EXTRACT(HOUR FROM start_time) AS INTEGER) as hour,
    CAST(EXTRACT(DAY FROM start_time) AS INTEGER) as day,
    CAST(EXTRACT(WEEK FROM start_time) AS INTEGER) as week,
    CAST(EXTRACT(MONTH FROM start_time) AS INTEGER) as month,
    CAST(EXTRACT(YEAR FROM start_time) AS INTEGER) as year,
    CAST(EXTRACT(DOW FROM start_time) AS INTEGER) as weekday
from times;
BEGIN;
ALTER TABLE "main"."time" RENAME TO "time__sparkify_old";
ALTER TABLE "main"."time__sparkify_tmp" RENAME TO "time";
COMMIT;
DROP TABLE IF EXISTS "main"."time__sparkify_old";
SELECT COUNT(*) AS n FROM "main"."time";
