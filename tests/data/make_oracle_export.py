"""Writes tests/data/oracle_export_panda.sql: an Oracle PanDA schema export as a DBA gets it from
DBMS_METADATA.GET_DDL / SQL Developer / expdp SQLFILE (quoted upper-case names with the schema
prefix, storage and tablespace clauses, USING INDEX, NOT NULL ENABLE, '/' after PL/SQL units,
SQL*Plus directives, grants, synonyms, triggers, PL/SQL units), for the job, task and file tables.
The tables' columns and keys are those of schema/oracle; the rest is made up in the tools' style.

    .venv/bin/python tests/data/make_oracle_export.py   (rewrites the file; commit it)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ora2pg.export import split_top_level  # noqa: E402
from ora2pg.oracle_ddl import read_oracle_ddl  # noqa: E402

OUTPUT = Path(__file__).with_name("oracle_export_panda.sql")
TABLES = [
    "JOBSACTIVE4",
    "JEDI_TASKS",
    "FILESTABLE4",
    "JOBPARAMSTABLE",
    "JEDI_AUX_STATUS_MINTASKID",
    "TABLEPART4COPYING",
]
STORAGE = (
    "STORAGE(INITIAL 65536 NEXT 1048576 MINEXTENTS 1 MAXEXTENTS 2147483645\n"
    "  PCTINCREASE 0 FREELISTS 1 FREELIST GROUPS 1\n"
    "  BUFFER_POOL DEFAULT FLASH_CACHE DEFAULT CELL_FLASH_CACHE DEFAULT)"
)
INDEX_ATTRIBUTES = (
    f"PCTFREE 10 INITRANS 2 MAXTRANS 255 COMPUTE STATISTICS\n  {STORAGE}\n  TABLESPACE \"ATLAS_PANDA_INDX01\""
)
TABLE_ATTRIBUTES = (
    f"SEGMENT CREATION IMMEDIATE\n  PCTFREE 10 PCTUSED 40 INITRANS 1 MAXTRANS 255\n NOCOMPRESS LOGGING\n"
    f"  {STORAGE}\n  TABLESPACE \"ATLAS_PANDA_DATA01\""
)


def q(name: str) -> str:
    return name if name.startswith('"') else f'"{name}"'


def qualified(name: str) -> str:
    return ".".join(q(part) for part in name.split("."))


def column_list(text: str) -> str:
    return ", ".join(q(c.strip()) for c in text.split(","))


def oracle_type(definition: str) -> str:
    definition = re.sub(r"\bVARCHAR2\((\d+)\)", r"VARCHAR2(\1 BYTE)", definition)
    definition = re.sub(r"\bCHAR\((\d+)\)", r"CHAR(\1 BYTE)", definition)
    definition = re.sub(r"\bNUMBER\((\d+)\)", r"NUMBER(\1,0)", definition)
    return re.sub(r"\bNOT NULL\b", "NOT NULL ENABLE", definition)


def render_item(item: str) -> str:
    constraint = re.match(r"CONSTRAINT\s+(\S+)\s+(PRIMARY KEY|UNIQUE)\s*\(([^)]*)\)", item)
    if constraint:
        return (
            f"CONSTRAINT {q(constraint.group(1))} {constraint.group(2)} ({column_list(constraint.group(3))})\n"
            f"  USING INDEX {INDEX_ATTRIBUTES}  ENABLE"
        )
    if item.startswith("CONSTRAINT"):
        return item + " ENABLE"
    name, rest = item.split(None, 1)
    return f"{q(name)} {oracle_type(rest)}"


def render_table(statement) -> str:
    text = statement.text
    start = text.index("(")
    depth, end = 0, start
    for end in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            break
    items = [render_item(item) for item in split_top_level(text[start + 1 : end])]
    name = statement.table.upper()
    if name == "JEDI_TASKS":  # a virtual column (Oracle only)
        items.insert(
            -1,
            "\"IS_ACTIVE\" NUMBER(1,0) GENERATED ALWAYS AS (CASE WHEN \"STATUS\" IN ('running','ready','scouting') "
            "THEN 1 ELSE 0 END) VIRTUAL",
        )
    if name == "JOBSACTIVE4":
        items.append("SUPPLEMENTAL LOG DATA (ALL) COLUMNS")
    head = f"CREATE TABLE {qualified(statement.schema + '.' + name)}\n   (\t" + ",\n\t".join(items) + "\n   )"
    tail = text[end + 1 :]
    if name == "JEDI_AUX_STATUS_MINTASKID":  # index-organised, as upstream's
        return (
            f"{head} ORGANIZATION INDEX NOCOMPRESS PCTFREE 10 INITRANS 2 MAXTRANS 255 LOGGING\n  {STORAGE}\n"
            f"  TABLESPACE \"ATLAS_PANDA_DATA01\"\n PCTTHRESHOLD 50"
        )
    lobs = [c for c in re.findall(r"^\s*(\w+) CLOB", text[:end], re.M)]
    lob = "".join(
        f"\n LOB (\"{c}\") STORE AS SECUREFILE (\n  TABLESPACE \"ATLAS_PANDA_LOB01\" ENABLE STORAGE IN ROW CHUNK 8192\n"
        f"  NOCACHE LOGGING  NOCOMPRESS  KEEP_DUPLICATES\n  {STORAGE})"
        for c in lobs
    )
    partition = re.search(r"PARTITION BY (RANGE|LIST) \((\w+)\)(?: INTERVAL \((.*?\)?)\))?", tail)
    if not partition:
        return f"{head} {TABLE_ATTRIBUTES}{lob}"
    kind, key, interval = partition.groups()
    clause = f"\n  PARTITION BY {kind} (\"{key}\")" + (f" INTERVAL ({interval})" if interval else "")
    if name == "FILESTABLE4":
        clause += (
            "\n  SUBPARTITION BY LIST (\"TYPE\")\n  SUBPARTITION TEMPLATE (\n    SUBPARTITION \"SP_INPUT\" VALUES ('input'),\n"
            "    SUBPARTITION \"SP_OTHER\" VALUES (DEFAULT))"
        )
    if kind == "RANGE":
        bounds = [("P_INITIAL", "TO_DATE(' 2020-01-01 00:00:00', 'SYYYY-MM-DD HH24:MI:SS', 'NLS_CALENDAR=GREGORIAN')")]
        if key == "JEDITASKID":
            bounds = [("P_INITIAL", "1")]
        else:
            bounds += [
                ("SYS_P183041", "TO_DATE(' 2026-11-29 00:00:00', 'SYYYY-MM-DD HH24:MI:SS', 'NLS_CALENDAR=GREGORIAN')"),
                ("SYS_P183062", "TO_DATE(' 2026-11-30 00:00:00', 'SYYYY-MM-DD HH24:MI:SS', 'NLS_CALENDAR=GREGORIAN')"),
            ]
        parts = [
            f"PARTITION \"{p}\"  VALUES LESS THAN ({v}) SEGMENT CREATION IMMEDIATE\n  PCTFREE 10 PCTUSED 40 INITRANS 1 "
            f"MAXTRANS 255\n NOCOMPRESS LOGGING\n  {STORAGE}\n  TABLESPACE \"ATLAS_PANDA_DATA01\""
            for p, v in bounds
        ]
    else:
        parts = []
        for p, v in re.findall(r"PARTITION (\w+) VALUES \(([^)]*)\)", tail):
            subs = (
                f"\n ( SUBPARTITION \"{p}_SP1\" VALUES LESS THAN (TO_DATE(' 2020-01-01 00:00:00', 'SYYYY-MM-DD HH24:MI:SS')) "
                f"SEGMENT CREATION DEFERRED\n  TABLESPACE \"ATLAS_PANDA_DATA01\"\n NOCOMPRESS )"
            )
            parts.append(
                f"PARTITION \"{p}\"  VALUES ({v}) SEGMENT CREATION DEFERRED\n  PCTFREE 10 PCTUSED 40 INITRANS 1 "
                f"MAXTRANS 255\n NOCOMPRESS LOGGING\n  TABLESPACE \"ATLAS_PANDA_DATA01\" {subs}"
            )
        clause = clause.replace(
            f"PARTITION BY LIST (\"{key}\")",
            f"PARTITION BY LIST (\"{key}\")\n  SUBPARTITION BY RANGE (\"COPYING_DONE_ON\")",
        )
    return (
        f"{head} PCTFREE 10 PCTUSED 40 INITRANS 1 MAXTRANS 255\n  {STORAGE}\n  TABLESPACE \"ATLAS_PANDA_DATA01\"{lob}"
        f"{clause}\n (" + ",\n ".join(parts) + ")  ENABLE ROW MOVEMENT"
    )


def render_index(statement) -> str:
    match = re.match(r"CREATE (UNIQUE |BITMAP )?INDEX (\S+) ON (\S+) \((.*)\)(\s+LOCAL)?$", statement.text, re.S)
    unique, name, table, columns, local = match.groups()
    keywords = {"CASE", "WHEN", "THEN", "ELSE", "END", "DESC", "ASC", "IN", "AND", "OR", "NOT", "NULL", "IS"}

    def quote_columns(expression: str) -> str:
        return re.sub(
            r"\b([A-Z][A-Z0-9_]+)\b(?!\()",
            lambda m: m.group(1) if m.group(1) in keywords else f'"{m.group(1)}"',
            expression,
        )

    columns = ", ".join(
        q(c) if re.fullmatch(r"\w+", c) else quote_columns(c) for c in (c.strip() for c in split_top_level(columns))
    )
    text = f"CREATE {unique or ''}INDEX {qualified(name)} ON {qualified(table)} ({columns})\n  {INDEX_ATTRIBUTES}"
    return text + (
        "  LOCAL\n (PARTITION \"P_INITIAL\"\n  PCTFREE 10 INITRANS 2 MAXTRANS 255 LOGGING\n  TABLESPACE \"ATLAS_PANDA_INDX01\")"
        if local
        else ""
    )


def render_alter(statement) -> str:
    text = re.sub(r"^ALTER TABLE (\S+)", lambda m: f"ALTER TABLE {qualified(m.group(1))}", statement.text)
    text = re.sub(r"ADD CONSTRAINT (\S+)", lambda m: f"ADD CONSTRAINT {q(m.group(1))}", text)
    return " ".join(text.split()) + " ENABLE"


HEADER = """\
-- Oracle PanDA schema export (test fixture): DBMS_METADATA.GET_DDL output as spooled by SQL*Plus,
-- with SQL Developer's and expdp SQLFILE's habits. Generated by tests/data/make_oracle_export.py
-- from schema/oracle (columns, keys, indexes) plus the constructs every real export carries.
REM  ATLAS_PANDA DDL export
SET ECHO OFF
SET DEFINE OFF
SET SQLBLANKLINES ON
SET LONG 2000000 PAGESIZE 0 LINESIZE 32767 TRIMSPOOL ON
WHENEVER SQLERROR EXIT SQL.SQLCODE
SPOOL atlas_panda_ddl.log
-- CONNECT ATLAS_PANDA
ALTER SESSION SET EVENTS '10150 TRACE NAME CONTEXT FOREVER, LEVEL 1';
ALTER SESSION SET NLS_LENGTH_SEMANTICS=BYTE;
ALTER SESSION SET CURRENT_SCHEMA = "ATLAS_PANDA";
PROMPT Creating sequences ...
-- new object type path: SCHEMA_EXPORT/SEQUENCE/SEQUENCE
"""

PLSQL = """\
PROMPT Stored logic ...
-- new object type path: SCHEMA_EXPORT/PACKAGE/PACKAGE_SPEC
CREATE OR REPLACE EDITIONABLE PACKAGE "ATLAS_PANDA"."JEDI_DBPROC" AS
  -- counters of a task's datasets
  PROCEDURE update_dataset_counters(p_jeditaskid IN NUMBER);
  FUNCTION  task_is_active(p_status IN VARCHAR2) RETURN NUMBER;
