-- @sessionkit/sql schema for SQLite 3.38+ (better-sqlite3). The store runs the same statements
-- itself on first use unless createTable: false. Rename `sessions` to match the `table` option.
-- Use WAL (PRAGMA journal_mode = WAL) when several processes share the file.
--   sid         the session id: 1 to 256 characters
--   data        the session as JSON text (U+0000 stored escaped, see the README); NULL marks a
--               tombstone left by destroy()
--   expires_at  absolute expiry in epoch milliseconds; rows past it are never read and are pruned
--   principal   the user the session belongs to (the store's `principal` option), NULL when
--               anonymous; indexed for idsByPrincipal / destroyByPrincipal
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT PRIMARY KEY NOT NULL,
  data TEXT,
  expires_at INTEGER NOT NULL,
  principal TEXT
);
CREATE INDEX IF NOT EXISTS sessions_expires_at_idx ON sessions (expires_at);

-- The principal index. A table made by an earlier version first needs the column (the store adds
-- it itself on first use unless createTable: false; SqlSessionStore#migrate() also files the
-- principal of older sessions): ALTER TABLE sessions ADD COLUMN principal TEXT;
CREATE INDEX IF NOT EXISTS sessions_principal_idx ON sessions (principal) WHERE principal IS NOT NULL;
