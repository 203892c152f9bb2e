-- dramatiq-pg 0.12's schema (dramatiq_pg/schema.sql), with its psql variables
-- resolved to the defaults its CLI and results backend use: schema "dramatiq",
-- type "state", table "queue". Kept verbatim otherwise, so `dramatiq-pg`'s
-- maintenance commands keep working on this table.
CREATE SCHEMA IF NOT EXISTS dramatiq;

CREATE TYPE dramatiq.state AS ENUM (
  'queued',
  'consumed',
  'rejected',
  'done'
);

CREATE TABLE dramatiq.queue(
  message_id uuid PRIMARY KEY,
  queue_name TEXT NOT NULL DEFAULT 'default',
  "state" dramatiq.state,
  mtime TIMESTAMP WITH TIME ZONE DEFAULT (NOW() AT TIME ZONE 'UTC'),
  -- message as encoded by dramatiq.
  message JSONB,
  "result" JSONB,
  result_ttl  TIMESTAMP WITH TIME ZONE
) WITHOUT OIDS;

CREATE INDEX ON dramatiq.queue("state", mtime);
