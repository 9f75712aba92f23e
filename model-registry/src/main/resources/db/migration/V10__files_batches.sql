-- Files and batches (OpenAI's Files and Batch APIs): docs/batch.md. Contents live in the artifact store; the rows
-- here say whose they are and where a batch stands. Runs on PostgreSQL and H2: keep to the SQL both understand.
-- (V10, not V3: numbered apart from other branches' migrations; Flyway accepts the gap.)

CREATE TABLE batch_files (
    id          VARCHAR(64)   PRIMARY KEY,
    owner       VARCHAR(200)  NOT NULL,
    purpose     VARCHAR(40)   NOT NULL,
    filename    VARCHAR(1000) NOT NULL,
    bytes       BIGINT        NOT NULL,
    line_count  INTEGER       NOT NULL,
    uri         VARCHAR(2000) NOT NULL,
    sha256      CHAR(64)      NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX batch_files_owner ON batch_files (owner, created_at);

CREATE TABLE batches (
    id                VARCHAR(64)   PRIMARY KEY,
    owner             VARCHAR(200)  NOT NULL,
    endpoint          VARCHAR(100)  NOT NULL,
    input_file_id     VARCHAR(64)   NOT NULL,
    completion_window VARCHAR(20)   NOT NULL,
    status            VARCHAR(20)   NOT NULL,
    total             INTEGER       NOT NULL,
    output_file_id    VARCHAR(64),
    error_file_id     VARCHAR(64),
    -- JSON: [{"code","message","param","line"}]
    errors            VARCHAR(65535) NOT NULL,
    -- JSON: {"key": "value"}
    metadata          VARCHAR(65535) NOT NULL,
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    in_progress_at    TIMESTAMP WITH TIME ZONE,
    finalizing_at     TIMESTAMP WITH TIME ZONE,
    completed_at      TIMESTAMP WITH TIME ZONE,
    failed_at         TIMESTAMP WITH TIME ZONE,
    expired_at        TIMESTAMP WITH TIME ZONE,
    cancelling_at     TIMESTAMP WITH TIME ZONE,
    cancelled_at      TIMESTAMP WITH TIME ZONE,
    -- the runner that works on the batch, until lease_expires_at; another may claim it after that
    lease_owner       VARCHAR(200),
    lease_expires_at  TIMESTAMP WITH TIME ZONE
);
CREATE INDEX batches_owner ON batches (owner, created_at);
CREATE INDEX batches_status ON batches (status, created_at);

-- One row per input line that has a result: written once (the primary key), so a runner that restarts never
-- records a line twice.
CREATE TABLE batch_line_results (
    batch_id    VARCHAR(64)   NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    line_index  INTEGER       NOT NULL,
    custom_id   VARCHAR(1000) NOT NULL,
    ok          BOOLEAN       NOT NULL,
    line        TEXT          NOT NULL,
    -- the line's prompt and generated tokens (0 for a line that did not run)
    input_tokens  INTEGER     NOT NULL,
    output_tokens INTEGER     NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (batch_id, line_index)
);
