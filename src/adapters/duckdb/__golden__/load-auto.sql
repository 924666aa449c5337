CREATE TABLE "main"."x" AS
SELECT
  CASE WHEN strlen("song_id") > 32 OR (("song_id" ^@ '[' OR "song_id" ^@ '{') AND strlen("song_id") - strlen(replace(replace("song_id", '[', ''), '{', '')) > 1000) OR contains("song_id", chr(0)) THEN error('song_id: value longer than 32 bytes, nested too deep, or holding a NUL') ELSE "song_id" END AS "song_id",
  CAST(CASE WHEN "year" IS NULL THEN NULL WHEN regexp_full_match("year", '[+-]?[0-9]+') AND TRY_CAST("year" AS HUGEINT) BETWEEN -2147483648 AND 2147483647 THEN "year" ELSE error('year: invalid integer') END AS INTEGER) AS "year"
FROM (
  SELECT
    v[1] AS "song_id",
    v[2] AS "year"
  FROM (SELECT json_extract_string(json, ['$."song_id"', '$."year"']) AS v FROM (SELECT CASE WHEN json_type(json) IN ('OBJECT') AND strlen(json) <= 4194304 THEN json ELSE error('record: not a JSON object, or larger than 4 MB, or one sparkify reads itself') END AS json FROM read_json_objects(['/f.json'], format = 'newline_delimited', compression = 'auto_detect', maximum_object_size = 4194305)) AS r) AS e
) AS records

CREATE TABLE "main"."x" AS
SELECT
  CASE WHEN strlen("song_id") > 32 OR (("song_id" ^@ '[' OR "song_id" ^@ '{') AND strlen("song_id") - strlen(replace(replace("song_id", '[', ''), '{', '')) > 1000) OR contains("song_id", chr(0)) THEN error('song_id: value longer than 32 bytes, nested too deep, or holding a NUL') ELSE "song_id" END AS "song_id",
  CAST(CASE WHEN "year" IS NULL THEN NULL WHEN regexp_full_match("year", '[+-]?[0-9]+') AND TRY_CAST("year" AS HUGEINT) BETWEEN -2147483648 AND 2147483647 THEN "year" ELSE error('year: invalid integer') END AS INTEGER) AS "year"
FROM (
  SELECT
    json_extract_string(json, '$."' || list_filter(json_keys(json), k -> lower(k) = 'song_id')[1] || '"') AS "song_id",
    json_extract_string(json, '$."' || list_filter(json_keys(json), k -> lower(k) = 'year')[1] || '"') AS "year"
  FROM (SELECT CASE WHEN json_type(json) IN ('OBJECT') AND strlen(json) <= 4194304 THEN json ELSE error('record: not a JSON object, or larger than 4 MB, or one sparkify reads itself') END AS json FROM read_json_objects(['/f.json'], format = 'newline_delimited', compression = 'auto_detect', maximum_object_size = 4194305)) AS r
) AS records
