"""JEDI watchdogs and task timeouts (issue 8, procedures/postgres/task_watchdog.sql): the Data Locality Updater
against the replica catalogue, the Task Withholder, the Queue Filler (pre-assign and release) and the timeouts;
and their lines in the scheduled-job registry."""

from __future__ import annotations

from task_helpers import make_task, status_path, task_status

from pandadb.procedures import call

from job_helpers import register_queue, submit


def configure(db, component: str, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO doma_panda.config (app, component, key, value, type, vo, descr) "
        "VALUES ('jedi', %s, %s, %s, 'int', 'default', 'test')",
        (component, key, value),
    )


def locate(db, task: int, site: str, n_files: int = 2) -> None:
    """Register n_files files of the task's input dataset at a site in the replica catalogue."""
    dataset = db.execute(
        "SELECT datasetname FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND type = 'input'", (task,)
    ).fetchone()[0]
    call(
        db,
        "register_dataset_files",
        p_datasetname=dataset,
        p_site=site,
        p_scope="data",
        p_files=[{"lfn": f"{dataset}.{site}.{i}", "size": 10} for i in range(n_files)],
    )


def locality(db, task: int) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT rse FROM doma_panda.jedi_dataset_locality WHERE jeditaskid = %s ORDER BY rse", (task,)
        ).fetchall()
    ]


def test_data_locality_updater_follows_the_replica_catalogue(db):
    task = make_task(db, n_files=1)
    ended = make_task(db, n_files=1, status="done")
    locate(db, task, "SITE_A")
    locate(db, task, "SITE_B", 1)
    locate(db, ended, "SITE_A")
    assert call(db, "update_data_locality")["rows"] == 2
    assert locality(db, task) == ["SITE_A", "SITE_B"] and locality(db, ended) == []
    # the replicas at SITE_B are gone, the task ended: its rows go
    db.execute("DELETE FROM doma_panda.pandadb_file_replicas WHERE site = 'SITE_B'")
    call(db, "update_data_locality")
    assert locality(db, task) == ["SITE_A"]
    db.execute("UPDATE doma_panda.jedi_tasks SET status = 'aborted' WHERE jeditaskid = %s", (task,))
    assert call(db, "update_data_locality")["removed"] == 1 and locality(db, task) == []


