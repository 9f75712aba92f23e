-- Energy per batch (issue 17): each line's estimated and measured joules, summed like its tokens, and the runner's
-- latest plan, shown to people. Runs on PostgreSQL and H2.
ALTER TABLE batch_line_results ADD COLUMN estimated_joules DOUBLE PRECISION DEFAULT 0 NOT NULL;
ALTER TABLE batch_line_results ADD COLUMN measured_joules DOUBLE PRECISION DEFAULT 0 NOT NULL;
ALTER TABLE batches ADD COLUMN plan VARCHAR(2000) DEFAULT '' NOT NULL;
