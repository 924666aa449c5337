CREATE TABLE "main"."t__sparkify_tmp" AS
SELECT
  CASE WHEN strlen("userid") > 32 OR (("userid" ^@ '[' OR "userid" ^@ '{') AND strlen("userid") - strlen(replace(replace("userid", '[', ''), '{', '')) > 1000) OR contains("userid", chr(0)) THEN error('userid: value longer than 32 bytes, nested too deep, or holding a NUL') ELSE "userid" END AS "userid",
  CAST(CASE WHEN "ts" IS NULL THEN NULL WHEN regexp_full_match("ts", '[+-]?[0-9]+') AND TRY_CAST("ts" AS HUGEINT) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN "ts" ELSE error('ts: invalid bigint') END AS BIGINT) AS "ts",
  CAST(CASE WHEN "length" IS NULL THEN NULL WHEN isfinite(TRY_CAST("length" AS DOUBLE)) AND NOT contains("length", ' ') AND NOT contains("length", '_') AND (TRY_CAST("length" AS DOUBLE) <> 0 OR regexp_full_match("length", '[+-]?(0+[.]?0*|[.]0+)([eE][+-]?[0-9]+)?')) THEN "length" ELSE error('length: invalid double precision') END AS DOUBLE) AS "length",
  CASE WHEN (("page" ^@ '[' OR "page" ^@ '{') AND strlen("page") - strlen(replace(replace("page", '[', ''), '{', '')) > 1000) OR contains("page", chr(0)) THEN error('page: value longer than 0 bytes, nested too deep, or holding a NUL') ELSE "page" END AS "page"
FROM (
  SELECT
    v[1] AS "userid",
    v[2] AS "ts",
    v[3] AS "length",
    v[4] AS "page"
  FROM (SELECT json_extract_string(json, ['$."userId"', '$."ts"', '$."length"', '$."a"."b"[0]']) AS v FROM (SELECT CASE WHEN json_type(json) IN ('OBJECT') AND strlen(json) <= 4194304 AND NOT regexp_matches(json, '[eE]-0*([3-9][0-9]{2}|[1-9][0-9]{3,})|[.]0{300}') THEN json ELSE error('record: not a JSON object, or larger than 4 MB, or one sparkify reads itself') END AS json FROM read_json_objects(['/data/a.json', '/data/it''s.json'], format = 'newline_delimited', compression = 'auto_detect', maximum_object_size = 4194305)) AS r) AS e
) AS records