def test_task_withholder_pends_tasks_whose_input_is_only_at_unusable_queues(db):
    register_queue(db, "WH_OFFLINE", {"status": "offline"})
    register_queue(db, "WH_ONLINE", {})
    hopeless = make_task(db, n_files=1, iointensity=1000, currentpriority=500)
    fine = make_task(db, n_files=1, iointensity=1000, currentpriority=500)
    important = make_task(db, n_files=1, iointensity=1000, currentpriority=950)
    light = make_task(db, n_files=1, iointensity=10, currentpriority=500)
    user = make_task(db, n_files=1, iointensity=1000, currentpriority=500, prodsourcelabel="user")
    for task in (hopeless, important, light, user):
        locate(db, task, "WH_OFFLINE")
    locate(db, fine, "WH_ONLINE")
    call(db, "update_data_locality")
    assert call(db, "run_task_withholder") == {"withheld": 1}
    assert [task_status(db, t) for t in (hopeless, fine, important, light, user)] == [
        "pending",
        "ready",
        "ready",
        "ready",
        "ready",
    ]
    assert status_path(db, hopeless)[-1] == "pending"
    assert (
        "Task Withholder"
        in db.execute("SELECT errordialog FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (hopeless,)).fetchone()[0]
    )
    # the limits are gdpconfig keys per prodSourceLabel
    configure(db, "task_withholder", "LIMIT_PRIORITY_managed", "1000")
    assert call(db, "run_task_withholder") == {"withheld": 1}
    assert task_status(db, important) == "pending"


def test_queue_filler_preassigns_to_empty_queues_and_releases(db):
    register_queue(db, "QF_EMPTY", {"maxrss": 4000})
    register_queue(db, "QF_BUSY", {})
    configure(db, "queue_filler", "MIN_FILES_READY_managed", "2")
    configure(db, "queue_filler", "MIN_FILES_REMAINING_managed", "2")
    configure(db, "queue_filler", "QUEUE_FILLED_JOBS", "1")
    task = make_task(db, n_files=3)
    small = make_task(db, n_files=1)
    hungry = make_task(db, n_files=3, ramcount=8000)
    for t in (task, small, hungry):
        locate(db, t, "QF_EMPTY")
    busy = make_task(db, n_files=3)
    locate(db, busy, "QF_BUSY")
    submit(
        db,
        {
            "jobName": "x",
            "computingSite": "QF_BUSY",
            "prodSourceLabel": "managed",
            "transformation": "/bin/true",
            "jobStatus": "activated",
        },
    )
    call(db, "update_data_locality")
    assert call(db, "run_queue_filler") == {"preassigned": 1, "released": 0}
    sites = dict(
        db.execute(
            "SELECT jeditaskid, site FROM doma_panda.jedi_tasks WHERE jeditaskid = ANY(%s)",
            ([task, small, hungry, busy],),
        ).fetchall()
    )
    assert sites == {task: "QF_EMPTY", small: None, hungry: None, busy: None}
    assert (
        "pre-assigned to the empty queue QF_EMPTY"
        in db.execute(
            "SELECT reason FROM doma_panda.tasks_statuslog WHERE jeditaskid = %s ORDER BY modificationtime DESC LIMIT 1",
            (task,),
        ).fetchone()[0]
    )
    assert call(db, "run_queue_filler") == {"preassigned": 0, "released": 0}  # already pre-assigned
    # the queue fills: the task is released
    submit(
        db,
        {
            "jobName": "y",
            "computingSite": "QF_EMPTY",
            "prodSourceLabel": "managed",
            "transformation": "/bin/true",
            "jobStatus": "activated",
        },
    )
    assert call(db, "run_queue_filler") == {"preassigned": 0, "released": 1}
    assert db.execute("SELECT site FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0] is None


def test_task_timeouts(db):
    old = "now() AT TIME ZONE 'UTC' - interval '200 hours'"
    tobroken = make_task(db, n_files=1, status="tobroken")
    stuck = make_task(db, n_files=1, status="defined")
    fresh = make_task(db, n_files=1, status="registered")
    pending = make_task(db, n_files=1, status="pending")
    aborting = make_task(db, n_files=1, status="aborting")
    finishing = make_task(db, n_files=1, status="finishing")
    db.execute("UPDATE doma_panda.jedi_dataset_contents SET status = 'finished' WHERE jeditaskid = %s", (finishing,))
    db.execute(
        f"UPDATE doma_panda.jedi_tasks SET statechangetime = {old} WHERE jeditaskid = ANY(%s)",
        ([stuck, pending, aborting, finishing],),
    )
    db.execute(
        "UPDATE doma_panda.jedi_tasks SET statechangetime = now() AT TIME ZONE 'UTC' WHERE jeditaskid = %s", (fresh,)
    )
    assert call(db, "run_task_timeouts") == {"broken": 2, "exhausted": 1, "ended": 2}
    assert [task_status(db, t) for t in (tobroken, stuck, fresh, pending, aborting, finishing)] == [
        "broken",
        "broken",
        "registered",
        "exhausted",
        "aborted",
        "done",
    ]
    assert (
        "pending for more than 168 hours"
        in db.execute("SELECT errordialog FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (pending,)).fetchone()[0]
    )
    # the limit is gdpconfig: a shorter pending timeout catches a younger task
    younger = make_task(db, n_files=1, status="pending")
    db.execute(
        "UPDATE doma_panda.jedi_tasks SET statechangetime = now() AT TIME ZONE 'UTC' - interval '3 hours'"
        " WHERE jeditaskid = %s",
        (younger,),
    )
    assert call(db, "run_task_timeouts")["exhausted"] == 0
    configure(db, "jedi", "TASK_PENDING_TIMEOUT_HOURS", "2")
    assert call(db, "run_task_timeouts")["exhausted"] == 1 and task_status(db, younger) == "exhausted"


def test_watchdogs_are_scheduled(db):
    jobs = dict(
        db.execute(
            "SELECT name, command FROM doma_panda.pandadb_scheduled_jobs WHERE name = ANY(%s)",
            (["task_commands", "data_locality_updater", "task_withholder", "queue_filler", "task_timeouts"],),
        ).fetchall()
    )
    assert jobs == {
        "task_commands": "CALL doma_panda.run_task_commands(1000)",
        "data_locality_updater": "SELECT doma_panda.update_data_locality()",
        "task_withholder": "SELECT doma_panda.run_task_withholder()",
        "queue_filler": "SELECT doma_panda.run_queue_filler()",
        "task_timeouts": "SELECT doma_panda.run_task_timeouts()",
    }
    for command in jobs.values():  # each runs as the scheduler runs it
        db.execute(command)
