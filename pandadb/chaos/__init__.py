"""`pandadb chaos`: the fault scenarios of a PanDA DB deployment, run under load, each ending with the invariants.

Each scenario runs concurrent pilot clients (threads doing acquire_jobs -> update_job running -> finished over
HTTP against a real `pandadb serve` subprocess) on jobs submitted through doma_panda.submit_jobs, injects one
fault mid-load, lets the clients carry on (retrying as pilots do) and then checks, in SQL:

  one table     every PandaID in exactly one of jobsdefined4 / jobswaiting4 / jobsactive4 / jobsarchived4 /
                doma_pandaarch.jobsarchived (none lost, none in two places)
  dispatched    no job dispatched twice: no PandaID logged 'sent' (jobs_statuslog) for two pilots, none handed
                to two clients (a new attempt is a new PandaID, so this is "once per attempt")
  acknowledged  every final state a client got acknowledged (200, success true) is in jobsarchived4 or the
                archive with that state
  archive       archive rows exactly once (no key twice in an archive table), identical to the source rows
                (hash of the common columns, snapshotted before archival), every dropped partition verified
                and none left copied-but-not-dropped

Scenarios:
  api-kill      kill -9 of the API server's process group mid-load, then start it again
  db-restart    `pg_ctl stop -m immediate` mid-load, down for a moment, then started again (crash recovery)
  archive-kill  `pandadb archive run` killed with -9 mid-run (old archived jobs in daily partitions first),
                then run again to completion, while the pilot load goes on

By default everything happens on a throw-away embedded cluster under a temporary PANDADB_HOME (so the
database can be stopped without touching anyone's data); `run_chaos(..., database_url=...)` runs the
scenarios that do not stop the database on an existing scratch database instead (the tests do).
"""

from pandadb.chaos.common import SCENARIOS, ChaosError
from pandadb.chaos.invariants import archive_snapshot, check_invariants
from pandadb.chaos.scenarios import Chaos, create_old_archived_jobs, prepare_queue, run_chaos

__all__ = [
    "SCENARIOS",
    "Chaos",
    "ChaosError",
    "archive_snapshot",
    "check_invariants",
    "create_old_archived_jobs",
    "prepare_queue",
    "run_chaos",
]
