-- every session, after connecting
SET DateStyle = ISO;
SET extra_float_digits = 2;
SET statement_timeout = 7200000;

-- setup
CREATE SCHEMA IF NOT EXISTS "public";
CREATE TABLE IF NOT EXISTS "public"."sparkify_loaded_files" (
  "source" varchar(256),
  "file" varchar(1024),
  "size" bigint,
  "etag" varchar(256),
  "mtime" varchar(64),
  "content_hash" varchar(64),
  "rows_loaded" bigint,
  "rows_rejected" bigint,
  "load_seq" bigint,
  "run_id" varchar(64),
  "loaded_at" timestamp
);
CREATE TABLE IF NOT EXISTS "public"."sparkify_incremental_state" (
  "model" varchar(256),
  "source" varchar(256),
  "load_seq" bigint
);

-- source.sparkify.staging_events (copy)
-- incremental load: the files of s3://udacity-dend/log_data not in public.sparkify_loaded_files (a changed file: on_file_change error)
-- when the staging table is new or the ledger has no file of it: the staging table is made again and the ledger forgets the source
BEGIN;
DROP TABLE IF EXISTS "public"."staging_events" CASCADE;
CREATE TABLE "public"."staging_events" (
  "artist" varchar(512),
  "auth" varchar(32),
  "firstname" varchar(256),
  "gender" varchar(16),
  "iteminsession" integer,
  "lastname" varchar(256),
  "length" double precision,
  "level" varchar(16),
  "location" varchar(512),
  "method" varchar(16),
  "page" varchar(64),
  "registration" double precision,
  "sessionid" integer,
  "song" varchar(512),
  "status" integer,
  "ts" bigint,
  "useragent" varchar(1024),
  "userid" varchar(32),
  "_source_file" varchar(1024),
  "_load_seq" bigint
);
DELETE FROM "public"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_events';
DELETE FROM "public"."sparkify_incremental_state" WHERE "source" = 'sparkify.staging_events';
COMMIT;
-- then each new file is loaded into public.staging_events__sparkify_tmp and appended in the transaction that records it
BEGIN;
COPY "public"."staging_events__sparkify_tmp" ("artist", "auth", "firstname", "gender", "iteminsession", "lastname", "length", "level", "location", "method", "page", "registration", "sessionid", "song", "status", "ts", "useragent", "userid")
FROM 's3://udacity-dend/log_data/each-new-file.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 's3://udacity-dend/log_json_path.json'
REGION 'us-west-2'
MAXERROR 0
COMPUPDATE OFF
STATUPDATE OFF;
INSERT INTO "public"."staging_events" ("artist", "auth", "firstname", "gender", "iteminsession", "lastname", "length", "level", "location", "method", "page", "registration", "sessionid", "song", "status", "ts", "useragent", "userid", "_source_file", "_load_seq")
SELECT "artist", "auth", "firstname", "gender", "iteminsession", "lastname", "length", "level", "location", "method", "page", "registration", "sessionid", "song", "status", "ts", "useragent", "userid", '<file>', 1 FROM "public"."staging_events__sparkify_tmp";
DELETE FROM "public"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_events' AND "file" IN ('<file>');
INSERT INTO "public"."sparkify_loaded_files" ("source", "file", "size", "etag", "mtime", "content_hash", "rows_loaded", "rows_rejected", "load_seq", "run_id", "loaded_at") VALUES
  ('sparkify.staging_events', '<file>', 0, NULL, NULL, NULL, 0, 0, 1, '<run id>', CAST('1970-01-01 00:00:00.000' AS TIMESTAMP));
DROP TABLE IF EXISTS "public"."staging_events__sparkify_tmp" CASCADE;
COMMIT;
-- after the loads, when the staging table is new, a file was reloaded or the source's loaded bytes grew past another tenth:
ANALYZE "public"."staging_events";
SELECT COUNT(*) AS n FROM "public"."staging_events";
-- if it fails: DROP TABLE IF EXISTS "public"."staging_events__sparkify_tmp" CASCADE;

