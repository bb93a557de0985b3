-- Foundation: users and API tokens, environments, nodes, plugin settings, audit trail.
-- Times are Unix milliseconds (INTEGER) so both dialects store them the same way.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('admin', 'support')),
    failed_signins  INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER NULL,
    security_stamp  TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE environments (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    ssh_key_enc      TEXT    NULL,
    ssh_public_key   TEXT    NULL,
    primary_node_id  INTEGER NULL,
    created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX environments_name ON environments (lower(name));

CREATE TABLE nodes (
    id                    INTEGER PRIMARY KEY,
    environment_id        INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL,
    address               TEXT    NOT NULL,
    ssh_port              INTEGER NOT NULL,
    ssh_user              TEXT    NOT NULL,
    roles                 TEXT    NOT NULL,
    ssh_key_enc           TEXT    NULL,
    ssh_public_key        TEXT    NULL,
    executor_host         TEXT    NULL,
    host_key              TEXT    NULL,
    host_key_fingerprint  TEXT    NULL,
    created_at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX nodes_name ON nodes (environment_id, lower(name));
CREATE UNIQUE INDEX nodes_address ON nodes (environment_id, lower(address));

-- Non-secret settings as a JSON document (evolves without migrations); the secrets as one
-- Data Protection payload, never in the clear.
CREATE TABLE mistral_settings (
    environment_id  INTEGER PRIMARY KEY REFERENCES environments (id) ON DELETE CASCADE,
    enabled         INTEGER NOT NULL,
    document        TEXT    NOT NULL,
    secrets_enc     TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    username  TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
