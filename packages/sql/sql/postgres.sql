-- @sessionkit/sql schema for PostgreSQL (pg). The store runs the same statements itself on first
-- use unless createTable: false. Rename `sessions` to match the `table` option.
--   sid         the session id: 1 to 256 characters (case-sensitive, byte order)
--   data        the session as a JSON object (U+0000, which jsonb cannot hold, is stored escaped);
--               NULL marks a tombstone left by destroy()
--   expires_at  absolute expiry in epoch milliseconds; rows past it are never read and are pruned
CREATE TABLE IF NOT EXISTS sessions (
  sid varchar(256) COLLATE "C" PRIMARY KEY,
  data jsonb,
  expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at_idx ON sessions (expires_at);