-- model.users (incremental)
DROP TABLE IF EXISTS "public"."users__sparkify_tmp" CASCADE;
CREATE TABLE "public"."users__sparkify_tmp"
DISTSTYLE ALL
SORTKEY ("user_id")
AS
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
    from "public"."staging_events"
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
ANALYZE "public"."users__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."users__sparkify_tmp" RENAME TO "users";
DELETE FROM "public"."sparkify_incremental_state" WHERE "model" = 'users';
INSERT INTO "public"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'users', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "public"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
COMMIT;
SELECT COUNT(*) AS n FROM "public"."users";
-- if it fails: DROP TABLE IF EXISTS "public"."users__sparkify_tmp" CASCADE;

-- source.sparkify.staging_songs (copy)
-- incremental load: the files of s3://udacity-dend/song_data not in public.sparkify_loaded_files (a changed file: on_file_change error)
-- when the staging table is new or the ledger has no file of it: the staging table is made again and the ledger forgets the source
BEGIN;
DROP TABLE IF EXISTS "public"."staging_songs" CASCADE;
CREATE TABLE "public"."staging_songs" (
  "num_songs" integer,
  "artist_id" varchar(32),
  "artist_latitude" double precision,
  "artist_longitude" double precision,
  "artist_location" varchar(512),
  "artist_name" varchar(512),
  "song_id" varchar(32),
  "title" varchar(512),
  "duration" double precision,
  "year" integer,
  "_source_file" varchar(1024),
  "_load_seq" bigint
);
DELETE FROM "public"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_songs';
DELETE FROM "public"."sparkify_incremental_state" WHERE "source" = 'sparkify.staging_songs';
COMMIT;
-- then each new file is loaded into public.staging_songs__sparkify_tmp and appended in the transaction that records it
BEGIN;
COPY "public"."staging_songs__sparkify_tmp" ("num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location", "artist_name", "song_id", "title", "duration", "year")
FROM 's3://udacity-dend/song_data/each-new-file.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
MAXERROR 0
COMPUPDATE OFF
STATUPDATE OFF;
INSERT INTO "public"."staging_songs" ("num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location", "artist_name", "song_id", "title", "duration", "year", "_source_file", "_load_seq")
SELECT "num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location", "artist_name", "song_id", "title", "duration", "year", '<file>', 1 FROM "public"."staging_songs__sparkify_tmp";
DELETE FROM "public"."sparkify_loaded_files" WHERE "source" = 'sparkify.staging_songs' AND "file" IN ('<file>');
INSERT INTO "public"."sparkify_loaded_files" ("source", "file", "size", "etag", "mtime", "content_hash", "rows_loaded", "rows_rejected", "load_seq", "run_id", "loaded_at") VALUES
  ('sparkify.staging_songs', '<file>', 0, NULL, NULL, NULL, 0, 0, 1, '<run id>', CAST('1970-01-01 00:00:00.000' AS TIMESTAMP));
DROP TABLE IF EXISTS "public"."staging_songs__sparkify_tmp" CASCADE;
COMMIT;
-- after the loads, when the staging table is new, a file was reloaded or the source's loaded bytes grew past another tenth:
ANALYZE "public"."staging_songs";
SELECT COUNT(*) AS n FROM "public"."staging_songs";
-- if it fails: DROP TABLE IF EXISTS "public"."staging_songs__sparkify_tmp" CASCADE;

-- model.artists (table)
DROP TABLE IF EXISTS "public"."artists__sparkify_tmp" CASCADE;
CREATE TABLE "public"."artists__sparkify_tmp"
DISTSTYLE ALL
SORTKEY ("artist_id")
AS
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
    from "public"."staging_songs"
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
ANALYZE "public"."artists__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."artists__sparkify_tmp" RENAME TO "artists";
COMMIT;
SELECT COUNT(*) AS n FROM "public"."artists";
-- if it fails: DROP TABLE IF EXISTS "public"."artists__sparkify_tmp" CASCADE;

