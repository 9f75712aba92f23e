-- Versions with a lifecycle, hardware variants per version, and the change log that WatchModels streams.
-- Runs on PostgreSQL (deployment) and H2 (laptop default): keep to the SQL both understand.

ALTER TABLE models ADD COLUMN task VARCHAR(20) DEFAULT 'chat' NOT NULL;
-- The "production" alias: at most one version per model, moved in one transaction by a promotion.
ALTER TABLE models ADD COLUMN production_version VARCHAR(100);

CREATE TABLE model_versions (
    model_id         VARCHAR(200)  NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version          VARCHAR(100)  NOT NULL,
    stage            VARCHAR(20)   NOT NULL,
    description      VARCHAR(2000) NOT NULL,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    stage_changed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (model_id, version)
);

CREATE TABLE model_variants (
    model_id       VARCHAR(200)   NOT NULL,
    version        VARCHAR(100)   NOT NULL,
    variant_id     VARCHAR(200)   NOT NULL,
    format         VARCHAR(20)    NOT NULL,
    quantization   VARCHAR(40)    NOT NULL,
    device_class   VARCHAR(10)    NOT NULL,
    uri            VARCHAR(2000)  NOT NULL,
    sha256         CHAR(64)       NOT NULL,
    size_bytes     BIGINT         NOT NULL,
    tokenizer_uri  VARCHAR(2000)  NOT NULL,
    context_length INTEGER        NOT NULL,
    chat_template  VARCHAR(65535) NOT NULL,
    licence        VARCHAR(500)   NOT NULL,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (model_id, version, variant_id),
    FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version) ON DELETE CASCADE
);

-- What V1 registered becomes version 1 of each model, in production.
INSERT INTO model_versions (model_id, version, stage, description, created_at, stage_changed_at)
SELECT m.id, '1', 'PRODUCTION', 'registered before versions existed', m.created_at, m.created_at
FROM models m WHERE EXISTS (SELECT 1 FROM model_artifacts a WHERE a.model_id = m.id);

INSERT INTO model_variants (model_id, version, variant_id, format, quantization, device_class, uri, sha256, size_bytes,
                            tokenizer_uri, context_length, chat_template, licence, created_at)
SELECT a.model_id, '1', a.variant_id, a.format, a.quantization, a.device_class, a.uri, a.sha256, a.size_bytes,
       '', m.context_length, COALESCE(m.chat_template, ''), m.licence, m.created_at
FROM model_artifacts a JOIN models m ON m.id = a.model_id;

UPDATE models SET production_version = '1'
WHERE EXISTS (SELECT 1 FROM model_versions v WHERE v.model_id = models.id);

DROP TABLE model_artifacts;
ALTER TABLE models DROP COLUMN licence;
ALTER TABLE models DROP COLUMN context_length;
ALTER TABLE models DROP COLUMN chat_template;

-- One row: every write bumps it, which also serialises writers so that revisions commit in order.
CREATE TABLE registry_revision (
    id       INTEGER PRIMARY KEY,
    revision BIGINT  NOT NULL
);
INSERT INTO registry_revision (id, revision) VALUES (1, 0);

CREATE TABLE model_changes (
    revision   BIGINT       PRIMARY KEY,
    model_id   VARCHAR(200) NOT NULL,
    kind       VARCHAR(30)  NOT NULL,
    version    VARCHAR(100) NOT NULL,
    changed_at TIMESTAMP WITH TIME ZONE NOT NULL
);
