"""The PanDA pilot (`pandapilot`): acquire a job, run it, heartbeat, report."""
