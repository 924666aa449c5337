-- setup
CREATE SCHEMA IF NOT EXISTS "sparkify";
CREATE TABLE IF NOT EXISTS "sparkify"."sparkify_loaded_files" (
  "source" varchar(256) COLLATE "C",
  "file" varchar(1024) COLLATE "C",
  "size" bigint,
  "etag" varchar(256) COLLATE "C",
  "mtime" varchar(64) COLLATE "C",
  "content_hash" varchar(64) COLLATE "C",
  "rows_loaded" bigint,
  "rows_rejected" bigint,
  "load_seq" bigint,
  "run_id" varchar(64) COLLATE "C",
  "loaded_at" timestamp
);
CREATE TABLE IF NOT EXISTS "sparkify"."sparkify_incremental_state" (
  "model" varchar(256) COLLATE "C",
  "source" varchar(256) COLLATE "C",
  "load_seq" bigint
);

-- source.sparkify.staging_events (copy)
DROP TABLE IF EXISTS "sparkify"."staging_events" CASCADE;
CREATE TABLE "sparkify"."staging_events" (
  "artist" varchar(512) COLLATE "C",
  "auth" varchar(32) COLLATE "C",
  "firstname" varchar(256) COLLATE "C",
  "gender" varchar(16) COLLATE "C",
  "iteminsession" integer,
  "lastname" varchar(256) COLLATE "C",
  "length" double precision,
  "level" varchar(16) COLLATE "C",
  "location" varchar(512) COLLATE "C",
  "method" varchar(16) COLLATE "C",
  "page" varchar(64) COLLATE "C",
  "registration" double precision,
  "sessionid" integer,
  "song" varchar(512) COLLATE "C",
  "status" integer,
  "ts" bigint,
  "useragent" varchar(1024) COLLATE "C",
  "userid" varchar(32) COLLATE "C",
  "_source_file" varchar(1024) COLLATE "C",
  "_load_seq" bigint
);
CREATE INDEX IF NOT EXISTS "staging_events_load_seq_brin" ON "sparkify"."staging_events" USING brin ("_load_seq", "ts");
DELETE FROM "sparkify"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_events';
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "source" = 'sparkify.staging_events';
INSERT INTO "sparkify"."staging_events" ("artist", "auth", "firstname", "gender", "iteminsession", "lastname", "length", "level", "location", "method", "page", "registration", "sessionid", "song", "status", "ts", "useragent", "userid", "_source_file", "_load_seq")
SELECT "artist", "auth", "firstname", "gender", "iteminsession", "lastname", "length", "level", "location", "method", "page", "registration", "sessionid", "song", "status", "ts", "useragent", "userid", '<file>', 1 FROM "sparkify"."staging_events__sparkify_tmp";
SELECT pg_catalog.brin_summarize_new_values('"sparkify"."staging_events_load_seq_brin"'::regclass);
DELETE FROM "sparkify"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_events' AND "file" IN ('<file>');
INSERT INTO "sparkify"."sparkify_loaded_files" ("source", "file", "size", "etag", "mtime", "content_hash", "rows_loaded", "rows_rejected", "load_seq", "run_id", "loaded_at") VALUES
  ('sparkify.staging_events', '<file>', 0, NULL, NULL, NULL, 0, 0, 1, '<run id>', CAST('1970-01-01 00:00:00.000' AS TIMESTAMP));
DROP TABLE IF EXISTS "sparkify"."staging_events__sparkify_tmp" CASCADE;
ANALYZE "sparkify"."staging_events";
SELECT COUNT(*) AS n FROM "sparkify"."staging_events";

-- model.users (incremental)
SELECT CASE WHEN (SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'users' AND w."source" = 'sparkify.staging_events') IS NULL THEN 1 ELSE 0 END AS stale;
DROP TABLE IF EXISTS "sparkify"."users__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."users__sparkify_tmp" AS
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
    from "sparkify"."staging_events"
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
ANALYZE "sparkify"."users__sparkify_tmp";
ALTER TABLE "sparkify"."users" RENAME TO "users__sparkify_old";
ALTER TABLE "sparkify"."users__sparkify_tmp" RENAME TO "users";
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "model" = 'users';
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'users', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
DROP TABLE IF EXISTS "sparkify"."users__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."users";
DROP TABLE IF EXISTS "sparkify"."users__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."users__sparkify_tmp" AS
-- the users of the events loaded since the last run, each with the time of their latest new event
with touched as (
    select trim(userid) as uid, max(ts) as latest_new_ts
    from "sparkify"."staging_events"
    where nullif(trim(userid), '') is not null
    and "_load_seq" > COALESCE((SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'users' AND w."source" = 'sparkify.staging_events'), 0)
    group by trim(userid)
),

-- no touched user's latest event is older than the earliest of their latest new events, so the events before it
-- cannot win and are not ranked (when one of them has no new event with a ts, every event is ranked)
since as (
    select case when count(latest_new_ts) = count(*) then min(latest_new_ts) else cast(-9223372036854775807 as bigint) - 1 end as ts
    from touched
),