END jedi_dbproc;
/
-- new object type path: SCHEMA_EXPORT/PACKAGE/PACKAGE_BODY
CREATE OR REPLACE EDITIONABLE PACKAGE BODY "ATLAS_PANDA"."JEDI_DBPROC" AS
  PROCEDURE update_dataset_counters(p_jeditaskid IN NUMBER) IS
  BEGIN
    UPDATE ATLAS_PANDA.JEDI_TASKS SET MODIFICATIONTIME = SYS_EXTRACT_UTC(SYSTIMESTAMP) WHERE JEDITASKID = p_jeditaskid;
  END update_dataset_counters;

  FUNCTION task_is_active(p_status IN VARCHAR2) RETURN NUMBER IS
  BEGIN
    RETURN CASE WHEN p_status IN ('running', 'ready') THEN 1 ELSE 0 END;  -- ';' inside: still one unit
  END task_is_active;
END jedi_dbproc;
/
-- new object type path: SCHEMA_EXPORT/PROCEDURE/PROCEDURE
CREATE OR REPLACE EDITIONABLE PROCEDURE "ATLAS_PANDA"."DELETE_OLD_JOBPARAMS" (p_days IN NUMBER DEFAULT 30)
AS
BEGIN
  DELETE FROM ATLAS_PANDA.JOBPARAMSTABLE WHERE MODIFICATIONTIME < SYSDATE - p_days;
  COMMIT;
