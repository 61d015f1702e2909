-- Indexes of the job dispatcher (procedures/oracle/dispatch.sql, ACQUIRE_JOBS).
-- Oracle twin of schema/postgres/41_jobs_dispatch.sql (ATLAS_PANDA). Not an upstream object.
-- Written without an Oracle server at hand: checked by sqlglot (Oracle dialect) and the text-level
-- checks of tests/test_oracle_schema_twin.py only.
--
-- PostgreSQL's partial indexes (CREATE INDEX ... WHERE jobstatus = 'activated') do not exist in Oracle.
-- The twin is the usual function-based-index idiom: every key column becomes
-- CASE WHEN <the partial index's predicate> THEN <column> END. Rows outside the predicate have a NULL
-- in every key column, and Oracle keeps no B-tree entry for an all-NULL key, so the index holds only
-- the rows the PostgreSQL index holds, and stays as small. (A plain composite index on
-- (COMPUTINGSITE, JOBSTATUS, ...) was the alternative: simpler, but it indexes every row of
-- JOBSACTIVE4, most of them running, and the per-share pick would no longer be a pure index range.)
-- The optimizer uses a function-based index only for predicates written with the very same
-- expressions: ACQUIRE_JOBS and DISPATCH_SHARE_ORDER filter and sort with exactly these CASE
-- expressions (tests/test_oracle_schema_twin.py checks that the text is there).
-- coalesce(gshare, '') becomes COALESCE(GSHARE, ' '): Oracle has no empty string ('' is NULL), so
-- the key of the jobs without a share is a single space (DISPATCH_SHARE_ORDER's share key ' ').

-- The activated jobs of a queue, in the order ACQUIRE_JOBS takes them (queue, share, currentpriority
-- DESC, pandaid): each per-share pick is a range of this index with SKIP LOCKED.
CREATE INDEX ATLAS_PANDA.JOBSACTIVE4_DISPATCH_IDX ON ATLAS_PANDA.JOBSACTIVE4
    (CASE WHEN JOBSTATUS = 'activated' THEN COMPUTINGSITE END,
     CASE WHEN JOBSTATUS = 'activated' THEN COALESCE(GSHARE, ' ') END,
     CASE WHEN JOBSTATUS = 'activated' THEN CURRENTPRIORITY END DESC,
     CASE WHEN JOBSTATUS = 'activated' THEN PANDAID END);

-- The jobs occupying a queue's slots (sent, starting, running) by share: the "actual" of the
-- global-share order that ACQUIRE_JOBS computes on every call.
CREATE INDEX ATLAS_PANDA.JOBSACTIVE4_DISPATCH_BUSY_IDX ON ATLAS_PANDA.JOBSACTIVE4
    (CASE WHEN JOBSTATUS IN ('sent', 'starting', 'running') THEN COMPUTINGSITE END,
     CASE WHEN JOBSTATUS IN ('sent', 'starting', 'running') THEN GSHARE END);
