-- test.users_latest_event_wins (test)
-- unit test: these rows must equal the 2 expected rows
WITH "__fixture_0" AS (
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST('Lily' AS varchar(256)) AS "firstname", CAST('F' AS varchar(16)) AS "gender", CAST(0 AS integer) AS "iteminsession", CAST('Koch' AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST(NULL AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(1 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(100 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('15' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST('Lily' AS varchar(256)) AS "firstname", CAST('F' AS varchar(16)) AS "gender", CAST(0 AS integer) AS "iteminsession", CAST('Koch' AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('paid' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST(NULL AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(2 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(300 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('15' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST('Lily' AS varchar(256)) AS "firstname", CAST('F' AS varchar(16)) AS "gender", CAST(5 AS integer) AS "iteminsession", CAST('Koch' AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST(NULL AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(2 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(200 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('15' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST('Aiden' AS varchar(256)) AS "firstname", CAST('M' AS varchar(16)) AS "gender", CAST(1 AS integer) AS "iteminsession", CAST('Ramirez' AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('paid' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST(NULL AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(9 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(500 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('20' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST('Aiden' AS varchar(256)) AS "firstname", CAST('M' AS varchar(16)) AS "gender", CAST(2 AS integer) AS "iteminsession", CAST('Ramirez' AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST(NULL AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(9 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(500 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('20' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST(NULL AS varchar(256)) AS "firstname", CAST(NULL AS varchar(16)) AS "gender", CAST(0 AS integer) AS "iteminsession", CAST(NULL AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST(NULL AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(3 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(900 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST(NULL AS varchar(256)) AS "firstname", CAST(NULL AS varchar(16)) AS "gender", CAST(0 AS integer) AS "iteminsession", CAST(NULL AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST(NULL AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(3 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(901 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST(NULL AS varchar(32)) AS "userid"
)
SELECT dbt_unit_model."user_id", dbt_unit_model."first_name", dbt_unit_model."last_name", dbt_unit_model."gender", dbt_unit_model."level"
FROM (
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
    from "__fixture_0"
    where nullif(trim(userid), '') is not null
    
)

-- test.accepted_values_users_level (test)
SELECT COUNT(*) AS failures FROM (
SELECT "level" AS value_field, COUNT(*) AS n_records
FROM "public"."users"
WHERE "level" IS NOT NULL AND CAST("level" AS VARCHAR(MAX)) NOT IN (CAST('free' AS VARCHAR(MAX)), CAST('paid' AS VARCHAR(MAX)))
GROUP BY "level"
) AS dbt_internal_test;

-- test.not_null_users_user_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT *
FROM "public"."users"
WHERE "user_id" IS NULL
) AS dbt_internal_test;

-- test.unique_users_user_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT "user_id" AS unique_field, COUNT(*) AS n_records
FROM "public"."users"
WHERE "user_id" IS NOT NULL
GROUP BY "user_id"
HAVING COUNT(*) > 1
) AS dbt_internal_test;

-- snapshot.users_history (snapshot)
-- check: the query reads the columns its config names
SELECT q."user_id", q."level"
FROM (
select user_id, first_name, last_name, gender, level
from "public"."users"
) AS q
WHERE 1 = 0;
DROP TABLE IF EXISTS "public"."users_history__sparkify_tmp" CASCADE;
DROP TABLE IF EXISTS "public"."users_history__deleted__sparkify_tmp" CASCADE;
BEGIN;
CREATE TABLE "public"."users_history__sparkify_tmp"
AS
SELECT
  q.*,
  MD5(COALESCE(CAST(q."user_id" AS VARCHAR(MAX)), '') || '|' || COALESCE(CAST(SYSDATE AS VARCHAR(MAX)), '')) AS "dbt_scd_id",
  SYSDATE AS "dbt_updated_at",
  SYSDATE AS "dbt_valid_from",
  CAST(NULL AS TIMESTAMP) AS "dbt_valid_to"
FROM (
select user_id, first_name, last_name, gender, level
from "public"."users"
) AS q;
UPDATE "public"."users_history"
SET "dbt_valid_to" = s."dbt_valid_from"
FROM "public"."users_history__sparkify_tmp" AS s
WHERE "public"."users_history"."user_id" = s."user_id"
  AND "public"."users_history"."dbt_valid_to" IS NULL
  AND (
    (s."level" <> "public"."users_history"."level" OR (s."level" IS NULL AND "public"."users_history"."level" IS NOT NULL) OR (s."level" IS NOT NULL AND "public"."users_history"."level" IS NULL))
  );
INSERT INTO "public"."users_history"
SELECT s.*
FROM "public"."users_history__sparkify_tmp" AS s
WHERE NOT EXISTS (
  SELECT 1 FROM "public"."users_history" AS t
  WHERE t."user_id" = s."user_id" AND t."dbt_valid_to" IS NULL
);
DROP TABLE IF EXISTS "public"."users_history__sparkify_tmp" CASCADE;
COMMIT;
SELECT COUNT(*) AS n FROM "public"."users_history";
-- if it fails: DROP TABLE IF EXISTS "public"."users_history__sparkify_tmp" CASCADE;
-- if it fails: DROP TABLE IF EXISTS "public"."users_history__deleted__sparkify_tmp" CASCADE;

-- test.not_null_artists_artist_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT *
FROM "public"."artists"
WHERE "artist_id" IS NULL
) AS dbt_internal_test;

-- test.unique_artists_artist_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT "artist_id" AS unique_field, COUNT(*) AS n_records
FROM "public"."artists"
WHERE "artist_id" IS NOT NULL
GROUP BY "artist_id"
HAVING COUNT(*) > 1
) AS dbt_internal_test;

-- test.songplays_match_rule (test)
-- unit test: these rows must equal the 4 expected rows
WITH "__fixture_0" AS (
SELECT CAST('Artist A' AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST(NULL AS varchar(256)) AS "firstname", CAST(NULL AS varchar(16)) AS "gender", CAST(1 AS integer) AS "iteminsession", CAST(NULL AS varchar(256)) AS "lastname", CAST(200.5 AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST('NextSong' AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(38 AS integer) AS "sessionid", CAST('Song A' AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(1541105830796 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('39' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST('Artist A' AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST(NULL AS varchar(256)) AS "firstname", CAST(NULL AS varchar(16)) AS "gender", CAST(2 AS integer) AS "iteminsession", CAST(NULL AS varchar(256)) AS "lastname", CAST(200.6 AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST('NextSong' AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(38 AS integer) AS "sessionid", CAST('Song A' AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(1541105830797 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('39' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST('Artist T' AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST(NULL AS varchar(256)) AS "firstname", CAST(NULL AS varchar(16)) AS "gender", CAST(3 AS integer) AS "iteminsession", CAST(NULL AS varchar(256)) AS "lastname", CAST(100 AS double precision) AS "length", CAST('paid' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST('NextSong' AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(38 AS integer) AS "sessionid", CAST('Song T' AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(1541105830798 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('39' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST(NULL AS varchar(256)) AS "firstname", CAST(NULL AS varchar(16)) AS "gender", CAST(0 AS integer) AS "iteminsession", CAST(NULL AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST('NextSong' AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(7 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(1541105830799 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('8' AS varchar(32)) AS "userid"
UNION ALL
SELECT CAST(NULL AS varchar(512)) AS "artist", CAST(NULL AS varchar(32)) AS "auth", CAST(NULL AS varchar(256)) AS "firstname", CAST(NULL AS varchar(16)) AS "gender", CAST(1 AS integer) AS "iteminsession", CAST(NULL AS varchar(256)) AS "lastname", CAST(NULL AS double precision) AS "length", CAST('free' AS varchar(16)) AS "level", CAST(NULL AS varchar(512)) AS "location", CAST(NULL AS varchar(16)) AS "method", CAST('Home' AS varchar(64)) AS "page", CAST(NULL AS double precision) AS "registration", CAST(7 AS integer) AS "sessionid", CAST(NULL AS varchar(512)) AS "song", CAST(NULL AS integer) AS "status", CAST(1541105830800 AS bigint) AS "ts", CAST(NULL AS varchar(1024)) AS "useragent", CAST('8' AS varchar(32)) AS "userid"
),
"__fixture_1" AS (
SELECT CAST('1' AS integer) AS "num_songs", CAST('ARAAA' AS varchar(32)) AS "artist_id", CAST(NULL AS double precision) AS "artist_latitude", CAST(NULL AS double precision) AS "artist_longitude", CAST(NULL AS varchar(512)) AS "artist_location", CAST('Artist A' AS varchar(512)) AS "artist_name", CAST('SOAAA' AS varchar(32)) AS "song_id", CAST('Song A' AS varchar(512)) AS "title", CAST('200.5' AS double precision) AS "duration", CAST('2001' AS integer) AS "year"
UNION ALL
SELECT CAST('1' AS integer) AS "num_songs", CAST('ARTTB' AS varchar(32)) AS "artist_id", CAST(NULL AS double precision) AS "artist_latitude", CAST(NULL AS double precision) AS "artist_longitude", CAST(NULL AS varchar(512)) AS "artist_location", CAST('Artist T' AS varchar(512)) AS "artist_name", CAST('SOTTB' AS varchar(32)) AS "song_id", CAST('Song T' AS varchar(512)) AS "title", CAST('100' AS double precision) AS "duration", CAST('0' AS integer) AS "year"
UNION ALL
SELECT CAST('1' AS integer) AS "num_songs", CAST('ARTTA' AS varchar(32)) AS "artist_id", CAST(NULL AS double precision) AS "artist_latitude", CAST(NULL AS double precision) AS "artist_longitude", CAST(NULL AS varchar(512)) AS "artist_location", CAST('Artist T' AS varchar(512)) AS "artist_name", CAST('SOTTA' AS varchar(32)) AS "song_id", CAST('Song T' AS varchar(512)) AS "title", CAST('100' AS double precision) AS "duration", CAST('0' AS integer) AS "year"
)
SELECT dbt_unit_model."start_time", dbt_unit_model."user_id", dbt_unit_model."level", dbt_unit_model."song_id", dbt_unit_model."artist_id"
FROM (
with plays as (
    select *
    from "__fixture_0"
    where page = 'NextSong'
    
),

-- test.accepted_values_songplays_level (test)
SELECT COUNT(*) AS failures FROM (
SELECT "level" AS value_field, COUNT(*) AS n_records
FROM "public"."songplays"
WHERE "level" IS NOT NULL AND CAST("level" AS VARCHAR(MAX)) NOT IN (CAST('free' AS VARCHAR(MAX)), CAST('paid' AS VARCHAR(MAX)))
GROUP BY "level"
) AS dbt_internal_test;

-- test.not_null_songplays_songplay_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT *
FROM "public"."songplays"
WHERE "songplay_id" IS NULL
) AS dbt_internal_test;

-- test.not_null_songplays_start_time (test)
SELECT COUNT(*) AS failures FROM (
SELECT *
FROM "public"."songplays"
WHERE "start_time" IS NULL
) AS dbt_internal_test;

-- test.not_null_songplays_user_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT *
FROM "public"."songplays"
WHERE "user_id" IS NULL
) AS dbt_internal_test;

-- test.relationships_songplays_artist_id__artists_artist_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT child."artist_id" AS from_field
FROM "public"."songplays" AS child
LEFT JOIN "public"."artists" AS parent ON child."artist_id" = parent."artist_id"
WHERE child."artist_id" IS NOT NULL AND parent."artist_id" IS NULL
) AS dbt_internal_test;

-- test.relationships_songplays_user_id__users_user_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT child."user_id" AS from_field
FROM "public"."songplays" AS child
LEFT JOIN "public"."users" AS parent ON child."user_id" = parent."user_id"
WHERE child."user_id" IS NOT NULL AND parent."user_id" IS NULL
) AS dbt_internal_test;

-- test.unique_songplays_songplay_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT "songplay_id" AS unique_field, COUNT(*) AS n_records
FROM "public"."songplays"
WHERE "songplay_id" IS NOT NULL
GROUP BY "songplay_id"
HAVING COUNT(*) > 1
) AS dbt_internal_test;

-- test.not_null_songs_song_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT *
FROM "public"."songs"
WHERE "song_id" IS NULL
) AS dbt_internal_test;

-- test.relationships_songplays_song_id__songs_song_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT child."song_id" AS from_field
FROM "public"."songplays" AS child
LEFT JOIN "public"."songs" AS parent ON child."song_id" = parent."song_id"
WHERE child."song_id" IS NOT NULL AND parent."song_id" IS NULL
) AS dbt_internal_test;

-- test.unique_songs_song_id (test)
SELECT COUNT(*) AS failures FROM (
SELECT "song_id" AS unique_field, COUNT(*) AS n_records
FROM "public"."songs"
WHERE "song_id" IS NOT NULL
GROUP BY "song_id"
HAVING COUNT(*) > 1
) AS dbt_internal_test;

-- test.accepted_values_time_weekday (test)
SELECT COUNT(*) AS failures FROM (
SELECT "weekday" AS value_field, COUNT(*) AS n_records
FROM "public"."time"
WHERE "weekday" IS NOT NULL AND CAST("weekday" AS VARCHAR(MAX)) NOT IN (CAST(0 AS VARCHAR(MAX)), CAST(1 AS VARCHAR(MAX)), CAST(2 AS VARCHAR(MAX)), CAST(3 AS VARCHAR(MAX)), CAST(4 AS VARCHAR(MAX)), CAST(5 AS VARCHAR(MAX)), CAST(6 AS VARCHAR(MAX)))
GROUP BY "weekday"
) AS dbt_internal_test;

-- test.not_null_time_start_time (test)
SELECT COUNT(*) AS failures FROM (
SELECT *
FROM "public"."time"
WHERE "start_time" IS NULL
) AS dbt_internal_test;

-- test.unique_time_start_time (test)
SELECT COUNT(*) AS failures FROM (
SELECT "start_time" AS unique_field, COUNT(*) AS n_records
FROM "public"."time"
WHERE "start_time" IS NOT NULL
GROUP BY "start_time"
HAVING COUNT(*) > 1
) AS dbt_internal_test;

