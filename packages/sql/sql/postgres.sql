-- @sessionkit/sql schema for PostgreSQL (pg). The store runs the same statements itself on first
-- use unless createTable: false. Rename `sessions` to match the `table` option.
--   sid         the session id: 1 to 256 characters (case-sensitive, byte order)
--   data        the session as a JSON object (U+0000, which jsonb cannot hold, is stored escaped);
--               NULL marks a tombstone left by destroy()
--   expires_at  absolute expiry in epoch milliseconds; rows past it are never read and are pruned
--   principal   the user the session belongs to (the store's `principal` option), NULL when
--               anonymous; indexed for idsByPrincipal / destroyByPrincipal
CREATE TABLE IF NOT EXISTS sessions (
  sid varchar(256) COLLATE "C" PRIMARY KEY,
  data jsonb,
  expires_at bigint NOT NULL,
  principal text COLLATE "C"
);
CREATE INDEX IF NOT EXISTS sessions_expires_at_idx ON sessions (expires_at);

-- Upgrade of a table made by an earlier version (the store runs it itself on first use unless
-- createTable: false; SqlSessionStore#migrate() runs it and files the principal of older sessions):
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS principal text COLLATE "C";
CREATE INDEX IF NOT EXISTS sessions_principal_idx ON sessions (principal) WHERE principal IS NOT NULL;
