-- surge schema 4: approvals of response scripts, and the script each incident's agents follow.
CREATE TABLE script_approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    script_id   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at REAL NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX script_approvals_script ON script_approvals (script_id, id);

CREATE TABLE incident_scripts (
    incident_id  INTEGER PRIMARY KEY REFERENCES incidents (id),
    script_id    TEXT NOT NULL,
    variables    TEXT NOT NULL,
    activated_by TEXT NOT NULL,
    activated_at REAL NOT NULL
);
