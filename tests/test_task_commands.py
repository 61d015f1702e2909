"""Task commands (issue 8, procedures/postgres/task_commands.sql): every command from every task status (legal
ones happen, the others are refused PD004 with the database unchanged), who may (owner, other user,
production role, other VO), the engine's command step (aborting -> aborted, finishing -> done/finished,
toretry -> ready, toincexec -> ready) and a kill racing the Job Generator on another connection."""

from __future__ import annotations

import threading

import psycopg
import pytest
from task_helpers import end_job, generate, make_task, status_path, task_files, task_jobs, task_status

from pandadb.errors import BadInput, IllegalTransition, NotAllowed, UnknownObject
from pandadb.procedures import call

from job_helpers import register_queue

ALIVE = [
    "registered",
    "defined",
    "assigning",
    "ready",
    "pending",
    "scouting",
    "scouted",
    "running",
    "prepared",
    "topreprocess",
    "preprocessing",
    "paused",
    "throttled",
    "staging",
]
# command -> (extra arguments, statuses it is legal in, status afterwards for a task with no oldstatus: None = unchanged)
COMMANDS = {
    "kill_task": ({}, ALIVE + ["exhausted", "finishing", "toretry", "toincexec", "rerefine", "tobroken"], "aborting"),
    "finish_task": ({"p_soft": True}, ALIVE + ["exhausted"], "finishing"),
    "pause_task": ({}, [s for s in ALIVE if s != "paused"], "paused"),
    "resume_task": ({}, ["paused", "throttled", "staging"], "ready"),
    "avalanche_task": ({}, ["scouting"], "scouted"),
    "release_task": ({}, ["scouting", "registered", "defined", "assigning", "ready", "pending", "staging"], None),
    "retry_task": ({}, ["failed", "finished", "exhausted", "broken"], "toretry"),
    "reactivate_task": ({}, ["done", "finished"], "ready"),
    "reassign_task": ({"p_cloud": "WLCG"}, ALIVE + ["exhausted"], None),
    "reload_input": (
        {},
        ["ready", "pending", "scouting", "scouted", "running", "paused", "throttled", "exhausted", "finished", "done"],
        "toincexec",
    ),
    "increase_task_attempts": ({"p_increase": 2}, ALIVE + ["exhausted"], None),
    "enable_job_cloning": ({"p_mode": "storeonce", "p_multiplicity": 2}, ALIVE, None),
    "disable_job_cloning": ({}, ALIVE, None),
    "change_task_attribute": ({"p_attribute_name": "ramCount", "p_value": 3000}, ALIVE + ["exhausted"], None),
    "change_task_priority": ({"p_priority": 777}, ALIVE + ["exhausted"], None),
    "change_task_split_rule": ({"p_attribute_name": "nFilesPerJob", "p_value": 3}, ALIVE + ["exhausted"], None),
    "change_task_modification_time": ({"p_positive_hour_offset": 2}, ALIVE + ["exhausted"], None),
    "kill_unfinished_jobs": ({}, None, None),  # any status
}


def command(
    db, function: str, task: int, user: str = "alice", vo: str | None = "wlcg", production: bool = True, **arguments
):
    return call(
        db, function, p_jeditaskid=task, p_requester=user, p_requester_vo=vo, p_is_production=production, **arguments
    )


def run_commands(db) -> None:
    db.execute("CALL doma_panda.run_task_commands()")


def snapshot(db, task: int) -> tuple:
    """Everything a command may change: the task row, its log, commands, files, datasets, jobs."""
    return tuple(
        db.execute(sql, (task,)).fetchall()
        for sql in (
            "SELECT to_jsonb(t)::text FROM doma_panda.jedi_tasks t WHERE jeditaskid = %s",
            "SELECT count(*) FROM doma_panda.tasks_statuslog WHERE jeditaskid = %s",
            "SELECT count(*) FROM doma_deft.prodsys_comm WHERE comm_task = %s",
            "SELECT fileid, status, maxattempt, attemptnr FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s ORDER BY fileid",
            "SELECT datasetid, status, nfiles, nfilesused FROM doma_panda.jedi_datasets WHERE jeditaskid = %s ORDER BY datasetid",
            "SELECT pandaid, jobstatus, currentpriority FROM doma_panda.jobsactive4 WHERE jeditaskid = %s ORDER BY pandaid",
        )
    )


