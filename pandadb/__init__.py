"""PanDA DB: the PanDA workload management database and the thin Python around it."""

__version__ = "0.1.0"
