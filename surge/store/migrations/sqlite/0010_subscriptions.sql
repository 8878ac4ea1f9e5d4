-- surge schema 10: customers' subscriptions to status notices. Subscribers (e-mail, pending
-- until they confirm; or webhook), each published notice version once, and every delivery
-- of one to one subscriber (a confirmation mail too) with each attempt made to send it.
-- A delivery's key is unique, so a version queued twice is delivered once.
CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    address         TEXT NOT NULL,
    locale          TEXT NOT NULL,
    components      TEXT NOT NULL DEFAULT '[]',
    state           TEXT NOT NULL,
    link_key        TEXT NOT NULL,
    secret          TEXT NOT NULL DEFAULT '',
    requested       TEXT NOT NULL DEFAULT '{}',
    origin          TEXT NOT NULL DEFAULT '',
    created_at      REAL NOT NULL,
    confirm_sent_at REAL,
    confirmed_at    REAL,
    unsubscribed_at REAL,
    UNIQUE (kind, address)
);
CREATE INDEX subscribers_state ON subscribers (state, id);

CREATE TABLE subscription_updates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id    INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    state        TEXT NOT NULL,
    components   TEXT NOT NULL DEFAULT '{}',
    content      TEXT NOT NULL,
    url          TEXT NOT NULL DEFAULT '',
    published_at REAL NOT NULL,
    queued_at    REAL NOT NULL,
    UNIQUE (notice_id, version)
);

CREATE TABLE subscription_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_key  TEXT NOT NULL UNIQUE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    update_id     INTEGER REFERENCES subscription_updates (id),
    purpose       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    due_at        REAL NOT NULL,
    claimed_by    TEXT NOT NULL DEFAULT '',
    lease_until   REAL,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    sent_at       REAL,
    error         TEXT NOT NULL DEFAULT '',
    ref           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX subscription_deliveries_due ON subscription_deliveries (state, due_at);
CREATE INDEX subscription_deliveries_update ON subscription_deliveries (update_id, id);
CREATE INDEX subscription_deliveries_subscriber ON subscription_deliveries (subscriber_id, id);

CREATE TABLE subscription_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES subscription_deliveries (id),
    attempt     INTEGER NOT NULL,
    status      TEXT NOT NULL,
    started_at  REAL NOT NULL,
    finished_at REAL,
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (delivery_id, attempt)
);
