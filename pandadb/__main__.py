"""`python -m pandadb ...` is the `pandadb` command (used to spawn child commands with this interpreter)."""

from pandadb.cli import main

main()
