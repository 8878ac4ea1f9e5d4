-- surge schema 2: what alerts and metric conditions did, silences, trigger timers, leases.

-- One open incident per (playbook, group): a second one for the group cannot exist.
CREATE UNIQUE INDEX incidents_open_group ON incidents (playbook_id, group_key)
    WHERE group_key != '' AND status IN ('triggered', 'acknowledged', 'mitigated');
CREATE INDEX incidents_group_closed ON incidents (playbook_id, group_key, resolved_at);

-- Each alert (fingerprint + start) or metric firing episode that opened or joined an incident.
CREATE TABLE signals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    playbook_id TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    firing      INTEGER NOT NULL DEFAULT 1,
    labels      TEXT NOT NULL,
    first_at    REAL NOT NULL,
    last_at     REAL NOT NULL,
    UNIQUE (playbook_id, dedupe_key)
);
CREATE INDEX signals_fingerprint ON signals (playbook_id, fingerprint, firing);
CREATE INDEX signals_incident ON signals (incident_id, firing);

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers   TEXT NOT NULL,
    starts_at  REAL NOT NULL,
    ends_at    REAL,
    windows    TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    comment    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    expired_at REAL
);

CREATE TABLE trigger_states (
    playbook_id TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    series      TEXT NOT NULL,
    phase       TEXT NOT NULL,
    since       REAL NOT NULL,
    labels      TEXT NOT NULL,
    value       REAL,
    incident_id INTEGER,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (playbook_id, trigger, series)
);

-- Named leases, e.g. which replica evaluates the metric triggers.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  REAL NOT NULL
);