@pytest.fixture
def queue_db(db):
    register_queue(
        db, "CMD_QUEUE", {"corecount": 1, "maxrss": 4000, "maxtime": 200000, "maxwdir": 20000, "corepower": 12}
    )
    return db


def test_every_command_from_every_status(db):
    statuses = db.execute("SELECT unnest(doma_panda.task_statuses())").fetchall()
    statuses = [s for (s,) in statuses]
    assert len(statuses) == 27
    for function, (arguments, legal, after) in COMMANDS.items():
        for status in statuses:
            task = make_task(db, n_files=1, status=status)
            before = snapshot(db, task)
            if legal is None or status in legal:
                answer = command(db, function, task, **arguments)
                assert answer["jediTaskID"] == task
                expected = after or status
                if function == "release_task" and status == "scouting":
                    expected = "scouted"
                if function == "resume_task" and status == "staging":
                    expected = "defined"
                assert (function, status, task_status(db, task)) == (function, status, expected)
                after_snapshot = snapshot(db, task)
                assert after_snapshot[1][0][0] > before[1][0][0], (function, status)  # logged in tasks_statuslog
                assert after_snapshot[2][0][0] == before[2][0][0] + 1, (function, status)  # recorded in prodsys_comm
            else:
                with pytest.raises(IllegalTransition) as refused:
                    command(db, function, task, **arguments)
                assert f"is {status};" in refused.value.message, (function, status)
                assert snapshot(db, task) == before, (function, status)


