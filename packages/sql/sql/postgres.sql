-- @sessionkit/sql schema for PostgreSQL (pg). The store runs the same statements itself on first
-- use unless createTable: false. Rename `sessions` to match the `table` option.
--   sid         the session id (case-sensitive, byte order)
--   data        the session as a JSON object; NULL marks a tombstone left by destroy()
--   expires_at  absolute expiry in epoch milliseconds; rows past it are never read and are pruned
CREATE TABLE IF NOT EXISTS sessions (
  sid varchar(160) COLLATE "C" PRIMARY KEY,
  data jsonb,
  expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at_idx ON sessions (expires_at);
