-- surge schema 3: silences may name components (a maintenance window of those components).
ALTER TABLE silences ADD COLUMN components TEXT NOT NULL DEFAULT '[]';