def test_effects_of_the_attribute_commands(queue_db):
    db = queue_db
    task = make_task(db, n_files=3, split="NF=1", params={"skipScout": True})
    generate(db, task, max_jobs=2)
    command(db, "change_task_priority", task, p_priority=321)
    assert {j["currentpriority"] for j in task_jobs(db, task)} == {321}
    assert db.execute(
        "SELECT taskpriority, currentpriority FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)
    ).fetchone() == (321, 321)
    command(db, "change_task_attribute", task, p_attribute_name="coreCount", p_value=4)
    command(db, "change_task_attribute", task, p_attribute_name="wallTime", p_value=3600)
    command(db, "change_task_split_rule", task, p_attribute_name="NF", p_value=5)
    command(db, "enable_job_cloning", task, p_mode="runonce", p_multiplicity=2, p_num_sites=3)
    row = db.execute(
        "SELECT corecount, walltime, splitrule FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)
    ).fetchone()
    assert row[:2] == (4, 3600)
    assert set(row[2].split(",")) == {"NF=5", "UC=1", "NC=2", "NS=3"}
    command(db, "disable_job_cloning", task)
    assert set(
        db.execute("SELECT splitrule FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,))
        .fetchone()[0]
        .split(",")
    ) == {"NF=5", "NS=3"}
    maxattempts = [
        r[0]
        for r in db.execute(
            "SELECT maxattempt FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s"
            " AND type = 'input' ORDER BY fileid",
            (task,),
        ).fetchall()
    ]
    command(db, "increase_task_attempts", task, p_increase=4)
    assert [
        r[0]
        for r in db.execute(
            "SELECT maxattempt FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s"
            " AND type = 'input' ORDER BY fileid",
            (task,),
        ).fetchall()
    ] == [m + 4 for m in maxattempts]
    later = db.execute(
        "SELECT doma_panda.panda_now() + interval '5 hours' - modificationtime FROM doma_panda.jedi_tasks"
        " WHERE jeditaskid = %s",
        (task,),
    ).fetchone()[0]
    command(db, "change_task_modification_time", task, p_positive_hour_offset=5)
    moved = db.execute(
        "SELECT modificationtime - doma_panda.panda_now() FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)
    ).fetchone()[0]
    assert 4.9 * 3600 < moved.total_seconds() <= 5 * 3600 and later.total_seconds() > 0
    # reassign to a registered queue: the site set, every live job killed (kill code 8: reassigned)
    command(db, "reassign_task", task, p_site="CMD_QUEUE")
    assert (
        db.execute("SELECT site FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0] == "CMD_QUEUE"
    )
    assert task_jobs(db, task) == []
    assert {
        r[0]
        for r in db.execute(
            "SELECT taskbuffererrorcode FROM doma_panda.jobsarchived4 WHERE jeditaskid = %s", (task,)
        ).fetchall()
    } == {105}
    assert {s for _, s, _, _ in task_files(db, task)} == {"ready"}  # generated again at the new place


def test_bad_parameters_are_named_and_change_nothing(db):
    task = make_task(db, n_files=1)
    before = snapshot(db, task)
    for function, arguments, name in (
        ("change_task_attribute", {"p_attribute_name": "nFilesPerJob", "p_value": 1}, "attribute_name"),
        ("change_task_attribute", {"p_attribute_name": "coreCount", "p_value": 0}, "value"),
        ("increase_task_attempts", {"p_increase": -1}, "increase"),
        ("change_task_split_rule", {"p_attribute_name": "XX", "p_value": 1}, "attribute_name"),
        ("change_task_priority", {"p_priority": 10**6}, "priority"),
        ("reassign_task", {"p_site": "CMD_QUEUE", "p_cloud": "WLCG"}, "site"),
        ("reassign_task", {"p_site": "NO_SUCH_QUEUE"}, "site"),
        ("reassign_task", {"p_cloud": "WLCG", "p_mode": "hard"}, "mode"),
        ("enable_job_cloning", {"p_mode": "always"}, "mode"),
        ("change_task_modification_time", {"p_positive_hour_offset": -3}, "positive_hour_offset"),
    ):
        with pytest.raises(BadInput) as refused:
            command(db, function, task, **arguments)
        assert refused.value.message.startswith(name), (function, refused.value.message)
    with pytest.raises(BadInput, match="new_parameters"):
        command(db, "retry_task", task, p_new_parameters=[1])
    with pytest.raises(UnknownObject):
        command(db, "kill_task", 999_999_999)
    assert snapshot(db, task) == before


def test_who_may_owner_other_user_production_other_vo(db):
    owner_commands = ("kill_task", "finish_task", "reassign_task", "kill_unfinished_jobs")
    for function in owner_commands:
        arguments = COMMANDS[function][0]
        task = make_task(db, n_files=1)
        before = snapshot(db, task)
        with pytest.raises(NotAllowed, match="only its owner or the production role"):
            command(db, function, task, user="bob", production=False, **arguments)
        with pytest.raises(NotAllowed, match="belongs to VO wlcg"):
            command(db, function, task, user="alice", vo="atlas", production=True, **arguments)
        assert snapshot(db, task) == before
        command(db, function, task, user="alice", production=False, **arguments)  # the owner may
        command(db, "kill_unfinished_jobs", task, user="carol", production=True)  # the production role may
    # retry: own tasks without, others' with the production role
    task = make_task(db, n_files=1, status="exhausted")
    before = snapshot(db, task)
    with pytest.raises(NotAllowed):
        command(db, "retry_task", task, user="bob", production=False)
    assert snapshot(db, task) == before
    command(db, "retry_task", task, user="alice", production=False)
    assert task_status(db, task) == "toretry"
    # production-only commands: not even the owner without the role
    for function in (
        "pause_task",
        "resume_task",
        "avalanche_task",
        "release_task",
        "reactivate_task",
        "reload_input",
        "increase_task_attempts",
        "enable_job_cloning",
        "disable_job_cloning",
        "change_task_attribute",
        "change_task_priority",
        "change_task_split_rule",
        "change_task_modification_time",
    ):
        task = make_task(db, n_files=1, status="running")
        before = snapshot(db, task)
        with pytest.raises(NotAllowed, match="production role is required"):
            command(db, function, task, user="alice", production=False, **COMMANDS[function][0])
        assert snapshot(db, task) == before


def test_kill_kills_live_jobs_then_the_step_aborts(queue_db):
    db = queue_db
    task = make_task(db, n_files=4, split="NF=1", params={"skipScout": True})
    generate(db, task)
    jobs = task_jobs(db, task)
    running = jobs[0]["pandaid"]
    db.execute("UPDATE doma_panda.jobsactive4 SET jobstatus = 'sent' WHERE pandaid = %s", (running,))
    call(db, "update_job", p_pandaid=running, p_job_status="running", p_request={})
    answer = command(db, "kill_task", task, production=False, p_broadcast=True)
    assert answer["status"] == "aborting" and "4 live jobs killed" in answer["message"]
    # the queued jobs are cancelled at once, the running one is told to die by its pilot
    assert [(j["pandaid"], j["commandtopilot"]) for j in task_jobs(db, task)] == [(running, "tobekilled")]
    assert (
        db.execute(
            "SELECT count(*) FROM doma_panda.jobsarchived4 WHERE jeditaskid = %s AND jobstatus = 'cancelled'", (task,)
        ).fetchone()[0]
        == 3
    )
    assert call(db, "task_command_step", p_jeditaskid=task) is None  # a job is still at its pilot
    assert generate(db, task)["jobs"] == 0  # the generator leaves an aborting task alone
    assert task_status(db, task) == "aborting"
    call(db, "update_job", p_pandaid=running, p_job_status="failed", p_request={})
    assert call(db, "task_command_step", p_jeditaskid=task)["status"] == "aborted"
    assert status_path(db, task)[-2:] == ["aborting", "aborted"]
    assert (
        db.execute(
            "SELECT comm_owner FROM doma_deft.prodsys_comm WHERE comm_task = %s AND comm_cmd = 'kill'", (task,)
        ).fetchone()[0]
        == "JEDI"
    )
    with pytest.raises(IllegalTransition, match="is aborted"):
        command(db, "kill_task", task)


def test_soft_and_hard_finish(queue_db):
    db = queue_db
    soft = make_task(db, n_files=3, split="NF=1", params={"skipScout": True})
    generate(db, soft, max_jobs=2)
    command(db, "finish_task", soft, p_soft=True)
    assert len(task_jobs(db, soft)) == 2 and generate(db, soft)["jobs"] == 0
    run_commands(db)
    assert task_status(db, soft) == "finishing"
    first, second = task_jobs(db, soft)
    end_job(db, first["pandaid"], "finished")
    # a job failing with attempts left gets no new attempt once the task is finishing
    end_job(db, second["pandaid"], "failed", pilot_error_code=1099, pilot_error_diag="stage-in")
    assert task_jobs(db, soft) == []
    retried = "SELECT count(*) FROM doma_panda.jedi_job_retry_history WHERE jeditaskid = %s"
    assert db.execute(retried, (soft,)).fetchone()[0] == 0
    assert ("failed", second["pandaid"]) in [(f[1], f[2]) for f in task_files(db, soft)]
    run_commands(db)
    assert task_status(db, soft) == "finished"  # 1 of 3 files
    assert (
        "1 of 3 input files finished"
        in db.execute("SELECT errordialog FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (soft,)).fetchone()[0]
    )

    hard = make_task(db, n_files=2, split="NF=1", params={"skipScout": True})
    generate(db, hard)
    command(db, "finish_task", hard, p_soft=False)
    assert task_jobs(db, hard) == []
    run_commands(db)
    assert task_status(db, hard) == "finished"
    done = make_task(db, n_files=1, split="NF=1", params={"skipScout": True})
    generate(db, done)
    command(db, "finish_task", done, p_soft=True)
    end_job(db, task_jobs(db, done)[0]["pandaid"], "finished")
    run_commands(db)
    assert task_status(db, done) == "done"


def test_pause_resume_goes_back_and_the_generator_waits(queue_db):
    db = queue_db
    task = make_task(db, n_files=3, split="NF=1", params={"skipScout": True})
    generate(db, task, max_jobs=1)
    assert task_status(db, task) == "running"
    command(db, "pause_task", task)
    skipped = generate(db, task)
    assert skipped is None or skipped["jobs"] == 0
    assert len(task_jobs(db, task)) == 1
    command(db, "resume_task", task)
    assert task_status(db, task) == "running"
    assert generate(db, task)["jobs"] == 2
    # a paused pending task resumes 'ready' (its own previous status is lost with the pause): the generator takes it
    waiting = make_task(db, n_files=1, status="pending", oldstatus="ready")
    command(db, "pause_task", waiting)
    command(db, "resume_task", waiting)
    assert task_status(db, waiting) == "ready"
    assert status_path(db, waiting)[-2:] == ["paused", "ready"]


def test_retry_merges_parameters_gives_new_attempts_and_retries_children(db):
    task = make_task(db, n_files=3, status="finished", params={"maxAttempt": 2}, ramcount=1000)
    child = make_task(db, n_files=1, status="failed", parent_tid=task)
    db.execute(
        "UPDATE doma_panda.jedi_dataset_contents SET status = 'failed', attemptnr = 2, maxattempt = 2"
        " WHERE jeditaskid = %s AND type = 'input' AND fileid > (SELECT min(fileid) FROM doma_panda.jedi_dataset_contents"
        " WHERE jeditaskid = %s AND type = 'input')",
        (task, task),
    )
    db.execute(
        "UPDATE doma_panda.jedi_dataset_contents SET status = 'finished' WHERE jeditaskid = %s AND status = 'ready'",
        (task,),
    )
    command(db, "retry_task", task, production=False, p_new_parameters={"ramCount": 4000, "newKey": "x"})
    assert task_status(db, task) == "toretry"
    assert task_status(db, child) == "failed"  # children follow when the engine applies the retry
    result = call(db, "task_command_step", p_jeditaskid=task)
    assert result["status"] == "ready"
    assert [(s, a) for _, s, _, a in task_files(db, task)] == [("finished", 0), ("ready", 2), ("ready", 2)]
    assert {
        m
        for (m,) in db.execute(
            "SELECT maxattempt FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s AND status = 'ready'",
            (task,),
        ).fetchall()
    } == {4}
    params = call(db, "get_task_parameters", p_jeditaskid=task)
    assert (params["ramCount"], params["newKey"], params["maxAttempt"]) == (4000, "x", 2)
    assert db.execute(
        "SELECT ramcount, attemptnr FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)
    ).fetchone() == (4000, 1)
    assert db.execute(
        "SELECT nfilesfailed, status FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND type = 'input'", (task,)
    ).fetchone() == (0, "ready")
    assert status_path(db, task)[-2:] == ["toretry", "ready"]
    assert task_status(db, child) == "toretry"
    run_commands(db)
    assert task_status(db, child) == "ready"
    # no_child_retry leaves the children alone; the hard limit needs ignore_hard_exhausted
    parent = make_task(db, n_files=1, status="exhausted", attemptnr=10)
    kid = make_task(db, n_files=1, status="failed", parent_tid=parent)
    with pytest.raises(IllegalTransition, match="hard exhausted"):
        command(db, "retry_task", parent)
    command(db, "retry_task", parent, p_no_child_retry=True, p_ignore_hard_exhausted=True)
    run_commands(db)
    assert (task_status(db, parent), task_status(db, kid)) == ("ready", "failed")


def test_retry_of_a_task_broken_in_refinement_refines_again(db):
    params = {
        "taskName": "user.alice.broken.retry",
        "vo": "wlcg",
        "prodSourceLabel": "user",
        "noInput": True,
        "nEvents": -5,
        "nEventsPerJob": 5,
        "transPath": "https://example.org/run.sh",
        "jobParameters": [
            {"type": "constant", "value": "--events 5"},
            {
                "type": "template",
                "param_type": "output",
                "dataset": "user.alice.retry.out/",
                "value": "outputFile=user.alice.$JEDITASKID._${SN/P}.root",
            },
        ],
        "log": {
            "type": "template",
            "param_type": "log",
            "dataset": "user.alice.retry.log/",
            "value": "user.alice.$JEDITASKID.${SN}.log.tgz",
        },
    }
    task = call(
        db, "submit_task", p_task_params=params, p_requester="alice", p_requester_vo="wlcg", p_is_production=False
    )["jediTaskID"]
    assert call(db, "refine_task", p_jeditaskid=task)["status"] == "broken"
    command(db, "retry_task", task, production=False, p_new_parameters={"nEvents": 10, "nEventsPerJob": 5})
    assert call(db, "task_command_step", p_jeditaskid=task)["status"] == "registered"
    assert call(db, "refine_task", p_jeditaskid=task)["status"] == "defined"


def test_reactivate_and_reload_input(queue_db):
    db = queue_db
    task = make_task(db, n_files=2, status="done", params={"skipScout": True})
    db.execute(
        "UPDATE doma_panda.jedi_dataset_contents SET status = 'finished', attemptnr = 1 WHERE jeditaskid = %s", (task,)
    )
    answer = command(db, "reactivate_task", task, p_trigger_job_generation=True)
    assert "2 jobs generated" in answer["message"]
    assert task_status(db, task) == "running" and len(task_jobs(db, task)) == 2
    assert (
        "reactivated (recycled) by alice"
        in db.execute(
            "SELECT reason FROM doma_panda.tasks_statuslog WHERE jeditaskid = %s AND status = 'ready'", (task,)
        ).fetchone()[0]
    )

    # reload_input: the files the replica catalogue gained since the feed
    fed = make_task(db, n_files=0, status="finished")
    dataset = db.execute(
        "SELECT datasetname FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND type = 'input'", (fed,)
    ).fetchone()[0]
    call(
        db,
        "register_dataset_files",
        p_datasetname=dataset,
        p_site="CMD_QUEUE",
        p_files=[{"lfn": f"new.{fed}.{i}", "size": 10} for i in range(3)],
        p_scope="data",
    )
    command(db, "reload_input", fed)
    assert task_status(db, fed) == "toincexec"
    run_commands(db)
    assert task_status(db, fed) == "ready"
    assert [s for _, s, _, _ in task_files(db, fed)] == ["ready"] * 3
    run_commands(db)  # nothing to do, nothing added twice
    assert len(task_files(db, fed)) == 3


@pytest.mark.parametrize("kill_first", [False, True], ids=["generation-first", "kill-first"])
def test_kill_racing_the_generation_step_leaves_no_live_job(queue_db, database_url, kill_first):
    """The generation step and the kill on two real connections, each holding its transaction open while the other
    starts: whichever commits first, the killed task has no live job and no new one comes."""
    db = queue_db
    task = make_task(db, n_files=6, split="NF=1", params={"skipScout": True})
    outcome: dict = {}
    with psycopg.connect(database_url) as generator, psycopg.connect(database_url, autocommit=True) as killer:

        def generate_step() -> None:
            try:
                outcome["generated"] = generator.execute(
                    "SELECT doma_panda.generate_task_jobs(%s)", (task,)
                ).fetchone()[0]
                generator.commit()
            except Exception as error:  # reported by the assertion below
                outcome["error"] = error

        def kill_step() -> None:
            try:
                outcome["kill"] = killer.execute(
                    "SELECT doma_panda.kill_task(%s, 'alice', 'wlcg', false)", (task,)
                ).fetchone()[0]
            except Exception as error:
                outcome["error"] = error

        if kill_first:
            killer.execute("BEGIN")
            killer.execute("SELECT doma_panda.kill_task(%s, 'alice', 'wlcg', false)", (task,))
            thread = threading.Thread(target=generate_step)
        else:
            generated = generator.execute("SELECT doma_panda.generate_task_jobs(%s)", (task,)).fetchone()[0]
            assert generated["jobs"] == 6  # generated, not yet committed
            thread = threading.Thread(target=kill_step)
        thread.start()
        thread.join(1.0)
        if kill_first:
            killer.execute("COMMIT")
        else:
            assert thread.is_alive()  # the kill waits for the generation step's row lock
            generator.commit()
        thread.join(30)
        assert not thread.is_alive() and "error" not in outcome, outcome
    assert task_status(db, task) == "aborting"
    assert call(db, "task_live_pandaids", p_jeditaskid=task) == []
    if kill_first:
        assert outcome["generated"] is None or outcome["generated"]["jobs"] == 0
    else:
        assert (
            db.execute(
                "SELECT count(*) FROM doma_panda.jobsarchived4 WHERE jeditaskid = %s AND jobstatus = 'cancelled'",
                (task,),
            ).fetchone()[0]
            == 6
        )
    run_commands(db)
    assert task_status(db, task) == "aborted"
