-- @sessionkit/sql schema for MySQL 8 and MariaDB 10.5+ (mysql2). The store runs the same
-- statement itself on first use unless createTable: false. Rename `sessions` to match the
-- `table` option.
--   sid         the session id as UTF-8 bytes (256 UTF-16 units fit in 768): VARBINARY, because
--               sids compare byte for byte (case, trailing spaces, every Unicode character)
--   data        the session as a JSON object (LONGTEXT with a JSON_VALID check on MariaDB);
--               NULL marks a tombstone left by destroy()
--   expires_at  absolute expiry in epoch milliseconds; rows past it are never read and are pruned
--   principal   the user the session belongs to (the store's `principal` option) as UTF-8 bytes,
--               NULL when anonymous; indexed for idsByPrincipal / destroyByPrincipal
CREATE TABLE IF NOT EXISTS sessions (
  sid VARBINARY(768) NOT NULL PRIMARY KEY,
  data JSON NULL,
  expires_at BIGINT NOT NULL,
  principal VARBINARY(256) NULL,
  INDEX sessions_expires_at_idx (expires_at),
  INDEX sessions_principal_idx (principal)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Upgrade of a table made by an earlier version (run once; MySQL has no ADD COLUMN IF NOT EXISTS.
-- The store runs it itself on first use unless createTable: false; SqlSessionStore#migrate() runs
-- it and files the principal of older sessions):
--   ALTER TABLE sessions ADD COLUMN principal VARBINARY(256) NULL;
--   CREATE INDEX sessions_principal_idx ON sessions (principal);
