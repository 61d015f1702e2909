"""Tasks, first half (issue 7): task_set_status, submit_task, refine_task(s), the Contents Feeder."""

from __future__ import annotations

import pytest

from pandadb.errors import BadInput, UnknownObject
from pandadb.procedures import call


def insert_bare_task(db, jeditaskid: int, status: str = "registered") -> None:
    db.execute("INSERT INTO doma_panda.jedi_tasks (jeditaskid, taskname, status, username, creationdate, modificationtime)"
               " VALUES (%s, 't', %s, 'alice', now(), now())", (jeditaskid, status))


def test_task_set_status_changes_and_logs(db):
    insert_bare_task(db, 7001)
    assert call(db, "task_set_status", p_jeditaskid=7001, p_status="defined") == "registered"
    assert call(db, "task_set_status", p_jeditaskid=7001, p_status="broken", p_diagnostic="bad nEvents") == "defined"
    row = db.execute("SELECT status, oldstatus, errordialog, endtime IS NOT NULL FROM doma_panda.jedi_tasks"
                     " WHERE jeditaskid = 7001").fetchone()
    assert row == ("broken", "defined", "bad nEvents", True)
    log = db.execute("SELECT status, reason FROM doma_panda.tasks_statuslog WHERE jeditaskid = 7001"
                     " ORDER BY modificationtime").fetchall()
    assert log == [("defined", None), ("broken", "bad nEvents")]
    with pytest.raises(BadInput):
        call(db, "task_set_status", p_jeditaskid=7001, p_status="nonsense")
    with pytest.raises(UnknownObject):
        call(db, "task_set_status", p_jeditaskid=99, p_status="defined")
