-- Deployments, their task attempts and their log lines.

CREATE TABLE deployments (
    id                 INTEGER PRIMARY KEY,
    environment_id     INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    status             TEXT    NOT NULL,
    requested_by       TEXT    NOT NULL,
    catalog_name       TEXT    NOT NULL,
    catalog_yaml       TEXT    NOT NULL,  -- the catalog as it was: re-runs and recovery use this
    only_tasks         TEXT    NULL,      -- JSON array when a subset was asked for
    only_nodes         TEXT    NULL,
    message            TEXT    NULL,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER NULL,
    finished_at        INTEGER NULL,
    stop_requested_at  INTEGER NULL
);
CREATE INDEX deployments_environment ON deployments (environment_id, id);
-- At most one active deployment per environment, enforced by the database itself.
CREATE UNIQUE INDEX deployments_one_active ON deployments (environment_id)
    WHERE status IN ('pending', 'running', 'stopping');

-- One row per attempt of a task on a node; a re-run adds a row, history is never rewritten.
CREATE TABLE task_runs (
    id             INTEGER PRIMARY KEY,
    deployment_id  INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    task_id        TEXT    NOT NULL,
    node_id        INTEGER NOT NULL,
    node_name      TEXT    NOT NULL,
    attempt        INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    exit_code      INTEGER NULL,
    message        TEXT    NULL,
    created_at     INTEGER NOT NULL,
    started_at     INTEGER NULL,
    finished_at    INTEGER NULL,
    UNIQUE (deployment_id, task_id, node_id, attempt)
);
CREATE INDEX task_runs_status ON task_runs (deployment_id, status);

CREATE TABLE log_lines (
    deployment_id  INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    task_run_id    INTEGER NULL,
    node_id        INTEGER NULL,
    task_id        TEXT    NULL,
    stream         TEXT    NOT NULL,  -- out, err, or sys (the engine's own notes)
    text           TEXT    NOT NULL,
    PRIMARY KEY (deployment_id, seq)
) WITHOUT ROWID;
CREATE INDEX log_lines_node ON log_lines (deployment_id, node_id, seq);
