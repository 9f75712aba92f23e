-- What a worker measured about a variant (issue 18), and the quantize jobs the admin API runs.
-- Runs on PostgreSQL (deployment) and H2 (laptop default): keep to the SQL both understand.

CREATE TABLE variant_measurements (
    model_id                 VARCHAR(200)  NOT NULL,
    version                  VARCHAR(100)  NOT NULL,
    variant_id               VARCHAR(200)  NOT NULL,
    perplexity               DOUBLE PRECISION NOT NULL,
    scored_tokens            INTEGER       NOT NULL,
    text_name                VARCHAR(500)  NOT NULL,
    reference_variant_id     VARCHAR(200)  NOT NULL,
    top1_agreement           DOUBLE PRECISION,
    kl_divergence            DOUBLE PRECISION,
    decode_tokens_per_second DOUBLE PRECISION NOT NULL,
    memory_bytes             BIGINT        NOT NULL,
    device_class             VARCHAR(10)   NOT NULL,
    device                   VARCHAR(1000) NOT NULL,
    measured_at              TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (model_id, version, variant_id),
    FOREIGN KEY (model_id, version, variant_id) REFERENCES model_variants (model_id, version, variant_id) ON DELETE CASCADE
);

-- A job outlives the request that started it; after a registry restart the ones that were running read FAILED.
CREATE TABLE quantize_jobs (
    id             VARCHAR(40)   PRIMARY KEY,
    model_id       VARCHAR(200)  NOT NULL,
    version        VARCHAR(100)  NOT NULL,
    source_variant VARCHAR(200)  NOT NULL,
    target_type    VARCHAR(20)   NOT NULL,
    target_variant VARCHAR(200)  NOT NULL,
    state          VARCHAR(20)   NOT NULL,
    stage          VARCHAR(40)   NOT NULL,
    progress       DOUBLE PRECISION NOT NULL,
    message        VARCHAR(2000) NOT NULL,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX quantize_jobs_by_variant ON quantize_jobs (model_id, version, source_variant);
