"""The figures of a scenario and the invariants checked in SQL after it (see the package docstring)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from pandadb.chaos.common import JOB_TABLES
from pandadb.db import scalar

# ------------------------------------------------------------------------------------------------
# figures and checks


@dataclass
class Check:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


@dataclass
class ScenarioResult:
    name: str
    jobs: int
    clients: int
    requests: int = 0
    succeeded: int = 0
    failures: Counter = field(default_factory=Counter)
    fault_at: float | None = None  # seconds after the load started
    down_seconds: float | None = None
    recovery_seconds: float | None = None
    recovery_what: str = "fault -> first successful request"
    load_seconds: float = 0.0
    acknowledged: int = 0
    left: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # sorted
    slowest_failure: float = 0.0
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    def _percentile(self, percent: int) -> str:
        if not self.latencies:
            return "n/a"
        index = min(len(self.latencies) - 1, int(len(self.latencies) * percent / 100))
        return f"{self.latencies[index] * 1000:.0f} ms"

    def lines(self) -> list[str]:
        failures = sum(self.failures.values())
        kinds = ", ".join(f"{kind} {count}" for kind, count in self.failures.most_common()) or "none"
        out = [
            f"== {self.name}: {self.jobs} jobs, {self.clients} clients, load {self.load_seconds:.1f} s",
            f"   requests              {self.requests} ({self.succeeded} succeeded, "
            f"{self.requests / self.load_seconds if self.load_seconds else 0:.0f}/s)",
            f"   failures seen         {failures}: {kinds}",
            f"   latency               median {self._percentile(50)}, p99 {self._percentile(99)}, max "
            f"{self._percentile(100)}; slowest failure {_seconds(self.slowest_failure) if failures else 'n/a'}",
            f"   fault at              {_seconds(self.fault_at)} after the load started"
            + (f"; down {_seconds(self.down_seconds)}" if self.down_seconds is not None else ""),
            f"   recovery              {_seconds(self.recovery_seconds)} ({self.recovery_what})",
            f"   final states acked    {self.acknowledged}; jobs left: "
            + (", ".join(f"{status} {count}" for status, count in sorted(self.left.items())) or "none"),
        ]
        out += [f"   {note}" for note in self.notes]
        out.append("   invariants:")
        out += [f"     {check.line()}" for check in self.checks]
        return out


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


# ------------------------------------------------------------------------------------------------
# invariants


def check_invariants(
    conn: psycopg.Connection,
    expected_pandaids: list[int],
    acknowledged: dict[int, str],
    client_duplicates: list[int] | None = None,
    archive_snapshot: dict[str, dict[int, str]] | None = None,
) -> list[Check]:
    """The four invariants on `conn`'s database (autocommit connection); each Check says PASS/FAIL and why.

    expected_pandaids  the jobs the scenario created (each must be found exactly once)
    acknowledged       PandaID -> final state a client got acknowledged
    client_duplicates  PandaIDs that two clients both received (seen by the load)
    archive_snapshot   archive_snapshot() taken before archival: the rows that must be in the archive, identical
    """
    return [
        _check_one_table(conn, expected_pandaids),
        _check_dispatched_once(conn, client_duplicates or []),
        _check_acknowledged(conn, acknowledged),
        _check_archive(conn, archive_snapshot),
    ]


def _examples(values: list[Any]) -> str:
    return ", ".join(map(str, values[:5])) + (" ..." if len(values) > 5 else "")


def _check_one_table(conn: psycopg.Connection, expected: list[int]) -> Check:
    present = " UNION ALL ".join(f"SELECT pandaid, '{table}' AS t FROM {table}" for table in JOB_TABLES)
    twice = conn.execute(f"""SELECT pandaid, string_agg(t, ' + ' ORDER BY t) FROM ({present}) p
                              GROUP BY pandaid HAVING count(*) > 1 ORDER BY pandaid""").fetchall()
    missing = [
        row[0]
        for row in conn.execute(
            f"""SELECT e.id FROM unnest(%s::bigint[]) e(id)
             WHERE NOT EXISTS (SELECT 1 FROM ({present}) p WHERE p.pandaid = e.id) ORDER BY 1""",
            (expected,),
        )
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing ({_examples(missing)})")
    if twice:
        problems.append(f"{len(twice)} in several tables ({_examples([f'{p} in {t}' for p, t in twice])})")
    return Check(
        "every PandaID in exactly one job table",
        not problems,
        "; ".join(problems) or f"{len(expected)} jobs of the scenario, no PandaID in two tables",
    )


def _check_dispatched_once(conn: psycopg.Connection, client_duplicates: list[int]) -> Check:
    # a re-delivery to the same pilot (recoverable acquire) is not a second dispatch; two pilots are
    twice = conn.execute("""SELECT pandaid, string_agg(DISTINCT coalesce(modificationhost, '?'), ' + ')
                              FROM doma_panda.jobs_statuslog WHERE jobstatus = 'sent'
                             GROUP BY pandaid HAVING count(DISTINCT coalesce(modificationhost, '?')) > 1
                             ORDER BY pandaid""").fetchall()
    sent = scalar(conn, "SELECT count(DISTINCT pandaid) FROM doma_panda.jobs_statuslog WHERE jobstatus = 'sent'")
    problems = []
    if twice:
        problems.append(
            f"{len(twice)} PandaIDs logged 'sent' to several pilots "
            f"({_examples([f'{p}: {hosts}' for p, hosts in twice])})"
        )
    if client_duplicates:
        problems.append(
            f"{len(client_duplicates)} PandaIDs received by two clients ({_examples(sorted(client_duplicates))})"
        )
    return Check(
        "none dispatched twice", not problems, "; ".join(problems) or f"{sent} PandaIDs dispatched, each to one pilot"
    )


def _check_acknowledged(conn: psycopg.Connection, acknowledged: dict[int, str]) -> Check:
    ids = list(acknowledged)
    lost = conn.execute(
        """SELECT a.id, a.status FROM unnest(%s::bigint[], %s::text[]) a(id, status)
                            WHERE NOT EXISTS (SELECT 1 FROM doma_panda.jobsarchived4 j
                                               WHERE j.pandaid = a.id AND j.jobstatus = a.status)
                              AND NOT EXISTS (SELECT 1 FROM doma_pandaarch.jobsarchived j
                                               WHERE j.pandaid = a.id AND j.jobstatus = a.status)
                            ORDER BY 1""",
        (ids, [acknowledged[i] for i in ids]),
    ).fetchall()
    return Check(
        "every acknowledged final state archived",
        not lost,
        f"{len(lost)} of {len(ids)} not archived with their state ({_examples([f'{p} {s}' for p, s in lost])})"
        if lost
        else f"{len(ids)} acknowledged final states found in jobsarchived4 / the archive",
    )


def archive_snapshot(conn: psycopg.Connection, pandaids: list[int]) -> dict[str, dict[int, str]]:
    """Archive table -> {row key: hash of the row's columns common to source and archive} of `pandaids`' rows
    in the live tables: what the archive must hold exactly once, identical, once they are archived."""
    snapshot: dict[str, dict[int, str]] = {}
    for source, archive, key in _archive_targets(conn):
        columns = scalar(conn, "SELECT doma_panda.archive_column_list(%s, %s)", (source, archive))
        snapshot[archive] = {
            row[0]: row[1]
            for row in conn.execute(
                f"SELECT {key}, md5(ROW({columns})::text) FROM {source} WHERE pandaid = ANY(%s)", (pandaids,)
            )
        }
    return snapshot


def _archive_targets(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        "SELECT source_table, archive_table, key_column FROM doma_panda.archive_targets() ORDER BY table_order"
    ).fetchall()


def _check_archive(conn: psycopg.Connection, snapshot: dict[str, dict[int, str]] | None) -> Check:
    problems = []
    compared = 0
    for source, archive, key in _archive_targets(conn):
        duplicated = [
            row[0] for row in conn.execute(f"SELECT {key} FROM {archive} GROUP BY {key} HAVING count(*) > 1 ORDER BY 1")
        ]
        if duplicated:
            problems.append(f"{archive}: {len(duplicated)} keys twice ({_examples(duplicated)})")
        expected = (snapshot or {}).get(archive)
        if expected:
            columns = scalar(conn, "SELECT doma_panda.archive_column_list(%s, %s)", (source, archive))
            found: dict[int, list[str]] = {}
            for row_key, digest in conn.execute(
                f"SELECT {key}, md5(ROW({columns})::text) FROM {archive} WHERE {key} = ANY(%s)", (list(expected),)
            ):
                found.setdefault(row_key, []).append(digest)
            missing = [k for k in expected if k not in found]
            changed = [k for k, digests in found.items() if len(digests) == 1 and digests[0] != expected[k]]
            if missing:
                problems.append(f"{archive}: {len(missing)} rows missing ({_examples(sorted(missing))})")
            if changed:
                problems.append(f"{archive}: {len(changed)} rows differ from the source ({_examples(sorted(changed))})")
            still_live = scalar(conn, f"SELECT count(*) FROM {source} WHERE {key} = ANY(%s)", (list(expected),))
            if still_live:
                problems.append(f"{source}: {still_live} archived rows still in the live table")
            compared += len(expected)
    unverified = conn.execute("""SELECT table_name || '.' || partition_name FROM doma_panda.tablepart4copying
                                  WHERE deleted_on IS NOT NULL AND data_verif_passed IS DISTINCT FROM 'YES'
                                  ORDER BY 1""").fetchall()
    if unverified:
        problems.append(
            f"{len(unverified)} partitions dropped without a passed verification "
            f"({_examples([r[0] for r in unverified])})"
        )
    half_done = conn.execute("""SELECT c.table_name || '.' || c.partition_name FROM doma_panda.tablepart4copying c
                                 WHERE c.copied_to_arch = 'Y' AND c.deleted_on IS NULL ORDER BY 1""").fetchall()
    if snapshot and half_done:
        problems.append(f"{len(half_done)} partitions copied but not dropped ({_examples([r[0] for r in half_done])})")
    dropped = scalar(conn, "SELECT count(*) FROM doma_panda.tablepart4copying WHERE deleted_on IS NOT NULL")
    return Check(
        "archive rows exactly once and identical",
        not problems,
        "; ".join(problems)
        or (
            f"{compared} archived rows compared with their source, {dropped} partitions dropped after verification"
            if snapshot
            else f"no key twice in the archive tables, {dropped} partitions dropped after verification"
        ),
    )
