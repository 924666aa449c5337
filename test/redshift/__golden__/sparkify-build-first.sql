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
BEGIN;
CREATE TABLE "public"."users_history"
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

