-- surge schema 12 (twin of sqlite/0012_channel_notices.sql): status notices shown on
-- channels. One message per notice and channel, updated in place for each version (a
-- draft shows an Approve button until published). notice_id names a row of notices
-- (schema 5), as subscription_updates does.
CREATE TABLE channel_notices (
    notice_id  BIGINT NOT NULL,
    channel    TEXT NOT NULL,
    state      TEXT NOT NULL,
    provider   TEXT NOT NULL DEFAULT '',
    room       TEXT NOT NULL DEFAULT '',
    ref        TEXT NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 0,
    published  INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT '',
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (notice_id, channel)
);
