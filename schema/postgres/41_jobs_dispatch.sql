-- Index of the job dispatcher (procedures/postgres/dispatch.sql, acquire_jobs).
-- Not an upstream object: PanDA's getJobs walks jobsactive4_csite_label_prior3 once per global share;
-- this partial index holds only 'activated' rows and is ordered the way acquire_jobs takes them
-- (queue, share, currentpriority DESC, pandaid), so each per-share pick is a LIMIT over an index range
-- with SKIP LOCKED, whatever the number of activated jobs at the queue.
-- coalesce(gshare, '') keeps jobs without a share reachable with the same index.

CREATE INDEX jobsactive4_dispatch_idx ON doma_panda.jobsactive4
    (computingsite, (coalesce(gshare, ''::character varying)), currentpriority DESC, pandaid)
    WHERE jobstatus = 'activated';

-- The jobs occupying a queue's slots (sent, starting, running) by share: the "actual" of the global-share
-- order that acquire_jobs computes on every call. A partial index the planner always picks for it (even
-- with statistics taken when the queue had only activated jobs), read index-only.
CREATE INDEX jobsactive4_dispatch_busy_idx ON doma_panda.jobsactive4 (computingsite, gshare)
    WHERE jobstatus IN ('sent', 'starting', 'running');
