"""Real-client compatibility of the job module: what the job tables and views need so that panda-client and PanDA's own SQL work unchanged.

doma_panda.mv_worker_node_summary gets PanDA's columns (total_logical_cpus, pct_within_pq; its server reads
them): a materialized view cannot gain columns in place, so it is dropped and created again from
schema/postgres/10_sites.sql (the same statements revision 0001 runs for new databases), empty until its next
refresh as before. The stored logic of this issue (procedures/postgres/job_spec.sql, job_setup.sql,
job_search.sql) is loaded by the repeatable procedures step of every upgrade; the scheduled activator
(activate_defined_jobs) comes with partitions/scheduled_jobs.tsv, loaded by the same step.

PostgreSQL only: the Oracle twin of the view (schema/oracle/10_sites.sql) is created by revision 0001.

Revision ID: 0007_job_compatibility
Revises: 0006_services
Create Date: 2026-11-30
"""

import re

from pandadb.migrations.sqlfiles import (
    apply_sql_text,
    delete_scheduled_jobs,
    dialect_directory_name,
    upsert_scheduled_jobs,
)
from pandadb.settings import SCHEMA_DIR

revision = "0007_job_compatibility"
down_revision = "0006_services"
branch_labels = None
depends_on = None

SITES_SCHEMA_FILE = SCHEMA_DIR / "postgres" / "10_sites.sql"
SCHEDULED_JOBS = ("activate_defined_jobs", "refresh_worker_node_summary", "refresh_worker_node_gpu_summary")

# the definition before this revision, for downgrade
PREVIOUS_SUMMARY = """
CREATE MATERIALIZED VIEW doma_panda.mv_worker_node_summary AS
SELECT wn.site, q.panda_queue, coalesce(wn.cpu_architecture_level, 'unknown')::character varying(20) AS cpu_architecture_level,
       count(*)::bigint AS n_hosts,
       sum(wn.n_logical_cpus)::bigint AS n_logical_cpus,
       avg(wn.total_memory)::bigint AS avg_total_memory,
       max(wn.last_seen) AS last_seen
  FROM doma_panda.worker_node wn
  JOIN doma_panda.worker_node_queue q ON q.site = wn.site AND q.host_name = wn.host_name
 GROUP BY wn.site, q.panda_queue, coalesce(wn.cpu_architecture_level, 'unknown')
WITH NO DATA;
CREATE UNIQUE INDEX ux_mv_wn_summary ON doma_panda.mv_worker_node_summary (site, panda_queue, cpu_architecture_level);
"""


def summary_statements() -> str:
    """The CREATE MATERIALIZED VIEW ... mv_worker_node_summary and its unique index, from the schema file."""
    match = re.search(
        r"^CREATE MATERIALIZED VIEW doma_panda\.mv_worker_node_summary AS.*?^CREATE UNIQUE INDEX "
        r"ux_mv_wn_summary [^;]*;",
        SITES_SCHEMA_FILE.read_text(),
        re.S | re.M,
    )
    if match is None:
        raise RuntimeError(f"{SITES_SCHEMA_FILE} does not define doma_panda.mv_worker_node_summary")
    return match.group(0) + "\n"


def upgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_sql_text(
        "DROP MATERIALIZED VIEW IF EXISTS doma_panda.mv_worker_node_summary;\n" + summary_statements(),
        "mv_worker_node_summary with PanDA's columns",
    )
    upsert_scheduled_jobs(SCHEDULED_JOBS)


def downgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    delete_scheduled_jobs(SCHEDULED_JOBS)
    apply_sql_text(
        "DROP MATERIALIZED VIEW IF EXISTS doma_panda.mv_worker_node_summary;\n" + PREVIOUS_SUMMARY,
        "mv_worker_node_summary as before 0007_job_compatibility",
    )
