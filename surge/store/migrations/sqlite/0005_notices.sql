-- surge schema 5: status notices. Every version of every notice (drafts too, each with
-- the script and content hash it was rendered from), the components' current status,
-- banners, and one counter the public pages' caches watch for any change they show.
-- A step's idempotency key is UNIQUE (NULL by hand), so a re-run finds what it made.
CREATE TABLE notices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    audience     TEXT NOT NULL,
    impact       TEXT NOT NULL,
    state        TEXT NOT NULL,
    components   TEXT NOT NULL,
    incident_id  INTEGER REFERENCES incidents (id),
    title        TEXT NOT NULL,
    window_start REAL,
    window_end   REAL,
    created_by   TEXT NOT NULL,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    published_at REAL,
    resolved_at  REAL,
    key          TEXT UNIQUE
);
CREATE INDEX notices_incident ON notices (incident_id, id);
CREATE INDEX notices_updated ON notices (updated_at);

CREATE TABLE notice_versions (
    notice_id    INTEGER NOT NULL REFERENCES notices (id),
    number       INTEGER NOT NULL,
    state        TEXT NOT NULL,
    impact       TEXT NOT NULL,
    components   TEXT NOT NULL,
    script_id    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vars         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    author       TEXT NOT NULL,
    at           REAL NOT NULL,
    status       TEXT NOT NULL,
    published_by TEXT NOT NULL DEFAULT '',
    published_at REAL,
    announced_at REAL,
    key          TEXT UNIQUE,
    PRIMARY KEY (notice_id, number)
);

CREATE TABLE component_states (
    component_id TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    updated_at   REAL NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    notice_id    INTEGER REFERENCES notices (id)
);

CREATE TABLE banners (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    script_id    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vars         TEXT NOT NULL,
    text         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    link         TEXT NOT NULL DEFAULT '',
    shown_by     TEXT NOT NULL,
    shown_at     REAL NOT NULL,
    expires_at   REAL,
    cleared_by   TEXT NOT NULL DEFAULT '',
    cleared_at   REAL,
    incident_id  INTEGER REFERENCES incidents (id),
    key          TEXT UNIQUE
);

CREATE TABLE status_revision (
    id         INTEGER PRIMARY KEY,
    revision   INTEGER NOT NULL,
    changed_at REAL NOT NULL
);
