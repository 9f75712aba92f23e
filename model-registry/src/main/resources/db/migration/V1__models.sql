-- Runs on PostgreSQL (deployment) and H2 (laptop default): keep to the SQL both understand.
CREATE TABLE models (
    id             VARCHAR(200)   PRIMARY KEY,
    owned_by       VARCHAR(200)   NOT NULL,
    description    VARCHAR(2000)  NOT NULL,
    licence        VARCHAR(500)   NOT NULL,
    context_length INTEGER        NOT NULL,
    chat_template  VARCHAR(65535),
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE model_artifacts (
    model_id     VARCHAR(200)  NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    variant_id   VARCHAR(200)  NOT NULL,
    format       VARCHAR(20)   NOT NULL,
    quantization VARCHAR(40)   NOT NULL,
    device_class VARCHAR(10)   NOT NULL,
    uri          VARCHAR(2000) NOT NULL,
    sha256       CHAR(64)      NOT NULL,
    size_bytes   BIGINT        NOT NULL,
    PRIMARY KEY (model_id, variant_id)
);
