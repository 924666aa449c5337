-- every session, after connecting
SET DateStyle = ISO;
SET extra_float_digits = 2;
SET statement_timeout = 7200000;

-- setup
CREATE SCHEMA IF NOT EXISTS "public";
CREATE TABLE IF NOT EXISTS "public"."sparkify_load_errors" (
  "run_id" varchar(64),
  "source" varchar(256),
  "file" varchar(1024),
  "line" bigint,
  "position" integer,
  "column_name" varchar(127),
  "reason" varchar(1024),
  "raw_text" varchar(1024),
  "recorded_at" timestamp
);

-- source.raw.auto_folder (copy)
DROP TABLE IF EXISTS "public"."auto_folder__sparkify_tmp" CASCADE;
CREATE TABLE "public"."auto_folder__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."auto_folder__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/events/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
MAXERROR 0;
ANALYZE "public"."auto_folder__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."auto_folder" RENAME TO "auto_folder__sparkify_old";
ALTER TABLE "public"."auto_folder__sparkify_tmp" RENAME TO "auto_folder";
COMMIT;
DROP TABLE IF EXISTS "public"."auto_folder__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."auto_folder";
-- if it fails: DROP TABLE IF EXISTS "public"."auto_folder__sparkify_tmp" CASCADE;

-- model.MixedCase (table)
DROP TABLE IF EXISTS "public"."mixedcase__sparkify_tmp" CASCADE;
CREATE TABLE "public"."mixedcase__sparkify_tmp"
DISTSTYLE KEY
DISTKEY ("id")
AS
select id as ID from "public"."auto_folder";
ANALYZE "public"."mixedcase__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."mixedcase" RENAME TO "mixedcase__sparkify_old";
ALTER TABLE "public"."mixedcase__sparkify_tmp" RENAME TO "mixedcase";
COMMIT;
DROP TABLE IF EXISTS "public"."mixedcase__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."mixedcase";
-- if it fails: DROP TABLE IF EXISTS "public"."mixedcase__sparkify_tmp" CASCADE;

-- model.appended (incremental)
DROP TABLE IF EXISTS "public"."appended__sparkify_tmp" CASCADE;
CREATE TABLE "public"."appended__sparkify_tmp"
AS
select id from "public"."auto_folder"
where id > (select max(id) from "public"."appended");
SELECT COUNT(*) AS n FROM "public"."appended__sparkify_tmp";
BEGIN;
INSERT INTO "public"."appended" SELECT * FROM "public"."appended__sparkify_tmp";
COMMIT;
DROP TABLE IF EXISTS "public"."appended__sparkify_tmp" CASCADE;
SELECT COUNT(*) AS n FROM "public"."appended";
-- if it fails: DROP TABLE IF EXISTS "public"."appended__sparkify_tmp" CASCADE;

-- model.deleted_inserted (incremental)
DROP TABLE IF EXISTS "public"."deleted_inserted__sparkify_tmp" CASCADE;
CREATE TABLE "public"."deleted_inserted__sparkify_tmp"
AS
select id, note, at from "public"."auto_folder"
where at > (select max(at) from "public"."deleted_inserted");
SELECT COUNT(*) AS n FROM "public"."deleted_inserted__sparkify_tmp";
BEGIN;
DELETE FROM "public"."deleted_inserted" USING "public"."deleted_inserted__sparkify_tmp" WHERE "public"."deleted_inserted"."id" = "deleted_inserted__sparkify_tmp"."id" AND "public"."deleted_inserted"."at" = "deleted_inserted__sparkify_tmp"."at";
INSERT INTO "public"."deleted_inserted" SELECT * FROM "public"."deleted_inserted__sparkify_tmp";
COMMIT;
DROP TABLE IF EXISTS "public"."deleted_inserted__sparkify_tmp" CASCADE;
SELECT COUNT(*) AS n FROM "public"."deleted_inserted";
-- if it fails: DROP TABLE IF EXISTS "public"."deleted_inserted__sparkify_tmp" CASCADE;

