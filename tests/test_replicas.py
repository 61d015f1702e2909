"""The replica catalogue: register_dataset_files (idempotent, immutable file attributes, concurrent
registrations) and `pandadb register dataset`."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from pandadb.errors import BadInput
from pandadb.procedures import call

from cli_helpers import run_cli


def files(*lfns: str, events: int = 10) -> list[dict]:
    return [
        {"lfn": lfn, "size": 100 * (i + 1), "checksum": f"ad:{i:08x}", "events": events} for i, lfn in enumerate(lfns)
    ]


def test_registration_is_idempotent_and_keeps_order_and_sites(db):
    first = call(
        db, "register_dataset_files", p_datasetname="mc.evnt.1", p_site="SITE_A", p_files=files("a.root", "b.root")
    )
    assert first == {
        "dataset": "mc.evnt.1",
        "scope": "mc",
        "site": "SITE_A",
        "state": "open",
        "files_added": 2,
        "replicas_added": 2,
        "nfiles": 2,
    }
    again = call(
        db, "register_dataset_files", p_datasetname="mc.evnt.1", p_site="SITE_A", p_files=files("a.root", "b.root")
    )
    assert (again["files_added"], again["replicas_added"], again["nfiles"]) == (0, 0, 2)
    # a second site, one more file (the first keeps its attributes; only lfn is needed to add a replica)
    more = call(
        db,
        "register_dataset_files",
        p_datasetname="mc:mc.evnt.1",
        p_site="SITE_B",
        p_files=[{"lfn": "a.root"}, *files("c.root")[:0], {"lfn": "c.root", "size": 7, "events": 3}],
        p_state="closed",
    )
    assert (more["files_added"], more["replicas_added"], more["nfiles"], more["state"]) == (1, 2, 3, "closed")
    listed = call(db, "get_dataset_files", p_datasetname="mc.evnt.1")
    assert [(f["lfn"], f["fsize"], f["nevents"], f["sites"]) for f in listed] == [
        ("a.root", 100, 10, ["SITE_A", "SITE_B"]),
        ("b.root", 200, 10, ["SITE_A"]),
        ("c.root", 7, 3, ["SITE_B"]),
    ]
    assert all(len(f["guid"]) == 36 for f in listed)
    assert call(db, "get_dataset_files", p_datasetname="no.such.dataset") is None


@pytest.mark.parametrize(
    "arguments, word",
    [
        ({"p_datasetname": "", "p_site": "S", "p_files": []}, "p_datasetname"),
        ({"p_datasetname": "d.x", "p_site": "", "p_files": []}, "p_site"),
        ({"p_datasetname": "d.x", "p_site": "S", "p_files": [{"size": 1}]}, "lfn"),
        ({"p_datasetname": "d.x", "p_site": "S", "p_files": [{"lfn": "f", "size": "big"}]}, "size"),
        ({"p_datasetname": "d.x", "p_site": "S", "p_files": [{"lfn": "f", "colour": "red"}]}, "colour"),
        ({"p_datasetname": "d.x", "p_site": "S", "p_files": [{"lfn": "ok"}, {"lfn": "a.root", "size": 5}]}, "a.root"),
        ({"p_datasetname": "d.x", "p_site": "S", "p_files": [], "p_state": "frozen"}, "p_state"),
    ],
)
def test_bad_registrations_are_refused_naming_the_problem_and_change_nothing(db, arguments, word):
    call(db, "register_dataset_files", p_datasetname="d.x", p_site="S", p_files=files("a.root"))
    before = db.execute(
        "SELECT (SELECT count(*) FROM doma_panda.pandadb_files), "
        "(SELECT count(*) FROM doma_panda.pandadb_file_replicas)"
    ).fetchone()
    with pytest.raises(BadInput) as refused:
        call(db, "register_dataset_files", **arguments)
    assert word in refused.value.message
    assert (
        db.execute(
            "SELECT (SELECT count(*) FROM doma_panda.pandadb_files), "
            "(SELECT count(*) FROM doma_panda.pandadb_file_replicas)"
        ).fetchone()
        == before
    )


def test_concurrent_registrations_of_one_dataset_number_each_file_once(db, database_url):
    barrier = threading.Barrier(2)

    def register(site: str) -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            barrier.wait()
            for start in range(0, 40, 10):
                call(
                    conn,
                    "register_dataset_files",
                    p_datasetname="conc.ds",
                    p_site=site,
                    p_files=[{"lfn": f"f{i:03d}", "size": i, "events": 1} for i in range(start, start + 10)],
                )

    threads = [threading.Thread(target=register, args=(site,)) for site in ("SITE_A", "SITE_B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    orders = [
        r[0]
        for r in db.execute(
            "SELECT fileorder FROM doma_panda.pandadb_dataset_files WHERE datasetname = 'conc.ds' ORDER BY fileorder"
        )
    ]
    assert orders == list(range(1, 41))
    assert db.execute("SELECT count(*) FROM doma_panda.pandadb_file_replicas").fetchone()[0] == 80


def test_register_dataset_command(database_url, tmp_path):
    env = {"PANDADB_URL": database_url}
    result = run_cli(
        "pandadb",
        "register",
        "dataset",
        "user.alice:user.alice.input",
        "--site",
        "TEST_SITE",
        "--file",
        "lfn=in1.root,size=1000,checksum=ad:0000abcd,events=100",
        "--file",
        "lfn=in2.root,size=2000,events=200",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "dataset user.alice.input (scope user.alice, open): 2 files, 2 new; 2 new replicas at TEST_SITE"
        in result.stdout
    )
    listing = tmp_path / "files.json"
    listing.write_text(json.dumps({"files": [{"lfn": "in3.root", "size": 3000, "events": 300}]}))
    result = run_cli(
        "pandadb",
        "register",
        "dataset",
        "user.alice.input",
        "--scope",
        "user.alice",
        "--site",
        "OTHER_SITE",
        "--json",
        str(listing),
        "--close",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "(scope user.alice, closed): 3 files, 1 new; 1 new replicas at OTHER_SITE" in result.stdout
    # errors: one line, no traceback, nothing registered
    for args in (["--file", "size=5"], ["--file", "lfn=in1.root,size=999"], ["--file", "lfn=x,colour=red"]):
        result = run_cli("pandadb", "register", "dataset", "user.alice.input", "--site", "TEST_SITE", *args, env=env)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert (
        "in1.root"
        in run_cli(
            "pandadb",
            "register",
            "dataset",
            "user.alice.input",
            "--site",
            "TEST_SITE",
            "--file",
            "lfn=in1.root,size=999",
            env=env,
        ).stderr
    )
    with psycopg.connect(database_url) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM doma_panda.pandadb_dataset_files WHERE datasetname = 'user.alice.input'"
            ).fetchone()[0]
            == 3
        )
    shown = run_cli("pandadb", "register", "show", env=env).stdout.splitlines()
    assert any(line.split() == ["user.alice.input", "user.alice", "closed", "3"] for line in shown), shown
