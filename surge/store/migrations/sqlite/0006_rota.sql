-- surge schema 6: escalations and call-ins, every page they sent, and when each standby
-- person was last called (for a fair order).
CREATE TABLE escalations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    key         TEXT NOT NULL UNIQUE,
    purpose     TEXT NOT NULL,
    policy      TEXT NOT NULL,
    run_id      INTEGER NOT NULL,
    started_at  REAL NOT NULL,
    due_at      REAL NOT NULL,
    round       INTEGER NOT NULL DEFAULT 0,
    level       INTEGER NOT NULL DEFAULT 0,
    people      TEXT NOT NULL,
    wanted      INTEGER NOT NULL DEFAULT 0,
    ended_at    REAL,
    outcome     TEXT NOT NULL DEFAULT '',
    acked_by    TEXT NOT NULL DEFAULT '',
    acked_at    REAL,
    data        TEXT NOT NULL
);
CREATE INDEX escalations_incident ON escalations (incident_id, id);

CREATE TABLE pages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    key           TEXT NOT NULL UNIQUE,
    person        TEXT NOT NULL,
    round         INTEGER NOT NULL,
    level         INTEGER NOT NULL,
    method        INTEGER NOT NULL,
    pager         TEXT NOT NULL,
    address       TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    REAL NOT NULL,
    sent_at       REAL,
    error         TEXT NOT NULL DEFAULT '',
    answer        TEXT NOT NULL DEFAULT '',
    answered_at   REAL,
    answered_via  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pages_escalation ON pages (escalation_id, id);
CREATE INDEX pages_incident ON pages (incident_id, id);

CREATE TABLE standby_calls (
    person         TEXT PRIMARY KEY,
    last_called_at REAL NOT NULL
);