END;
/
-- new object type path: SCHEMA_EXPORT/FUNCTION/FUNCTION
CREATE OR REPLACE EDITIONABLE FUNCTION "ATLAS_PANDA"."BITOR" (x IN NUMBER, y IN NUMBER) RETURN NUMBER
DETERMINISTIC AS
BEGIN
  RETURN x + y - BITAND(x, y);
END;
/
-- new object type path: SCHEMA_EXPORT/TABLE/TRIGGER
CREATE OR REPLACE EDITIONABLE TRIGGER "ATLAS_PANDA"."JEDI_TASKS_REALMODTIME_TRG"
  BEFORE UPDATE OF "STATUS" ON "ATLAS_PANDA"."JEDI_TASKS"
  FOR EACH ROW
BEGIN
  :NEW.REALMODIFICATIONTIME := SYS_EXTRACT_UTC(SYSTIMESTAMP);
END;
/
ALTER TRIGGER "ATLAS_PANDA"."JEDI_TASKS_REALMODTIME_TRG" ENABLE;
CREATE OR REPLACE EDITIONABLE TRIGGER "ATLAS_PANDA"."GRANT_SELECT_ON_NEW_TABLES"
  AFTER CREATE ON "ATLAS_PANDA".SCHEMA
DECLARE
  l_job NUMBER;
