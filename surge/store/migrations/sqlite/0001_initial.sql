-- surge schema 1: incidents, their timelines, step runs, tokens, engines.
-- Times are seconds since the epoch (REAL, UTC); JSON is stored as TEXT.
CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    playbook_id   TEXT NOT NULL,
    title         TEXT NOT NULL,
    severity      TEXT NOT NULL,
    status        TEXT NOT NULL,
    trigger       TEXT NOT NULL,
    triggered_by  TEXT NOT NULL,
    params        TEXT NOT NULL,
    context       TEXT NOT NULL,
    group_key     TEXT NOT NULL DEFAULT '',
    playbook_hash TEXT NOT NULL DEFAULT '',
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    resolved_at   REAL
);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_playbook ON incidents (playbook_id, id);

CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          REAL NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX timeline_incident ON timeline (incident_id, id);

CREATE TABLE step_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id    INTEGER NOT NULL REFERENCES incidents (id),
    phase          TEXT NOT NULL,
    step_index     INTEGER NOT NULL,
    step_id        TEXT NOT NULL,
    action         TEXT NOT NULL,
    attempt        INTEGER NOT NULL,
    status         TEXT NOT NULL,
    due_at         REAL NOT NULL,
    claimed_by     TEXT,
    lease_until    REAL,
    started_at     REAL,
    finished_at    REAL,
    args           TEXT,
    result         TEXT,
    error          TEXT,
    resume         TEXT,
    wake_on_status INTEGER NOT NULL DEFAULT 0,
    UNIQUE (incident_id, phase, step_id, attempt)
);
CREATE INDEX step_runs_due ON step_runs (status, due_at);
CREATE INDEX step_runs_incident ON step_runs (incident_id, id);

CREATE TABLE tokens (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    sha256     TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    revoked_at REAL
);

CREATE TABLE engines (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    started_at REAL NOT NULL,
    seen_at    REAL NOT NULL
);
