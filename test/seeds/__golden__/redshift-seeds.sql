-- first load
-- every session, after connecting
SET DateStyle = ISO;
SET extra_float_digits = 2;
SET statement_timeout = 7200000;

-- setup
CREATE SCHEMA IF NOT EXISTS "public";

-- seed.codes (seed)
DROP TABLE IF EXISTS "public"."codes__sparkify_tmp" CASCADE;
-- seed: seeds/lookups/codes.csv is read and checked, public.codes__sparkify_tmp is created with its columns (column_types, else the types inferred from the values), then loaded by the engine's CSV reader:
COPY "public"."codes__sparkify_tmp" (<columns of the CSV header>)
FROM 's3://shop-seeds/v1/lookups/codes.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ';'
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
ANALYZE "public"."codes__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."codes__sparkify_tmp" RENAME TO "codes";
COMMIT;
ANALYZE "public"."codes";
SELECT COUNT(*) AS n FROM "public"."codes";
-- if it fails: DROP TABLE IF EXISTS "public"."codes__sparkify_tmp" CASCADE;

-- seed.raw_payments (seed)
DROP TABLE IF EXISTS "public"."raw_payments__sparkify_tmp" CASCADE;
-- seed: seeds/raw_payments.csv is read and checked, public.raw_payments__sparkify_tmp is created with its columns (column_types, else the types inferred from the values), then loaded by the engine's CSV reader:
COPY "public"."raw_payments__sparkify_tmp" (<columns of the CSV header>)
FROM 's3://shop-seeds/v1/raw_payments.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ','
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
ANALYZE "public"."raw_payments__sparkify_tmp";
BEGIN;
ALTER TABLE "public"."raw_payments__sparkify_tmp" RENAME TO "raw_payments";
COMMIT;
ANALYZE "public"."raw_payments";
SELECT COUNT(*) AS n FROM "public"."raw_payments";
-- if it fails: DROP TABLE IF EXISTS "public"."raw_payments__sparkify_tmp" CASCADE;

-- seed.codes when it runs:
CREATE TABLE "public"."codes__sparkify_tmp" (
  "code" varchar(2),
  "label" varchar(7)
);
COPY "public"."codes__sparkify_tmp" ("code", "label")
FROM 's3://shop-seeds/v1/lookups/codes.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ';'
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
-- seed.raw_payments when it runs:
CREATE TABLE "public"."raw_payments__sparkify_tmp" (
  "id" integer,
  "order_id" integer,
  "payment_method" varchar(11),
  "amount" numeric(18,2),
  "paid_at" timestamp,
  "refunded" boolean
);
COPY "public"."raw_payments__sparkify_tmp" ("id", "order_id", "payment_method", "amount", "paid_at", "refunded")
FROM 's3://shop-seeds/v1/raw_payments.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ','
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
-- again, the tables exist
-- every session, after connecting
SET DateStyle = ISO;
SET extra_float_digits = 2;
SET statement_timeout = 7200000;

-- setup
CREATE SCHEMA IF NOT EXISTS "public";

-- seed.codes (seed)
DROP TABLE IF EXISTS "public"."codes__sparkify_tmp" CASCADE;
-- seed: seeds/lookups/codes.csv is read and checked, public.codes__sparkify_tmp is created with its columns (column_types, else the types inferred from the values), then loaded by the engine's CSV reader:
COPY "public"."codes__sparkify_tmp" (<columns of the CSV header>)
FROM 's3://shop-seeds/v1/lookups/codes.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ';'
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
ANALYZE "public"."codes__sparkify_tmp";
-- check: the query reads the columns its config names
SELECT * FROM "public"."codes" WHERE 1 = 0 UNION ALL SELECT * FROM "public"."codes__sparkify_tmp" WHERE 1 = 0;
BEGIN;
DELETE FROM "public"."codes";
INSERT INTO "public"."codes" SELECT * FROM "public"."codes__sparkify_tmp";
COMMIT;
DROP TABLE IF EXISTS "public"."codes__sparkify_tmp" CASCADE;
ANALYZE "public"."codes";
SELECT COUNT(*) AS n FROM "public"."codes";
-- if it fails: DROP TABLE IF EXISTS "public"."codes__sparkify_tmp" CASCADE;

-- seed.raw_payments (seed)
DROP TABLE IF EXISTS "public"."raw_payments__sparkify_tmp" CASCADE;
-- seed: seeds/raw_payments.csv is read and checked, public.raw_payments__sparkify_tmp is created with its columns (column_types, else the types inferred from the values), then loaded by the engine's CSV reader:
COPY "public"."raw_payments__sparkify_tmp" (<columns of the CSV header>)
FROM 's3://shop-seeds/v1/raw_payments.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ','
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
ANALYZE "public"."raw_payments__sparkify_tmp";
-- check: the query reads the columns its config names
SELECT * FROM "public"."raw_payments" WHERE 1 = 0 UNION ALL SELECT * FROM "public"."raw_payments__sparkify_tmp" WHERE 1 = 0;
BEGIN;
DELETE FROM "public"."raw_payments";
INSERT INTO "public"."raw_payments" SELECT * FROM "public"."raw_payments__sparkify_tmp";
COMMIT;
DROP TABLE IF EXISTS "public"."raw_payments__sparkify_tmp" CASCADE;
ANALYZE "public"."raw_payments";
SELECT COUNT(*) AS n FROM "public"."raw_payments";
-- if it fails: DROP TABLE IF EXISTS "public"."raw_payments__sparkify_tmp" CASCADE;

-- seed.codes when it runs:
CREATE TABLE "public"."codes__sparkify_tmp" (
  "code" varchar(2),
  "label" varchar(7)
);
COPY "public"."codes__sparkify_tmp" ("code", "label")
FROM 's3://shop-seeds/v1/lookups/codes.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ';'
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
-- seed.raw_payments when it runs:
CREATE TABLE "public"."raw_payments__sparkify_tmp" (
  "id" integer,
  "order_id" integer,
  "payment_method" varchar(11),
  "amount" numeric(18,2),
  "paid_at" timestamp,
  "refunded" boolean
);
COPY "public"."raw_payments__sparkify_tmp" ("id", "order_id", "payment_method", "amount", "paid_at", "refunded")
FROM 's3://shop-seeds/v1/raw_payments.csv'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
CSV DELIMITER ','
IGNOREHEADER 1
DATEFORMAT 'YYYY-MM-DD'
TIMEFORMAT 'auto'
REGION 'us-west-2'
MAXERROR 0;