ranked as (
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
    from "sparkify"."staging_events"
    where nullif(trim(userid), '') is not null
    
    and trim(userid) in (select uid from touched)
    -- events without ts are ranked too, wherever the engine sorts NULL
    and (ts >= (select ts from since) or ts is null)
    
)

select
    user_id,
    firstname as first_name,
    lastname as last_name,
    gender,
    level
from ranked
where recency = 1;
SELECT COUNT(*) AS n FROM "sparkify"."users__sparkify_tmp";
DELETE FROM "sparkify"."users" USING "sparkify"."users__sparkify_tmp" WHERE "sparkify"."users"."user_id" = "users__sparkify_tmp"."user_id";
INSERT INTO "sparkify"."users" SELECT * FROM "sparkify"."users__sparkify_tmp";
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "model" = 'users';
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'users', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
DROP TABLE IF EXISTS "sparkify"."users__sparkify_tmp" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."users";

-- source.sparkify.staging_songs (copy)
DROP TABLE IF EXISTS "sparkify"."staging_songs" CASCADE;
CREATE TABLE "sparkify"."staging_songs" (
  "num_songs" integer,
  "artist_id" varchar(32) COLLATE "C",
  "artist_latitude" double precision,
  "artist_longitude" double precision,
  "artist_location" varchar(512) COLLATE "C",
  "artist_name" varchar(512) COLLATE "C",
  "song_id" varchar(32) COLLATE "C",
  "title" varchar(512) COLLATE "C",
  "duration" double precision,
  "year" integer,
  "_source_file" varchar(1024) COLLATE "C",
  "_load_seq" bigint
);
CREATE INDEX IF NOT EXISTS "staging_songs_load_seq_brin" ON "sparkify"."staging_songs" USING brin ("_load_seq");
DELETE FROM "sparkify"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_songs';
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "source" = 'sparkify.staging_songs';
INSERT INTO "sparkify"."staging_songs" ("num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location", "artist_name", "song_id", "title", "duration", "year", "_source_file", "_load_seq")
SELECT "num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location", "artist_name", "song_id", "title", "duration", "year", '<file>', 1 FROM "sparkify"."staging_songs__sparkify_tmp";
SELECT pg_catalog.brin_summarize_new_values('"sparkify"."staging_songs_load_seq_brin"'::regclass);
DELETE FROM "sparkify"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_songs' AND "file" IN ('<file>');
INSERT INTO "sparkify"."sparkify_loaded_files" ("source", "file", "size", "etag", "mtime", "content_hash", "rows_loaded", "rows_rejected", "load_seq", "run_id", "loaded_at") VALUES
  ('sparkify.staging_songs', '<file>', 0, NULL, NULL, NULL, 0, 0, 1, '<run id>', CAST('1970-01-01 00:00:00.000' AS TIMESTAMP));
DROP TABLE IF EXISTS "sparkify"."staging_songs__sparkify_tmp" CASCADE;
ANALYZE "sparkify"."staging_songs";
SELECT COUNT(*) AS n FROM "sparkify"."staging_songs";

-- model.artists (table)
DROP TABLE IF EXISTS "sparkify"."artists__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."artists__sparkify_tmp" AS
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
    from "sparkify"."staging_songs"
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
ANALYZE "sparkify"."artists__sparkify_tmp";
BEGIN;
ALTER TABLE "sparkify"."artists" RENAME TO "artists__sparkify_old";
ALTER TABLE "sparkify"."artists__sparkify_tmp" RENAME TO "artists";
COMMIT;
DROP TABLE IF EXISTS "sparkify"."artists__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."artists";

