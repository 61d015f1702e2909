"""The API parameters of update_job and acquire_jobs are written three times: in the service declarations
(services/pilot.py, which validate requests and make the OpenAPI document), in the PL/pgSQL routine that
accepts them (procedures/postgres/), and in its PL/SQL twin (procedures/oracle/). Each copy has a reason
to exist (validation before the database, the rule in the database, the Oracle side); this test is what
keeps them one list: it fails, naming the parameter, as soon as one copy differs.
"""

from __future__ import annotations

import re
from pathlib import Path

from services import pilot

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = ROOT / "procedures" / "postgres"
ORACLE = ROOT / "procedures" / "oracle"
# the parameters the service passes as routine arguments, not inside p_request
UPDATE_JOB_ARGUMENTS = {"job_id", "job_status"}
ACQUIRE_JOBS_ARGUMENTS = {"site_name", "n_jobs"}


def routine_text(path: Path, start: str) -> str:
    """From the CREATE of `start` to the end of its body ($$; in PostgreSQL, 'END <name>;' in Oracle)."""
    text = path.read_text()
    begin = text.index(start)
    end_marker = "\n$$;" if path.parent.name == "postgres" else f"END {start.split('.')[-1].split('(')[0]};"
    return text[begin : text.index(end_marker, begin)]


def quoted_names(text: str) -> list[str]:
    return re.findall(r"'([a-z_]+)'", text)


def service_names(endpoint) -> set[str]:
    return {param.name for param in endpoint.params}


def postgres_update_job_keys() -> tuple[dict[str, str], set[str]]:
    column_map = dict(
        re.findall(
            r"\('([a-z_]+)', '([a-z_]+)'\)",
            routine_text(POSTGRES / "jobs.sql", "FUNCTION doma_panda.update_job_column_map("),
        )
    )
    body = routine_text(POSTGRES / "jobs.sql", "FUNCTION doma_panda.update_job(")
    others = re.search(r"AND k NOT IN \(([^)]*)\)", body)
    assert others, "update_job's list of parameters outside the column map was not found"
    return column_map, set(quoted_names(others.group(1)))


def oracle_update_job_keys() -> tuple[dict[str, str], set[str]]:
    column_map = dict(
        re.findall(
            r"'([a-z_]+)=([a-z_]+)'", routine_text(ORACLE / "jobs.sql", "FUNCTION ATLAS_PANDA.UPDATE_JOB_COLUMN_MAP")
        )
    )
    body = routine_text(ORACLE / "jobs.sql", "FUNCTION ATLAS_PANDA.UPDATE_JOB(")
    others = re.search(r"v_allowed SYS\.ODCIVARCHAR2LIST := SYS\.ODCIVARCHAR2LIST\(([^)]*)\)", body)
    assert others, "UPDATE_JOB's v_allowed list was not found"
    return column_map, set(quoted_names(others.group(1)))


def test_update_job_parameters_are_one_list():
    pg_map, pg_others = postgres_update_job_keys()
    ora_map, ora_others = oracle_update_job_keys()
    assert len(pg_map) > 30 and "max_rss" in pg_map
    assert pg_map == ora_map, f"column maps differ: {set(pg_map.items()) ^ set(ora_map.items())}"
    assert pg_others == ora_others, f"other accepted keys differ: {pg_others ^ ora_others}"
    accepted = set(pg_map) | pg_others
    declared = service_names(pilot.update_job)
    assert declared - accepted == set(), "declared by services/pilot.py, refused by update_job"
    assert accepted - declared == set(), "accepted by update_job, not declared by services/pilot.py"
    assert declared >= UPDATE_JOB_ARGUMENTS


def test_acquire_jobs_parameters_are_one_list():
    pg_body = routine_text(POSTGRES / "dispatch.sql", "FUNCTION doma_panda.acquire_jobs(")
    ora_body = routine_text(ORACLE / "dispatch.sql", "FUNCTION ATLAS_PANDA.ACQUIRE_JOBS(")
    pg_list = re.search(r"WHERE k NOT IN \(([^)]*)\)", pg_body)
    ora_list = re.search(r"unknown_keys\(v_request, SYS\.ODCIVARCHAR2LIST\(([^)]*)\)", ora_body)
    assert pg_list and ora_list
    pg_accepted, ora_accepted = set(quoted_names(pg_list.group(1))), set(quoted_names(ora_list.group(1)))
    assert len(pg_accepted) > 15
    assert pg_accepted == ora_accepted, f"differ: {pg_accepted ^ ora_accepted}"
    declared = service_names(pilot.acquire_jobs)
    assert declared ^ pg_accepted == set(), "declared by services/pilot.py vs accepted by acquire_jobs"
    assert declared >= ACQUIRE_JOBS_ARGUMENTS


def test_the_check_sees_a_difference():
    # the parsers really read the lists: a name missing from one copy is noticed
    pg_map, pg_others = postgres_update_job_keys()
    assert "stdout" in pg_others and "stdout" in service_names(pilot.update_job)
    assert (set(pg_map) | pg_others) - {"stdout"} != service_names(pilot.update_job)
