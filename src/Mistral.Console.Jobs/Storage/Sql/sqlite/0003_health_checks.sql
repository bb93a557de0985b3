-- Acceptance checks: one run per request (or per finished deployment), one row per check and node.

CREATE TABLE check_runs (
    id              INTEGER PRIMARY KEY,
    environment_id  INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    deployment_id   INTEGER NULL,
    requested_by    TEXT    NOT NULL,
    status          TEXT    NOT NULL,  -- running, passed, failed
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER NULL
);
CREATE INDEX check_runs_environment ON check_runs (environment_id, id);

CREATE TABLE check_results (
    id            INTEGER PRIMARY KEY,
    check_run_id  INTEGER NOT NULL REFERENCES check_runs (id) ON DELETE CASCADE,
    check_id      TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    node_name     TEXT    NOT NULL,
    passed        INTEGER NOT NULL,
    message       TEXT    NOT NULL,
    evidence      TEXT    NOT NULL,
    duration_ms   INTEGER NOT NULL
);
CREATE INDEX check_results_run ON check_results (check_run_id);
