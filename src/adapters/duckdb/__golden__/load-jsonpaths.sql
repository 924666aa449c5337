CREATE TABLE "main"."t__sparkify_tmp" AS
SELECT
  CASE WHEN strlen("userid") > 32 THEN error('userid: value longer than 32 bytes') ELSE "userid" END AS "userid",
  CAST(CASE WHEN "ts" IS NULL THEN NULL WHEN regexp_full_match("ts", '[+-]?[0-9]+') AND TRY_CAST("ts" AS HUGEINT) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN "ts" ELSE error('ts: invalid bigint') END AS BIGINT) AS "ts",
  CAST("length" AS DOUBLE PRECISION) AS "length",
  "page" AS "page"
FROM (
  SELECT
    json_extract_string(json, '$."userId"') AS "userid",
    json_extract_string(json, '$."ts"') AS "ts",
    json_extract_string(json, '$."length"') AS "length",
    json_extract_string(json, '$."a"."b"[0]') AS "page"
  FROM read_json_objects(['/data/a.json', '/data/it''s.json'], format = 'auto', compression = 'auto_detect')
) AS records
