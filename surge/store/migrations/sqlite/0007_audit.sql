-- surge schema 7: the audit log, append-only (nothing updates or deletes its rows).
-- Who (actor, role), when (at), what (action, target, detail as JSON with secrets masked),
-- from where (origin; address is the client's IP for filtering, empty from the CLI), and
-- whether it was done or denied (outcome).
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      REAL NOT NULL,
    actor   TEXT NOT NULL,
    role    TEXT NOT NULL,
    origin  TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    action  TEXT NOT NULL,
    target  TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