BEGIN
  IF ORA_DICT_OBJ_TYPE = 'TABLE' THEN
    DBMS_JOB.SUBMIT(l_job, 'EXECUTE IMMEDIATE ''GRANT SELECT ON ATLAS_PANDA.' || ORA_DICT_OBJ_NAME || ' TO ATLAS_PANDA_READER'';');
  END IF;
END;
/
ALTER TRIGGER "ATLAS_PANDA"."GRANT_SELECT_ON_NEW_TABLES" ENABLE;
BEGIN
  DBMS_STATS.GATHER_TABLE_STATS(ownname => 'ATLAS_PANDA', tabname => 'JOBSACTIVE4', cascade => TRUE);
END;
/
EXEC DBMS_STATS.LOCK_TABLE_STATS('ATLAS_PANDA', 'JEDI_AUX_STATUS_MINTASKID')
"""

FOOTER = """\
PROMPT Grants and synonyms ...
-- new object type path: SCHEMA_EXPORT/TABLE/GRANT/OWNER_GRANT/OBJECT_GRANT
GRANT SELECT ON "ATLAS_PANDA"."JOBSACTIVE4" TO "ATLAS_PANDA_READER";
GRANT SELECT, INSERT, UPDATE, DELETE ON "ATLAS_PANDA"."JEDI_TASKS" TO "ATLAS_PANDA_WRITER";
GRANT EXECUTE ON "ATLAS_PANDA"."JEDI_DBPROC" TO "ATLAS_PANDA_WRITER";
GRANT SELECT ON "ATLAS_PANDA"."FILESTABLE4" TO "ATLAS_PANDAMON" WITH GRANT OPTION;
REVOKE DELETE ON "ATLAS_PANDA"."JEDI_TASKS" FROM "ATLAS_PANDA_WRITER";
CREATE OR REPLACE EDITIONABLE SYNONYM "ATLAS_PANDAMON"."JOBSACTIVE4" FOR "ATLAS_PANDA"."JOBSACTIVE4";
CREATE OR REPLACE PUBLIC SYNONYM "JEDI_TASKS" FOR "ATLAS_PANDA"."JEDI_TASKS";
ALTER TABLE "ATLAS_PANDA"."JOBSACTIVE4" ADD SUPPLEMENTAL LOG DATA (PRIMARY KEY) COLUMNS;
ALTER INDEX "ATLAS_PANDA"."JOBSACTIVE4_JOBNAME_IDX" NOPARALLEL;
CREATE MATERIALIZED VIEW LOG ON "ATLAS_PANDA"."JEDI_TASKS" WITH PRIMARY KEY;
-- a table of another application's schema, exported alongside
CREATE TABLE "ATLAS_PANDABIGMON"."USER_SETTINGS"
   (	"ID" NUMBER(19,0) NOT NULL ENABLE,
	"SETTINGS" CLOB
   ) SEGMENT CREATION DEFERRED TABLESPACE "ATLAS_PANDABIGMON_DATA01" ;
