"""Constants and the harness error of `pandadb chaos` (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable

SCENARIOS = ("api-kill", "db-restart", "archive-kill")
JOB_TABLES = (
    "doma_panda.jobsdefined4",
    "doma_panda.jobswaiting4",
    "doma_panda.jobsactive4",
    "doma_panda.jobsarchived4",
    "doma_pandaarch.jobsarchived",
)
SITE = "CHAOS_SITE"
PILOT_USER, PILOT_VO, PILOT_GROUPS = "chaos-pilot", "atlas", ("production",)
SERVER_STARTUP_SECONDS = 60
ARCHIVE_DAYS = tuple(range(4, 14))  # ten old days: 40 partitions to archive
ARCHIVE_KILL_AFTER_LINES = 3  # kill the archive run once it has reported this many steps

Echo = Callable[[str], None]


class ChaosError(RuntimeError):
    """The harness itself could not run (a server that does not start, a database that does not come back)."""