-- model.dist_all (table)
DROP TABLE IF EXISTS "public"."dist_all__sparkify_tmp" CASCADE;
CREATE TABLE "public"."dist_all__sparkify_tmp"
DISTSTYLE ALL
AS
select id from "public"."auto_folder";
ANALYZE "public"."dist_all__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."dist_all" RENAME TO "dist_all__sparkify_old";
ALTER TABLE "public"."dist_all__sparkify_tmp" RENAME TO "dist_all";
COMMIT;
DROP TABLE IF EXISTS "public"."dist_all__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."dist_all";
-- if it fails: DROP TABLE IF EXISTS "public"."dist_all__sparkify_tmp" CASCADE;

-- model.dist_auto_interleaved (table)
DROP TABLE IF EXISTS "public"."dist_auto_interleaved__sparkify_tmp" CASCADE;
CREATE TABLE "public"."dist_auto_interleaved__sparkify_tmp"
DISTSTYLE AUTO
INTERLEAVED SORTKEY ("id", "at")
AS
select id, at from "public"."auto_folder";
ANALYZE "public"."dist_auto_interleaved__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."dist_auto_interleaved" RENAME TO "dist_auto_interleaved__sparkify_old";
ALTER TABLE "public"."dist_auto_interleaved__sparkify_tmp" RENAME TO "dist_auto_interleaved";
COMMIT;
DROP TABLE IF EXISTS "public"."dist_auto_interleaved__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."dist_auto_interleaved";
-- if it fails: DROP TABLE IF EXISTS "public"."dist_auto_interleaved__sparkify_tmp" CASCADE;

-- model.dist_even_compound (table)
DROP TABLE IF EXISTS "public"."dist_even_compound__sparkify_tmp" CASCADE;
CREATE TABLE "public"."dist_even_compound__sparkify_tmp"
DISTSTYLE EVEN
COMPOUND SORTKEY ("id", "at")
AS
select id, at from "public"."auto_folder";
ANALYZE "public"."dist_even_compound__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."dist_even_compound" RENAME TO "dist_even_compound__sparkify_old";
ALTER TABLE "public"."dist_even_compound__sparkify_tmp" RENAME TO "dist_even_compound";
COMMIT;
DROP TABLE IF EXISTS "public"."dist_even_compound__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."dist_even_compound";
-- if it fails: DROP TABLE IF EXISTS "public"."dist_even_compound__sparkify_tmp" CASCADE;

-- model.dist_key (table)
DROP TABLE IF EXISTS "public"."dist_key__sparkify_tmp" CASCADE;
CREATE TABLE "public"."dist_key__sparkify_tmp"
DISTSTYLE KEY
DISTKEY ("id")
SORTKEY ("at")
AS
select id, at from "public"."auto_folder";
ANALYZE "public"."dist_key__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."dist_key" RENAME TO "dist_key__sparkify_old";
ALTER TABLE "public"."dist_key__sparkify_tmp" RENAME TO "dist_key";
COMMIT;
DROP TABLE IF EXISTS "public"."dist_key__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."dist_key";
-- if it fails: DROP TABLE IF EXISTS "public"."dist_key__sparkify_tmp" CASCADE;

-- model.no_keys (table)
DROP TABLE IF EXISTS "public"."no_keys__sparkify_tmp" CASCADE;
CREATE TABLE "public"."no_keys__sparkify_tmp"
AS
select id from "public"."auto_folder";
ANALYZE "public"."no_keys__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."no_keys" RENAME TO "no_keys__sparkify_old";
ALTER TABLE "public"."no_keys__sparkify_tmp" RENAME TO "no_keys";
COMMIT;
DROP TABLE IF EXISTS "public"."no_keys__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."no_keys";
-- if it fails: DROP TABLE IF EXISTS "public"."no_keys__sparkify_tmp" CASCADE;

-- model.bound (view)
CREATE OR REPLACE VIEW "public"."bound" AS
select * from "public"."no_keys";

-- model.late_binding (view)
CREATE OR REPLACE VIEW "public"."late_binding" AS
select * from "public"."no_keys"
WITH NO SCHEMA BINDING;

