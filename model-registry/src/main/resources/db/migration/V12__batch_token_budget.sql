-- Per-key batch token quotas (docs/batch.md, "Quotas"): each batch carries its key's budget of batch tokens per
-- rolling 24 h (0 = none), and an owner's usage is summed over the line results recorded in the window.
-- Runs on PostgreSQL and H2. (V12: V11 is another branch's; Flyway accepts the gap.)

ALTER TABLE batches ADD COLUMN token_budget_per_day BIGINT DEFAULT 0 NOT NULL;

-- the usage sum reads the last 24 h of results (joined to their batches for the owner), not every result ever
CREATE INDEX batch_line_results_recorded ON batch_line_results (recorded_at);
