-- surge schema 3 (twin of sqlite/0003_maintenance.sql): silences may name components.
ALTER TABLE silences ADD COLUMN components TEXT NOT NULL DEFAULT '[]';
