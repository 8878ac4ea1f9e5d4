-- surge schema 11 (twin of sqlite/0011_console.sql): the operator console.
-- console_keys holds the secret that signs its cookies and forms when the config names
-- none (one row, made by the first replica that needs it). console_sessions: one row per
-- sign-in; session_sha256 is the SHA-256 of the session id in the cookie (the id itself
-- is never stored), token_sha256 the hash of the bearer token used, checked again on
-- every request so that revoking the token ends its sessions.
CREATE TABLE console_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE console_sessions (
    session_sha256 TEXT PRIMARY KEY,
    token_sha256   TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    created_at     DOUBLE PRECISION NOT NULL,
    expires_at     DOUBLE PRECISION NOT NULL,
    ended_at       DOUBLE PRECISION
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
