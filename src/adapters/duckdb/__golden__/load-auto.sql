CREATE TABLE "main"."x" AS
SELECT
  CASE WHEN strlen("song_id") > 32 THEN error('song_id: value longer than 32 bytes') ELSE "song_id" END AS "song_id",
  CAST(CASE WHEN "year" IS NULL THEN NULL WHEN regexp_full_match("year", '[+-]?[0-9]+') AND TRY_CAST("year" AS HUGEINT) BETWEEN -2147483648 AND 2147483647 THEN "year" ELSE error('year: invalid integer') END AS INTEGER) AS "year"
FROM (
  SELECT
    json_extract_string(json, '$."song_id"') AS "song_id",
    json_extract_string(json, '$."year"') AS "year"
  FROM read_json_objects(['/f.json'], format = 'auto', compression = 'auto_detect')
) AS records

CREATE TABLE "main"."x" AS
SELECT
  CASE WHEN strlen("song_id") > 32 THEN error('song_id: value longer than 32 bytes') ELSE "song_id" END AS "song_id",
  CAST(CASE WHEN "year" IS NULL THEN NULL WHEN regexp_full_match("year", '[+-]?[0-9]+') AND TRY_CAST("year" AS HUGEINT) BETWEEN -2147483648 AND 2147483647 THEN "year" ELSE error('year: invalid integer') END AS INTEGER) AS "year"
FROM (
  SELECT
    json_extract_string(json, '$."' || list_filter(json_keys(json), k -> lower(k) = 'song_id')[1] || '"') AS "song_id",
    json_extract_string(json, '$."' || list_filter(json_keys(json), k -> lower(k) = 'year')[1] || '"') AS "year"
  FROM read_json_objects(['/f.json'], format = 'auto', compression = 'auto_detect')
) AS records
