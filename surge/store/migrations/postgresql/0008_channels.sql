-- surge schema 8 (twin of sqlite/0008_channels.sql): backup channels. Rooms opened for
-- incidents, every message a step posts (kept by the step's key, so a re-run after a crash
-- sends nothing twice), and hotlines.
CREATE TABLE channel_rooms (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    channel     TEXT NOT NULL,
    provider    TEXT NOT NULL,
    state       TEXT NOT NULL,
    room        TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}',
    opened_at   DOUBLE PRECISION NOT NULL,
    closed_at   DOUBLE PRECISION,
    PRIMARY KEY (incident_id, channel)
);

CREATE TABLE channel_messages (
    message_key  TEXT PRIMARY KEY,
    incident_id  BIGINT NOT NULL REFERENCES incidents (id),
    channel      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    delivered_to TEXT NOT NULL DEFAULT '',
    provider     TEXT NOT NULL DEFAULT '',
    room         TEXT NOT NULL DEFAULT '',
    ref          TEXT NOT NULL DEFAULT '',
    script_id    TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    pinned       INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    started_at   DOUBLE PRECISION NOT NULL,
    updated_at   DOUBLE PRECISION NOT NULL
);
CREATE INDEX channel_messages_incident ON channel_messages (incident_id, channel, kind, started_at);

CREATE TABLE hotlines (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    hotline     TEXT NOT NULL,
    state       TEXT NOT NULL,
    number      TEXT NOT NULL DEFAULT '',
    opened_at   DOUBLE PRECISION NOT NULL,
    closed_at   DOUBLE PRECISION,
    PRIMARY KEY (incident_id, hotline)
);