-- model.songplays (incremental)
DROP TABLE IF EXISTS "public"."songplays__sparkify_tmp" CASCADE;
CREATE TABLE "public"."songplays__sparkify_tmp"
DISTSTYLE KEY
DISTKEY ("song_id")
SORTKEY ("start_time")
AS
with plays as (
    select *
    from "public"."staging_events"
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
    from "public"."staging_songs"
)

select
    -- stable across reruns and engines: a hash of the event's identity
    MD5(COALESCE(CAST(p.ts AS VARCHAR(MAX)), '') || '|' || COALESCE(CAST(p.userid AS VARCHAR(MAX)), '') || '|' || COALESCE(CAST(p.sessionid AS VARCHAR(MAX)), '') || '|' || COALESCE(CAST(p.iteminsession AS VARCHAR(MAX)), '')) as songplay_id,
    DATEADD(ms, CAST(CAST(p.ts AS BIGINT) % 86400000 AS INTEGER), DATEADD(day, CAST(CAST(p.ts AS BIGINT) / 86400000 AS INTEGER), TIMESTAMP '1970-01-01 00:00:00')) as start_time,
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
ANALYZE "public"."songplays__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."songplays__sparkify_tmp" RENAME TO "songplays";
DELETE FROM "public"."sparkify_incremental_state" WHERE "model" = 'songplays';
INSERT INTO "public"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'songplays', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "public"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
INSERT INTO "public"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'songplays', 'sparkify.staging_songs', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "public"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs');
COMMIT;
SELECT COUNT(*) AS n FROM "public"."songplays";
-- if it fails: DROP TABLE IF EXISTS "public"."songplays__sparkify_tmp" CASCADE;

-- model.songs (table)
DROP TABLE IF EXISTS "public"."songs__sparkify_tmp" CASCADE;
CREATE TABLE "public"."songs__sparkify_tmp"
DISTSTYLE ALL
SORTKEY ("song_id")
AS
with ranked as (
    select
        song_id,
        title,
        artist_id,
        year,
        duration,
        row_number() over (partition by song_id order by artist_id, title, duration, year) as pick
    from "public"."staging_songs"
    where song_id is not null
)

select song_id, title, artist_id, year, duration
from ranked
where pick = 1;
ANALYZE "public"."songs__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."songs__sparkify_tmp" RENAME TO "songs";
COMMIT;
SELECT COUNT(*) AS n FROM "public"."songs";
-- if it fails: DROP TABLE IF EXISTS "public"."songs__sparkify_tmp" CASCADE;

-- model.time (incremental)
DROP TABLE IF EXISTS "public"."time__sparkify_tmp" CASCADE;
CREATE TABLE "public"."time__sparkify_tmp"
DISTSTYLE KEY
DISTKEY ("start_time")
SORTKEY ("start_time")
AS
with times as (
    
    select distinct start_time
    from "public"."songplays"
    
)

select
    start_time,
    CAST(EXTRACT(HOUR FROM start_time) AS INTEGER) as hour,
    CAST(EXTRACT(DAY FROM start_time) AS INTEGER) as day,
    CAST(TO_CHAR(start_time, 'IW') AS INTEGER) as week,
    CAST(EXTRACT(MONTH FROM start_time) AS INTEGER) as month,
    CAST(EXTRACT(YEAR FROM start_time) AS INTEGER) as year,
    CAST(EXTRACT(DOW FROM start_time) AS INTEGER) as weekday
from times;
ANALYZE "public"."time__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."time__sparkify_tmp" RENAME TO "time";
DELETE FROM "public"."sparkify_incremental_state" WHERE "model" = 'time';
INSERT INTO "public"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'time', 'sparkify.staging_events', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "public"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_events');
INSERT INTO "public"."sparkify_incremental_state" ("model", "source", "load_seq") SELECT 'time', 'sparkify.staging_songs', (SELECT COALESCE(MAX(f."load_seq"), 0) FROM "public"."sparkify_loaded_files" AS f WHERE f."source" = 'sparkify.staging_songs');
COMMIT;
SELECT COUNT(*) AS n FROM "public"."time";
-- if it fails: DROP TABLE IF EXISTS "public"."time__sparkify_tmp" CASCADE;