CREATE OR REPLACE DIRECTORY "PANDA_EXPORT_DIR" AS '/exports/panda';
SPOOL OFF
@@post_import_checks.sql
EXIT
"""


def main() -> None:
    oracle = read_oracle_ddl()
    wanted = {name.lower() for name in TABLES}
    out = [HEADER]
    for name in ("FILESTABLE4_ROW_ID_SEQ", "JOBSDEFINED4_PANDAID_SEQ"):
        out.append(
            f"CREATE SEQUENCE  \"ATLAS_PANDA\".\"{name}\"  MINVALUE 1 MAXVALUE 9999999999999999999999999999 "
            f"INCREMENT BY 1 START WITH 2251471093 CACHE 1000 NOORDER  NOCYCLE  NOKEEP  NOSCALE  GLOBAL ;\n"
        )
    out.append("PROMPT Creating tables ...\n-- new object type path: SCHEMA_EXPORT/TABLE/TABLE\n")
    for statement in oracle.of_schema("ATLAS_PANDA", "table"):
        if statement.table in wanted:
            out.append(render_table(statement) + " ;\n\n")
    out.append("-- new object type path: SCHEMA_EXPORT/TABLE/COMMENT\n")
    out.append(
        "COMMENT ON TABLE \"ATLAS_PANDA\".\"JOBSACTIVE4\"  IS 'Jobs dispatched to pilots (activated to transferring)';\n"
    )
    out.append(
        "COMMENT ON COLUMN \"ATLAS_PANDA\".\"JEDI_TASKS\".\"JEDITASKID\" IS 'JEDI task id; the site''s \"task\" number';\n"
    )
    out.append("-- new object type path: SCHEMA_EXPORT/TABLE/INDEX/INDEX\n")
    for statement in oracle.of_schema("ATLAS_PANDA", "index"):
        if statement.table in wanted:
            out.append(render_index(statement) + " ;\n")
    out.append("-- new object type path: SCHEMA_EXPORT/TABLE/CONSTRAINT/CONSTRAINT\n")
    for statement in oracle.of_schema("ATLAS_PANDA", "alter"):
        if statement.table in wanted:
            out.append(render_alter(statement) + ";\n")
    out.append("ALTER TABLE \"ATLAS_PANDA\".\"JEDI_TASKS\" ENABLE ROW MOVEMENT;\n")
    out.append(PLSQL)
    out.append(FOOTER)
    OUTPUT.write_text("".join(out))


if __name__ == "__main__":
    main()