-- model.late_binding_explicit (view)
CREATE OR REPLACE VIEW "public"."late_binding_explicit" AS
select * from "public"."no_keys"
WITH NO SCHEMA BINDING;

-- model.upserted (incremental)
DROP TABLE IF EXISTS "public"."upserted__sparkify_tmp" CASCADE;
CREATE TABLE "public"."upserted__sparkify_tmp"
DISTSTYLE KEY
DISTKEY ("id")
SORTKEY ("at")
AS
select id, note, at from "public"."auto_folder"
where at > (select max(at) from "public"."upserted");
SELECT COUNT(*) AS n FROM "public"."upserted__sparkify_tmp";
BEGIN;
MERGE INTO "public"."upserted" USING "public"."upserted__sparkify_tmp" ON "public"."upserted"."id" = "upserted__sparkify_tmp"."id" REMOVE DUPLICATES;
COMMIT;
DROP TABLE IF EXISTS "public"."upserted__sparkify_tmp" CASCADE;
SELECT COUNT(*) AS n FROM "public"."upserted";
-- if it fails: DROP TABLE IF EXISTS "public"."upserted__sparkify_tmp" CASCADE;

-- source.raw.conversions (copy)
DROP TABLE IF EXISTS "public"."conversions__sparkify_tmp" CASCADE;
CREATE TABLE "public"."conversions__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."conversions__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/events/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
TIMEFORMAT AS 'YYYY-MM-DD HH:MI:SS'
TRUNCATECOLUMNS
BLANKSASNULL
EMPTYASNULL
ACCEPTINVCHARS AS '^'
MAXERROR 0;
ANALYZE "public"."conversions__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."conversions" RENAME TO "conversions__sparkify_old";
ALTER TABLE "public"."conversions__sparkify_tmp" RENAME TO "conversions";
COMMIT;
DROP TABLE IF EXISTS "public"."conversions__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."conversions";
-- if it fails: DROP TABLE IF EXISTS "public"."conversions__sparkify_tmp" CASCADE;

-- source.raw.epoch_times (copy)
DROP TABLE IF EXISTS "public"."epoch_times__sparkify_tmp" CASCADE;
CREATE TABLE "public"."epoch_times__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."epoch_times__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/events/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
TIMEFORMAT AS 'epochmillisecs'
MAXERROR 10;
ANALYZE "public"."epoch_times__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."epoch_times" RENAME TO "epoch_times__sparkify_old";
ALTER TABLE "public"."epoch_times__sparkify_tmp" RENAME TO "epoch_times";
COMMIT;
DROP TABLE IF EXISTS "public"."epoch_times__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."epoch_times";
-- if it fails: DROP TABLE IF EXISTS "public"."epoch_times__sparkify_tmp" CASCADE;

-- source.raw.gzip (copy)
DROP TABLE IF EXISTS "public"."gzip__sparkify_tmp" CASCADE;
CREATE TABLE "public"."gzip__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."gzip__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/gz/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
GZIP
MAXERROR 0;
ANALYZE "public"."gzip__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."gzip" RENAME TO "gzip__sparkify_old";
ALTER TABLE "public"."gzip__sparkify_tmp" RENAME TO "gzip";
COMMIT;
DROP TABLE IF EXISTS "public"."gzip__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."gzip";
-- if it fails: DROP TABLE IF EXISTS "public"."gzip__sparkify_tmp" CASCADE;

-- source.raw.ignorecase_slash (copy)
DROP TABLE IF EXISTS "public"."ignorecase_slash__sparkify_tmp" CASCADE;
CREATE TABLE "public"."ignorecase_slash__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."ignorecase_slash__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/events/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto ignorecase'
REGION 'us-west-2'
MAXERROR 0;
ANALYZE "public"."ignorecase_slash__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."ignorecase_slash" RENAME TO "ignorecase_slash__sparkify_old";
ALTER TABLE "public"."ignorecase_slash__sparkify_tmp" RENAME TO "ignorecase_slash";
COMMIT;
DROP TABLE IF EXISTS "public"."ignorecase_slash__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."ignorecase_slash";
-- if it fails: DROP TABLE IF EXISTS "public"."ignorecase_slash__sparkify_tmp" CASCADE;