-- model.songplays (incremental)
SELECT CASE WHEN (SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'songplays' AND w."source" = 'sparkify.staging_events') IS NULL
  OR (SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'songplays' AND w."source" = 'sparkify.staging_songs') IS NULL
  OR (SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'songplays' AND w."source" = 'sparkify.staging_songs') <> (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs') THEN 1 ELSE 0 END AS stale;
DROP TABLE IF EXISTS "sparkify"."songplays__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."songplays__sparkify_tmp" AS
with plays as (
    select *
    from "sparkify"."staging_events"
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
    from "sparkify"."staging_songs"
)

select
    -- stable across reruns and engines: a hash of the event's identity
    MD5(COALESCE(CAST(p.ts AS VARCHAR), '') || '|' || COALESCE(CAST(p.userid AS VARCHAR), '') || '|' || COALESCE(CAST(p.sessionid AS VARCHAR), '') || '|' || COALESCE(CAST(p.iteminsession AS VARCHAR), '')) as songplay_id,
    (TIMESTAMP '1970-01-01 00:00:00' + (CAST(p.ts AS BIGINT) / 86400000) * INTERVAL '1 day' + (CAST(p.ts AS BIGINT) % 86400000) * INTERVAL '1 millisecond') as start_time,
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
ANALYZE "sparkify"."songplays__sparkify_tmp";
ALTER TABLE "sparkify"."songplays" RENAME TO "songplays__sparkify_old";
ALTER TABLE "sparkify"."songplays__sparkify_tmp" RENAME TO "songplays";
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "model" = 'songplays';
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'songplays', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'songplays', 'sparkify.staging_songs', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs');
DROP TABLE IF EXISTS "sparkify"."songplays__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."songplays";
DROP TABLE IF EXISTS "sparkify"."songplays__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."songplays__sparkify_tmp" AS
with plays as (
    select *
    from "sparkify"."staging_events"
    where page = 'NextSong'
    and "_load_seq" > COALESCE((SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'songplays' AND w."source" = 'sparkify.staging_events'), 0)
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
    from "sparkify"."staging_songs"
)

select
    -- stable across reruns and engines: a hash of the event's identity
    MD5(COALESCE(CAST(p.ts AS VARCHAR), '') || '|' || COALESCE(CAST(p.userid AS VARCHAR), '') || '|' || COALESCE(CAST(p.sessionid AS VARCHAR), '') || '|' || COALESCE(CAST(p.iteminsession AS VARCHAR), '')) as songplay_id,
    (TIMESTAMP '1970-01-01 00:00:00' + (CAST(p.ts AS BIGINT) / 86400000) * INTERVAL '1 day' + (CAST(p.ts AS BIGINT) % 86400000) * INTERVAL '1 millisecond') as start_time,
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
SELECT COUNT(*) AS n FROM "sparkify"."songplays__sparkify_tmp";
DELETE FROM "sparkify"."songplays" USING "sparkify"."songplays__sparkify_tmp" WHERE "sparkify"."songplays"."songplay_id" = "songplays__sparkify_tmp"."songplay_id";
INSERT INTO "sparkify"."songplays" SELECT * FROM "sparkify"."songplays__sparkify_tmp";
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "model" = 'songplays';
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'songplays', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'songplays', 'sparkify.staging_songs', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs');
DROP TABLE IF EXISTS "sparkify"."songplays__sparkify_tmp" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."songplays";

-- model.songs (table)
DROP TABLE IF EXISTS "sparkify"."songs__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."songs__sparkify_tmp" AS
with ranked as (
    select
        song_id,
        title,
        artist_id,
        year,
        duration,
        row_number() over (partition by song_id order by artist_id, title, duration, year) as pick
    from "sparkify"."staging_songs"
    where song_id is not null
)

select song_id, title, artist_id, year, duration
from ranked
where pick = 1;
ANALYZE "sparkify"."songs__sparkify_tmp";
BEGIN;
ALTER TABLE "sparkify"."songs" RENAME TO "songs__sparkify_old";
ALTER TABLE "sparkify"."songs__sparkify_tmp" RENAME TO "songs";
COMMIT;
DROP TABLE IF EXISTS "sparkify"."songs__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."songs";

-- model.time (incremental)
SELECT CASE WHEN (SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'time' AND w."source" = 'sparkify.staging_events') IS NULL
  OR (SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'time' AND w."source" = 'sparkify.staging_songs') IS NULL
  OR (SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'time' AND w."source" = 'sparkify.staging_songs') <> (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs') THEN 1 ELSE 0 END AS stale;
DROP TABLE IF EXISTS "sparkify"."time__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."time__sparkify_tmp" AS
with times as (
    
    select distinct start_time
    from "sparkify"."songplays"
    
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
ANALYZE "sparkify"."time__sparkify_tmp";
ALTER TABLE "sparkify"."time" RENAME TO "time__sparkify_old";
ALTER TABLE "sparkify"."time__sparkify_tmp" RENAME TO "time";
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "model" = 'time';
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'time', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'time', 'sparkify.staging_songs', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs');
DROP TABLE IF EXISTS "sparkify"."time__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."time";
DROP TABLE IF EXISTS "sparkify"."time__sparkify_tmp" CASCADE;
CREATE TABLE "sparkify"."time__sparkify_tmp" AS
with times as (
    
    select distinct (TIMESTAMP '1970-01-01 00:00:00' + (CAST(ts AS BIGINT) / 86400000) * INTERVAL '1 day' + (CAST(ts AS BIGINT) % 86400000) * INTERVAL '1 millisecond') as start_time
    from "sparkify"."staging_events"
    where page = 'NextSong' and "_load_seq" > COALESCE((SELECT MAX(w."load_seq") FROM "sparkify"."sparkify_incremental_state" AS w WHERE w."model" = 'time' AND w."source" = 'sparkify.staging_events'), 0)
    
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
SELECT COUNT(*) AS n FROM "sparkify"."time__sparkify_tmp";
DELETE FROM "sparkify"."time" USING "sparkify"."time__sparkify_tmp" WHERE "sparkify"."time"."start_time" = "time__sparkify_tmp"."start_time";
INSERT INTO "sparkify"."time" SELECT * FROM "sparkify"."time__sparkify_tmp";
DELETE FROM "sparkify"."sparkify_incremental_state" WHERE "model" = 'time';
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'time', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
INSERT INTO "sparkify"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'time', 'sparkify.staging_songs', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "sparkify"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs');
DROP TABLE IF EXISTS "sparkify"."time__sparkify_tmp" CASCADE;
SELECT COUNT(*) AS n FROM "sparkify"."time";
