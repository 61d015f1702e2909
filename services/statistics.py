"""API v1 module `statistics` (seed 000): job counts for the monitors, in upstream's answer shapes.

Each function is one stored-function call (procedures/postgres/statistics.sql) reading the aggregation
tables the scheduled procedures refresh every minute, plus the final-state jobs of the window.
"""

from __future__ import annotations

from services.spec import INTEGER, STRING, Call, Param, endpoint

TIME_WINDOW = Param(
    "time_window",
    INTEGER,
    "time window in minutes for the statistics (affects only archived jobs; 0 to 10080, default 720: 12 hours)",
)


@endpoint(
    "statistics",
    "GET",
    "Get the job statistics by cloud, which includes the active jobs and jobs in final states "
    "modified in the last 12 hours, filtered by type (production or analysis): "
    "{cloud: {jobstatus: count}}. Used by panglia monitoring.",
    [
        Param(
            "type",
            STRING,
            'can be "analysis" or "production". Defaults to "production" when not provided.',
            default="production",
        )
    ],
)
def job_stats_by_cloud(call: Call):
    return call.database.call("job_stats_by_cloud", p_type=call.params["type"])


@endpoint(
    "statistics",
    "GET",
    "Get the production job statistics by cloud and processing type, which includes the "
    "active jobs and jobs in final states modified in the last 12 hours: "
    "{cloud: {processingtype: {jobstatus: count}}}. Used by panglia monitoring.",
)
def production_job_stats_by_cloud_and_processing_type(call: Call):
    return call.database.call("production_job_stats_by_cloud_and_processing_type")


@endpoint(
    "statistics",
    "GET",
    "Get the job statistics by computing site (PanDA queue) and resource type (SCORE, MCORE, "
    "...): {site: {resource_type: {jobstatus: count}}}. This includes the active jobs and "
    "jobs in final states modified in the time window (default of 12 hours).",
    [TIME_WINDOW],
)
def job_stats_by_site_and_resource_type(call: Call):
    return call.database.call("job_stats_by_site_and_resource_type", p_time_window=call.params["time_window"])


@endpoint(
    "statistics",
    "GET",
    "Get the job statistics by computing site (PanDA queue), global share and resource type "
    "(SCORE, MCORE, ...): {site: {gshare: {resource_type: {jobstatus: count}}}}. This "
    "includes the active jobs and jobs in final states modified in the time window "
    "(default of 12 hours).",
    [TIME_WINDOW],
)
def job_stats_by_site_share_and_resource_type(call: Call):
    return call.database.call("job_stats_by_site_share_and_resource_type", p_time_window=call.params["time_window"])
