-- surge schema 9: the customers an incident concerns, collected while it runs (a complaint
-- surge collects who complained, where and how to reach them). `contact` is personal
-- data: reports show it masked. One row per customer reference and incident.
CREATE TABLE affected_customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    ref         TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    added_by    TEXT NOT NULL,
    added_at    REAL NOT NULL,
    UNIQUE (incident_id, ref)
);