-- source.raw.jsonpaths_file (copy)
DROP TABLE IF EXISTS "public"."jsonpaths_file__sparkify_tmp" CASCADE;
CREATE TABLE "public"."jsonpaths_file__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."jsonpaths_file__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/events/2018-11-01.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 's3://udacity-dend/log_json_path.json'
REGION 'us-west-2'
MAXERROR 0;
ANALYZE "public"."jsonpaths_file__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."jsonpaths_file" RENAME TO "jsonpaths_file__sparkify_old";
ALTER TABLE "public"."jsonpaths_file__sparkify_tmp" RENAME TO "jsonpaths_file";
COMMIT;
DROP TABLE IF EXISTS "public"."jsonpaths_file__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."jsonpaths_file";
-- if it fails: DROP TABLE IF EXISTS "public"."jsonpaths_file__sparkify_tmp" CASCADE;

-- source.raw.manifest (copy)
DROP TABLE IF EXISTS "public"."manifest__sparkify_tmp" CASCADE;
CREATE TABLE "public"."manifest__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."manifest__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/loads/events.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
MANIFEST
MAXERROR 0;
ANALYZE "public"."manifest__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."manifest" RENAME TO "manifest__sparkify_old";
ALTER TABLE "public"."manifest__sparkify_tmp" RENAME TO "manifest";
COMMIT;
DROP TABLE IF EXISTS "public"."manifest__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."manifest";
-- if it fails: DROP TABLE IF EXISTS "public"."manifest__sparkify_tmp" CASCADE;

-- source.raw.updates_on (copy)
DROP TABLE IF EXISTS "public"."updates_on__sparkify_tmp" CASCADE;
CREATE TABLE "public"."updates_on__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."updates_on__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/events/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
MAXERROR 0
COMPUPDATE ON
STATUPDATE ON;
ANALYZE "public"."updates_on__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."updates_on" RENAME TO "updates_on__sparkify_old";
ALTER TABLE "public"."updates_on__sparkify_tmp" RENAME TO "updates_on";
COMMIT;
DROP TABLE IF EXISTS "public"."updates_on__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."updates_on";
-- if it fails: DROP TABLE IF EXISTS "public"."updates_on__sparkify_tmp" CASCADE;

-- source.raw.whole_bucket (copy)
DROP TABLE IF EXISTS "public"."whole_bucket__sparkify_tmp" CASCADE;
CREATE TABLE "public"."whole_bucket__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."whole_bucket__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'eu-west-1'
MAXERROR 0;
ANALYZE "public"."whole_bucket__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."whole_bucket" RENAME TO "whole_bucket__sparkify_old";
ALTER TABLE "public"."whole_bucket__sparkify_tmp" RENAME TO "whole_bucket";
COMMIT;
DROP TABLE IF EXISTS "public"."whole_bucket__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."whole_bucket";
-- if it fails: DROP TABLE IF EXISTS "public"."whole_bucket__sparkify_tmp" CASCADE;

-- source.raw.zstd (copy)
DROP TABLE IF EXISTS "public"."zstd__sparkify_tmp" CASCADE;
CREATE TABLE "public"."zstd__sparkify_tmp" (
  "id" integer,
  "note" varchar(64),
  "at" timestamp
);
COPY "public"."zstd__sparkify_tmp" ("id", "note", "at")
FROM 's3://sparkify-raw/zst/'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto'
REGION 'us-west-2'
ZSTD
MAXERROR 0;
ANALYZE "public"."zstd__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."zstd" RENAME TO "zstd__sparkify_old";
ALTER TABLE "public"."zstd__sparkify_tmp" RENAME TO "zstd";
COMMIT;
DROP TABLE IF EXISTS "public"."zstd__sparkify_old" CASCADE;
SELECT COUNT(*) AS n FROM "public"."zstd";
-- if it fails: DROP TABLE IF EXISTS "public"."zstd__sparkify_tmp" CASCADE;
