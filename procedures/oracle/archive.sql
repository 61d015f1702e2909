-- PL/SQL twin of procedures/postgres/archive.sql: archival of the daily partitions of jobsarchived4,
-- filestable4, metatable and jobparamstable (seed 004, section 8.5), the Oracle-native way. Same routine
-- names, parameter names, rules and messages as the PL/pgSQL routines.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid argument)
--   PD003 -> -20003 (unknown partition)
--   PD004 -> -20004 (verify before copy)
--   P0001 -> -20000 (the test-only failure injection, a RAISE without ERRCODE in PostgreSQL)
-- Seed 004 section 8.5 describes ATLAS's two-step archival: the ATLAS_PANDA partitions are copied to
-- ATLAS_PANDAARCH (in ATLAS's setup a second database reached through a database link: point the
-- ATLAS_PANDAARCH names at it with synonyms and nothing below changes) and dropped once verified.
-- Oracle does the work natively:
--   * partitions are the interval partitions of the ATLAS_PANDA tables (procedures/oracle/partitions.sql
--     gives them pg_partman's names, which tablepart4copying records); P_INITIAL, the range section, is
--     never archived (Oracle cannot drop it);
--   * copy: DELETE the archive rows with the partition's keys, then INSERT ... SELECT FROM <table>
--     PARTITION (<name>), with writers of the partition locked out (LOCK TABLE ... PARTITION ... IN SHARE
--     MODE) until the copy commits with its tablepart4copying 'Y' row: one transaction, as in PostgreSQL;
--   * verify: rows written after the copy are those whose ORA_ROWSCN is above the SCN the copy recorded
--     (DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER: the twin of PostgreSQL's xmin against the copy's xid;
--     without ROWDEPENDENCIES ORA_ROWSCN is per block, so a neighbour's change may cause one more copy,
--     never a missed one); then every row must have its twin (key, modificationtime) in the archive;
--   * drop: ALTER TABLE ... DROP PARTITION ... UPDATE INDEXES. DDL commits before it runs, so
--     deleted_on / dropped_on are written just before the DROP: should the DROP fail, the next run finds
--     a partition that still exists with deleted_on set, copies it again (copies replace, never
--     duplicate) and drops it then;
--   * row counts: ATLAS_PANDA.ARCHIVE_PARTITION_LOG, the twin of revision 0003's
--     doma_panda.archive_partition_log (Oracle has no revision 0003: created below when missing), with
--     copy_scn for copy_xid.
-- The lock per partition ('pandadb archive <partition>') is a DBMS_LOCK user lock released at COMMIT,
-- taken with PANDADB_SUPPORT.try_xact_lock (the twin of pg_try_advisory_xact_lock).
-- Test-only failure injection: PANDADB_SUPPORT.archive_test_failure := 'mid_copy' | 'after_copy' |
-- 'before_drop' (the twin of SET pandadb.archive_test_failure).
-- Grants: EXECUTE on DBMS_FLASHBACK and DBMS_LOCK, and INSERT/DELETE/SELECT on the ATLAS_PANDAARCH tables.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Types: jsonb is CLOB holding JSON text; RETURNS TABLE is a SYS_REFCURSOR; OUT parameters make a
-- procedure; RAISE NOTICE is DBMS_OUTPUT.PUT_LINE. Each PL/SQL unit ends with a line holding only '/'.

-- The archive log (the twin of revision 0003's doma_panda.archive_partition_log), created when missing.
DECLARE
    e_exists EXCEPTION;
    PRAGMA EXCEPTION_INIT(e_exists, -955);
BEGIN
    EXECUTE IMMEDIATE 'CREATE TABLE ATLAS_PANDA.ARCHIVE_PARTITION_LOG (
        TABLE_NAME VARCHAR2(30) NOT NULL,
        PARTITION_NAME VARCHAR2(30) NOT NULL,
        LOWER_BOUND DATE,
        UPPER_BOUND DATE,
        ROWS_COPIED NUMBER(19),
        ROWS_VERIFIED NUMBER(19),
        COPIES NUMBER(10) DEFAULT 0 NOT NULL,
        COPY_SCN NUMBER,
        COPIED_ON DATE,
        VERIFIED_ON DATE,
        DROPPED_ON DATE,
        CONSTRAINT ARCHIVE_PARTITION_LOG_PKEY PRIMARY KEY (TABLE_NAME, PARTITION_NAME))';
EXCEPTION
    WHEN e_exists THEN
        NULL;
END;
/

-- archive_targets: the archived tables, their archive table and the column that identifies a row
-- (a job's pandaid, a file's row_id): a cursor of (table_name, source_table, archive_table, key_column,
-- table_order).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_TARGETS
RETURN SYS_REFCURSOR
AS
    v_targets SYS_REFCURSOR;
BEGIN
    OPEN v_targets FOR
        SELECT 'jobsarchived4' AS table_name, 'ATLAS_PANDA.JOBSARCHIVED4' AS source_table,
               'ATLAS_PANDAARCH.JOBSARCHIVED' AS archive_table, 'PANDAID' AS key_column, 1 AS table_order FROM DUAL
        UNION ALL SELECT 'filestable4', 'ATLAS_PANDA.FILESTABLE4', 'ATLAS_PANDAARCH.FILESTABLE_ARCH', 'ROW_ID', 2 FROM DUAL
        UNION ALL SELECT 'metatable', 'ATLAS_PANDA.METATABLE', 'ATLAS_PANDAARCH.METATABLE_ARCH', 'PANDAID', 3 FROM DUAL
        UNION ALL SELECT 'jobparamstable', 'ATLAS_PANDA.JOBPARAMSTABLE', 'ATLAS_PANDAARCH.JOBPARAMSTABLE_ARCH', 'PANDAID', 4
                    FROM DUAL
        ORDER BY 5;
    RETURN v_targets;
END ARCHIVE_TARGETS;
/

-- archive_target_for: the archive_targets() row of a table; -20002 for a table that is not archived.
--   p_table_name  'jobsarchived4', 'filestable4', 'metatable' or 'jobparamstable'
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.ARCHIVE_TARGET_FOR(
    p_table_name IN VARCHAR2, source_table OUT VARCHAR2, archive_table OUT VARCHAR2, key_column OUT VARCHAR2)
AS
    v_targets SYS_REFCURSOR := ATLAS_PANDA.ARCHIVE_TARGETS();
    v_name VARCHAR2(30);
    v_source VARCHAR2(100);
    v_archive VARCHAR2(100);
    v_key VARCHAR2(30);
    v_order NUMBER;
BEGIN
    LOOP
        FETCH v_targets INTO v_name, v_source, v_archive, v_key, v_order;
        EXIT WHEN v_targets%NOTFOUND;
        IF v_name = p_table_name THEN
            source_table := v_source;
            archive_table := v_archive;
            key_column := v_key;
        END IF;
    END LOOP;
    CLOSE v_targets;
    IF source_table IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'table ' || p_table_name
            || ' is not archived: give jobsarchived4, filestable4, metatable or jobparamstable');
    END IF;
END ARCHIVE_TARGET_FOR;
/

-- archive_column_list: the columns the source and the archive table both have, in the source's
-- order, quoted and comma separated (the archive tables differ slightly from the live ones).
--   p_source_table   'OWNER.TABLE' of the live table
--   p_archive_table  'OWNER.TABLE' of the archive table
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_COLUMN_LIST(p_source_table IN VARCHAR2, p_archive_table IN VARCHAR2)
RETURN VARCHAR2
AS
    v_list VARCHAR2(32767);
BEGIN
    SELECT LISTAGG('"' || s.COLUMN_NAME || '"', ', ') WITHIN GROUP (ORDER BY s.COLUMN_ID) INTO v_list
      FROM ALL_TAB_COLUMNS s
      JOIN ALL_TAB_COLS a ON a.OWNER = UPPER(REGEXP_SUBSTR(p_archive_table, '^[^.]+'))
                            AND a.TABLE_NAME = UPPER(REGEXP_SUBSTR(p_archive_table, '[^.]+$'))
                            AND a.COLUMN_NAME = s.COLUMN_NAME AND a.VIRTUAL_COLUMN = 'NO'
     WHERE s.OWNER = UPPER(REGEXP_SUBSTR(p_source_table, '^[^.]+'))
       AND s.TABLE_NAME = UPPER(REGEXP_SUBSTR(p_source_table, '[^.]+$'));
    RETURN v_list;
END ARCHIVE_COLUMN_LIST;
/

-- archive_after_days: the age (days) after which a partition is archived: p_older_than_days, else
-- gdpconfig pandaserver/archive/ARCHIVE_AFTER_DAYS, else 3. -20002 for a negative number.
--   p_older_than_days  NULL: the gdpconfig value
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_AFTER_DAYS(p_older_than_days IN NUMBER DEFAULT NULL)
RETURN NUMBER
AS
    v_days NUMBER := COALESCE(p_older_than_days, TO_NUMBER(ATLAS_PANDA.GET_CONFIG_VALUE('archive', 'ARCHIVE_AFTER_DAYS')), 3);
BEGIN
    IF v_days < 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'older-than days must be 0 or more, got ' || v_days);
    END IF;
    RETURN v_days;
END ARCHIVE_AFTER_DAYS;
/

-- archive_candidates: the partitions due for archival (their range ended at least p_older_than_days
-- days before ATLAS_PANDA.PANDA_NOW()), oldest first, with their state: 'to copy' or 'copied' (copied,
-- waiting to be verified and dropped): a cursor of (table_name, partition_name, lower_bound,
-- upper_bound, state).
--   p_older_than_days  NULL: gdpconfig ARCHIVE_AFTER_DAYS (3)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_CANDIDATES(p_older_than_days IN NUMBER DEFAULT NULL)
RETURN SYS_REFCURSOR
AS
    v_limit DATE := ATLAS_PANDA.PANDA_NOW() - ATLAS_PANDA.ARCHIVE_AFTER_DAYS(p_older_than_days);
    v_targets SYS_REFCURSOR := ATLAS_PANDA.ARCHIVE_TARGETS();
    v_children SYS_REFCURSOR;
    v_name VARCHAR2(30); v_source VARCHAR2(100); v_archive VARCHAR2(100); v_key VARCHAR2(30); v_order NUMBER;
    v_schema VARCHAR2(128); v_child VARCHAR2(128); v_is_default NUMBER; v_lower VARCHAR2(100); v_upper VARCHAR2(100);
    v_tables SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_partitions SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_lowers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_uppers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_orders SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_candidates SYS_REFCURSOR;
BEGIN
    LOOP
        FETCH v_targets INTO v_name, v_source, v_archive, v_key, v_order;
        EXIT WHEN v_targets%NOTFOUND;
        v_children := ATLAS_PANDA.PARTITION_CHILDREN(v_source);
        LOOP
            FETCH v_children INTO v_schema, v_child, v_is_default, v_lower, v_upper;
            EXIT WHEN v_children%NOTFOUND;
            -- never P_INITIAL (no lower bound), never a partition still in use
            IF v_is_default = 0 AND v_lower IS NOT NULL AND v_upper IS NOT NULL
               AND TO_DATE(v_upper, 'YYYY-MM-DD HH24:MI:SS') <= v_limit THEN
                v_tables.EXTEND; v_tables(v_tables.COUNT) := v_name;
                v_partitions.EXTEND; v_partitions(v_partitions.COUNT) := v_child;
                v_lowers.EXTEND; v_lowers(v_lowers.COUNT) := v_lower;
                v_uppers.EXTEND; v_uppers(v_uppers.COUNT) := v_upper;
                v_orders.EXTEND; v_orders(v_orders.COUNT) := v_order;
            END IF;
        END LOOP;
        CLOSE v_children;
    END LOOP;
    CLOSE v_targets;
    OPEN v_candidates FOR
        SELECT t.COLUMN_VALUE AS table_name, p.COLUMN_VALUE AS partition_name,
               TO_DATE(l.COLUMN_VALUE, 'YYYY-MM-DD HH24:MI:SS') AS lower_bound,
               TO_DATE(u.COLUMN_VALUE, 'YYYY-MM-DD HH24:MI:SS') AS upper_bound,
               CASE WHEN EXISTS (SELECT 1 FROM ATLAS_PANDA.TABLEPART4COPYING c
                                  WHERE c.TABLE_NAME = t.COLUMN_VALUE AND c.PARTITION_NAME = p.COLUMN_VALUE
                                    AND c.COPIED_TO_ARCH = 'Y' AND c.DELETED_ON IS NULL)
                    THEN 'copied' ELSE 'to copy' END AS state
          FROM (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_tables)) t
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_partitions)) p ON p.k = t.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_lowers)) l ON l.k = t.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_uppers)) u ON u.k = t.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_orders)) o ON o.k = t.k
         ORDER BY TO_DATE(l.COLUMN_VALUE, 'YYYY-MM-DD HH24:MI:SS'), o.COLUMN_VALUE;
    RETURN v_candidates;
END ARCHIVE_CANDIDATES;
/

-- archive_register_candidates: give every partition due for archival its pg_partman name (an interval
-- partition an insert created is SYS_Pnnn until partition maintenance names it; DDL, so it commits) and
-- its tablepart4copying row ('N') so that pending work is visible; returns how many rows were added.
--   p_older_than_days  NULL: gdpconfig ARCHIVE_AFTER_DAYS (3)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_REGISTER_CANDIDATES(p_older_than_days IN NUMBER DEFAULT NULL)
RETURN NUMBER
AS
    v_candidates SYS_REFCURSOR;
    v_table VARCHAR2(30); v_partition VARCHAR2(128); v_lower DATE; v_upper DATE; v_state VARCHAR2(10);
    v_source VARCHAR2(100); v_archive VARCHAR2(100); v_key VARCHAR2(30);
    v_named BOOLEAN;
    v_added NUMBER := 0;
BEGIN
    -- names first: the rows below record the names the partitions keep
    v_candidates := ATLAS_PANDA.ARCHIVE_CANDIDATES(p_older_than_days);
    LOOP
        FETCH v_candidates INTO v_table, v_partition, v_lower, v_upper, v_state;
        EXIT WHEN v_candidates%NOTFOUND;
        IF v_partition LIKE 'sys\_p%' ESCAPE '\' THEN
            ATLAS_PANDA.ARCHIVE_TARGET_FOR(v_table, v_source, v_archive, v_key);
            v_named := ATLAS_PANDA.CREATE_PARTITION_CHILD(v_source, TO_CHAR(v_lower, 'YYYY-MM-DD HH24:MI:SS'));
        END IF;
    END LOOP;
    CLOSE v_candidates;
    v_candidates := ATLAS_PANDA.ARCHIVE_CANDIDATES(p_older_than_days);
    LOOP
        FETCH v_candidates INTO v_table, v_partition, v_lower, v_upper, v_state;
        EXIT WHEN v_candidates%NOTFOUND;
        CONTINUE WHEN v_state <> 'to copy';
        MERGE INTO ATLAS_PANDA.TABLEPART4COPYING c
        USING (SELECT v_table AS TABLE_NAME, v_partition AS PARTITION_NAME FROM DUAL) s
           ON (c.TABLE_NAME = s.TABLE_NAME AND c.PARTITION_NAME = s.PARTITION_NAME AND c.COPIED_TO_ARCH = 'N')
         WHEN NOT MATCHED THEN INSERT (TABLE_NAME, PARTITION_NAME, COPIED_TO_ARCH) VALUES (s.TABLE_NAME, s.PARTITION_NAME, 'N');
        v_added := v_added + SQL%ROWCOUNT;
    END LOOP;
    CLOSE v_candidates;
    RETURN v_added;
END ARCHIVE_REGISTER_CANDIDATES;
/

-- archive_copy_rows: copy a partition's rows into its archive table (internal: the callers lock).
-- The archive rows with the same keys are deleted first, so a repeated copy is exact.
-- Returns {"rows_copied": n, "rows_replaced": m}.
--   p_table_name      the archived table ('jobsarchived4', ...)
--   p_partition_name  one of its partitions (schema ATLAS_PANDA)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_COPY_ROWS(p_table_name IN VARCHAR2, p_partition_name IN VARCHAR2)
RETURN CLOB
AS
    v_source VARCHAR2(100); v_archive VARCHAR2(100); v_key VARCHAR2(30);
    v_columns VARCHAR2(32767);
    v_partition VARCHAR2(300);
    v_replaced NUMBER;
    v_copied NUMBER;
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.ARCHIVE_TARGET_FOR(p_table_name, v_source, v_archive, v_key);
    v_columns := ATLAS_PANDA.ARCHIVE_COLUMN_LIST(v_source, v_archive);
    v_partition := v_source || ' PARTITION ("' || UPPER(DBMS_ASSERT.SIMPLE_SQL_NAME(p_partition_name)) || '")';
    -- the archive is (much) bigger than a partition: its rows are looked up by key
    EXECUTE IMMEDIATE 'DELETE FROM ' || v_archive || ' a WHERE a."' || v_key || '" IN (SELECT p."' || v_key || '" FROM '
                      || v_partition || ' p)';
    v_replaced := SQL%ROWCOUNT;
    EXECUTE IMMEDIATE 'INSERT INTO ' || v_archive || ' (' || v_columns || ') SELECT ' || v_columns || ' FROM ' || v_partition;
    v_copied := SQL%ROWCOUNT;
    v_result.put('rows_copied', v_copied);
    v_result.put('rows_replaced', v_replaced);
    RETURN v_result.to_clob();
END ARCHIVE_COPY_ROWS;
/

-- archive_verified_rows: how many archive rows are twins of the partition's rows (same key, same
-- modificationtime): equal to the partition's row count when each row is in the archive exactly once (internal).
--   p_table_name      the archived table
--   p_partition_name  one of its partitions
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_VERIFIED_ROWS(p_table_name IN VARCHAR2, p_partition_name IN VARCHAR2)
RETURN NUMBER
AS
    v_source VARCHAR2(100); v_archive VARCHAR2(100); v_key VARCHAR2(30);
    v_verified NUMBER;
BEGIN
    ATLAS_PANDA.ARCHIVE_TARGET_FOR(p_table_name, v_source, v_archive, v_key);
    EXECUTE IMMEDIATE 'SELECT COUNT(*) FROM ' || v_source || ' PARTITION ("' || UPPER(DBMS_ASSERT.SIMPLE_SQL_NAME(p_partition_name))
                      || '") p JOIN ' || v_archive || ' a ON a."' || v_key || '" = p."' || v_key
                      || '" AND a.MODIFICATIONTIME = p.MODIFICATIONTIME'
        INTO v_verified;
    RETURN v_verified;
END ARCHIVE_VERIFIED_ROWS;
/

-- archive_copy_partition: step 1 of archiving a partition, one transaction: copy its rows to the
-- archive table and mark it copied ('N' -> 'Y') in tablepart4copying. Writers of the partition wait
-- (LOCK TABLE ... PARTITION ... IN SHARE MODE) until the copy commits. A partition already copied is left alone.
-- Returns {"table_name", "partition_name", "status": copied|already copied|already dropped|busy, "rows_copied", ...}.
--   p_table_name      'jobsarchived4', 'filestable4', 'metatable' or 'jobparamstable'
--   p_partition_name  an interval partition of it, e.g. 'jobsarchived4_p2026_01_01'
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_COPY_PARTITION(p_table_name IN VARCHAR2, p_partition_name IN VARCHAR2)
RETURN CLOB
AS
    v_source VARCHAR2(100); v_archive VARCHAR2(100); v_key VARCHAR2(30);
    v_children SYS_REFCURSOR;
    v_schema VARCHAR2(128); v_child VARCHAR2(128); v_is_default NUMBER; v_lower VARCHAR2(100); v_upper VARCHAR2(100);
    v_found BOOLEAN := FALSE;
    v_lower_bound DATE;
    v_upper_bound DATE;
    v_count NUMBER;
    v_copy JSON_OBJECT_T;
    v_rows_copied NUMBER;
    v_scn NUMBER;
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.ARCHIVE_TARGET_FOR(p_table_name, v_source, v_archive, v_key);
    v_result.put('table_name', p_table_name);
    v_result.put('partition_name', p_partition_name);
    -- one archiver per partition; another run that holds it is doing this very work
    IF NOT PANDADB_SUPPORT.try_xact_lock('pandadb archive ' || p_partition_name) THEN
        v_result.put('status', 'busy');
        RETURN v_result.to_clob();
    END IF;
    v_children := ATLAS_PANDA.PARTITION_CHILDREN(v_source);
    LOOP
        FETCH v_children INTO v_schema, v_child, v_is_default, v_lower, v_upper;
        EXIT WHEN v_children%NOTFOUND;
        IF v_child = LOWER(p_partition_name) AND v_is_default = 0 THEN
            v_found := TRUE;
            v_lower_bound := TO_DATE(v_lower, 'YYYY-MM-DD HH24:MI:SS');
            v_upper_bound := TO_DATE(v_upper, 'YYYY-MM-DD HH24:MI:SS');
        END IF;
    END LOOP;
    CLOSE v_children;
    IF NOT v_found THEN
        SELECT COUNT(*) INTO v_count FROM ATLAS_PANDA.TABLEPART4COPYING
         WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y'
           AND DELETED_ON IS NOT NULL;
        IF v_count > 0 THEN
            -- a concurrent run archived it meanwhile
            v_result.put('status', 'already dropped');
            RETURN v_result.to_clob();
        END IF;
        RAISE_APPLICATION_ERROR(-20003, 'partition ' || p_partition_name || ' of ' || p_table_name
                                        || ' does not exist (see pandadb archive status)');
    END IF;
    EXECUTE IMMEDIATE 'LOCK TABLE ' || v_source || ' PARTITION ("' || UPPER(DBMS_ASSERT.SIMPLE_SQL_NAME(p_partition_name))
                      || '") IN SHARE MODE';
    SELECT COUNT(*) INTO v_count FROM ATLAS_PANDA.TABLEPART4COPYING
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y' AND DELETED_ON IS NULL;
    IF v_count > 0 THEN
        v_result.put('status', 'already copied');
        RETURN v_result.to_clob();
    END IF;
    v_scn := DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER;
    v_copy := JSON_OBJECT_T.parse(ATLAS_PANDA.ARCHIVE_COPY_ROWS(p_table_name, p_partition_name));
    v_rows_copied := v_copy.get_number('rows_copied');
    IF PANDADB_SUPPORT.archive_test_failure = 'mid_copy' THEN
        RAISE_APPLICATION_ERROR(-20000, 'pandadb.archive_test_failure = mid_copy: failing inside the copy of '
                                        || p_partition_name);
    END IF;
    -- a 'Y' row of an earlier partition of the same name (archived and dropped) makes way for this one
    DELETE FROM ATLAS_PANDA.TABLEPART4COPYING
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y';
    UPDATE ATLAS_PANDA.TABLEPART4COPYING
       SET COPIED_TO_ARCH = 'Y', COPYING_DONE_ON = v_now, DELETED_ON = NULL, DATA_VERIF_PASSED = NULL, DATA_VERIFIED_ON = NULL
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'N';
    IF SQL%ROWCOUNT = 0 THEN
        INSERT INTO ATLAS_PANDA.TABLEPART4COPYING (TABLE_NAME, PARTITION_NAME, COPIED_TO_ARCH, COPYING_DONE_ON)
        VALUES (p_table_name, p_partition_name, 'Y', v_now);
    END IF;
    MERGE INTO ATLAS_PANDA.ARCHIVE_PARTITION_LOG l
    USING (SELECT p_table_name AS TABLE_NAME, p_partition_name AS PARTITION_NAME FROM DUAL) s
       ON (l.TABLE_NAME = s.TABLE_NAME AND l.PARTITION_NAME = s.PARTITION_NAME)
     WHEN MATCHED THEN
        UPDATE SET l.LOWER_BOUND = v_lower_bound, l.UPPER_BOUND = v_upper_bound, l.ROWS_COPIED = v_rows_copied,
                   l.ROWS_VERIFIED = NULL, l.COPIES = l.COPIES + 1, l.COPY_SCN = v_scn, l.COPIED_ON = v_now,
                   l.VERIFIED_ON = NULL, l.DROPPED_ON = NULL
     WHEN NOT MATCHED THEN
        INSERT (TABLE_NAME, PARTITION_NAME, LOWER_BOUND, UPPER_BOUND, ROWS_COPIED, COPIES, COPY_SCN, COPIED_ON)
        VALUES (s.TABLE_NAME, s.PARTITION_NAME, v_lower_bound, v_upper_bound, v_rows_copied, 1, v_scn, v_now);
    v_result.put('status', 'copied');
    PANDADB_SUPPORT.merge_members(v_result, v_copy);
    RETURN v_result.to_clob();
END ARCHIVE_COPY_PARTITION;
/

-- archive_verify_and_drop_partition: step 2 of archiving a partition: with writers locked out, check
-- that every row of the partition is in the archive exactly once (twins by key and modificationtime)
-- and that no row was written since the copy (ORA_ROWSCN above the copy's SCN); else copy again and
-- check again; then record it (data_verif_passed 'YES', data_verified_on, deleted_on) and drop the
-- partition (the DDL commits the record with it). A partition that does not verify is kept
-- (data_verif_passed 'NO'). Returns {"status": dropped|verify failed|already dropped|busy, ...}.
--   p_table_name      'jobsarchived4', 'filestable4', 'metatable' or 'jobparamstable'
--   p_partition_name  a partition copied by archive_copy_partition
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_VERIFY_AND_DROP_PARTITION(p_table_name IN VARCHAR2, p_partition_name IN VARCHAR2)
RETURN CLOB
AS
    v_source VARCHAR2(100); v_archive VARCHAR2(100); v_key VARCHAR2(30);
    v_partition VARCHAR2(300);
    v_rows NUMBER;
    v_verified NUMBER;
    v_changed NUMBER;
    v_count NUMBER;
    v_copy_scn NUMBER;
    v_recopy JSON_OBJECT_T;
    v_recopied_rows NUMBER;
    v_scn NUMBER;
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.ARCHIVE_TARGET_FOR(p_table_name, v_source, v_archive, v_key);
    v_result.put('table_name', p_table_name);
    v_result.put('partition_name', p_partition_name);
    IF NOT PANDADB_SUPPORT.try_xact_lock('pandadb archive ' || p_partition_name) THEN
        v_result.put('status', 'busy');
        RETURN v_result.to_clob();
    END IF;
    SELECT COUNT(*) INTO v_count FROM ALL_TAB_PARTITIONS
     WHERE TABLE_OWNER = REGEXP_SUBSTR(v_source, '^[^.]+') AND TABLE_NAME = REGEXP_SUBSTR(v_source, '[^.]+$')
       AND PARTITION_NAME = UPPER(p_partition_name);
    IF v_count = 0 THEN
        SELECT COUNT(*) INTO v_count FROM ATLAS_PANDA.TABLEPART4COPYING
         WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y'
           AND DELETED_ON IS NOT NULL;
        IF v_count > 0 THEN
            v_result.put('status', 'already dropped');
            RETURN v_result.to_clob();
        END IF;
        RAISE_APPLICATION_ERROR(-20003, 'partition ' || p_partition_name || ' of ' || p_table_name
                                        || ' does not exist (see pandadb archive status)');
    END IF;
    SELECT COUNT(*) INTO v_count FROM ATLAS_PANDA.TABLEPART4COPYING
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y' AND DELETED_ON IS NULL;
    IF v_count = 0 THEN
        RAISE_APPLICATION_ERROR(-20004, 'partition ' || p_partition_name
                                        || ' is not copied to the archive yet: archive_copy_partition comes first');
    END IF;
    v_partition := v_source || ' PARTITION ("' || UPPER(DBMS_ASSERT.SIMPLE_SQL_NAME(p_partition_name)) || '")';
    EXECUTE IMMEDIATE 'LOCK TABLE ' || v_partition || ' IN SHARE MODE';
    BEGIN
        SELECT COPY_SCN INTO v_copy_scn FROM ATLAS_PANDA.ARCHIVE_PARTITION_LOG
         WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_copy_scn := NULL;
    END;
    -- rows inserted or updated after the copy carry a higher SCN than the copy's
    EXECUTE IMMEDIATE 'SELECT COUNT(*), COUNT(CASE WHEN :copy_scn IS NULL OR ORA_ROWSCN > :copy_scn THEN 1 END) FROM '
                      || v_partition
        INTO v_rows, v_changed USING v_copy_scn, v_copy_scn;
    v_verified := ATLAS_PANDA.ARCHIVE_VERIFIED_ROWS(p_table_name, p_partition_name);
    IF v_changed > 0 OR v_verified <> v_rows THEN
        -- rows were written after the copy (late updates); nobody can write now: copy again
        v_recopy := JSON_OBJECT_T.parse(ATLAS_PANDA.ARCHIVE_COPY_ROWS(p_table_name, p_partition_name));
        v_verified := ATLAS_PANDA.ARCHIVE_VERIFIED_ROWS(p_table_name, p_partition_name);
        v_recopied_rows := v_recopy.get_number('rows_copied');
        v_scn := DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER;
        UPDATE ATLAS_PANDA.ARCHIVE_PARTITION_LOG
           SET ROWS_COPIED = v_recopied_rows, COPIES = COPIES + 1, COPY_SCN = v_scn
         WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name;
    END IF;
    UPDATE ATLAS_PANDA.ARCHIVE_PARTITION_LOG SET ROWS_VERIFIED = v_verified, VERIFIED_ON = v_now
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name;
    IF v_verified <> v_rows THEN
        UPDATE ATLAS_PANDA.TABLEPART4COPYING SET DATA_VERIF_PASSED = 'NO', DATA_VERIFIED_ON = v_now
         WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y';
        v_result.put('status', 'verify failed');
        v_result.put('rows_in_partition', v_rows);
        v_result.put('rows_verified', v_verified);
        RETURN v_result.to_clob();
    END IF;
    UPDATE ATLAS_PANDA.TABLEPART4COPYING SET DATA_VERIF_PASSED = 'YES', DATA_VERIFIED_ON = v_now
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y';
    IF PANDADB_SUPPORT.archive_test_failure = 'before_drop' THEN
        RAISE_APPLICATION_ERROR(-20000, 'pandadb.archive_test_failure = before_drop: failing before dropping '
                                        || p_partition_name);
    END IF;
    -- recorded before the DROP, which commits them with it (see the file header)
    UPDATE ATLAS_PANDA.TABLEPART4COPYING SET DELETED_ON = v_now
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name AND COPIED_TO_ARCH = 'Y';
    UPDATE ATLAS_PANDA.ARCHIVE_PARTITION_LOG SET DROPPED_ON = v_now
     WHERE TABLE_NAME = p_table_name AND PARTITION_NAME = p_partition_name;
    EXECUTE IMMEDIATE 'ALTER TABLE ' || v_source || ' DROP PARTITION "' || UPPER(DBMS_ASSERT.SIMPLE_SQL_NAME(p_partition_name))
                      || '" UPDATE INDEXES';
    v_result.put('status', 'dropped');
    v_result.put('rows_in_partition', v_rows);
    v_result.put('rows_verified', v_verified);
    v_result.put('recopied', v_recopy IS NOT NULL);
    RETURN v_result.to_clob();
END ARCHIVE_VERIFY_AND_DROP_PARTITION;
/

-- archive_old_partitions: the scheduled job (partitions/scheduled_jobs.tsv): archive every partition
-- due, oldest first, one transaction per step (copy; verify + drop) so that a crash loses at most
-- the step in progress, which the next run redoes. Each step's result is a DBMS_OUTPUT line
-- 'pandadb archive: {json}'.
--   p_older_than_days  archive partitions whose range ended this many days ago; NULL: gdpconfig
--                      pandaserver/archive/ARCHIVE_AFTER_DAYS (3)
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.ARCHIVE_OLD_PARTITIONS(p_older_than_days IN NUMBER DEFAULT NULL)
AS
    v_days NUMBER := ATLAS_PANDA.ARCHIVE_AFTER_DAYS(p_older_than_days);
    v_added NUMBER;
    v_candidates SYS_REFCURSOR;
    v_table VARCHAR2(30); v_partition VARCHAR2(128); v_lower DATE; v_upper DATE; v_state VARCHAR2(10);
    v_tables SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_partitions SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_states SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_result CLOB;
    v_status VARCHAR2(30);
BEGIN
    v_added := ATLAS_PANDA.ARCHIVE_REGISTER_CANDIDATES(v_days);
    COMMIT;
    -- read first: the steps below commit, which a cursor left open across them would not survive
    v_candidates := ATLAS_PANDA.ARCHIVE_CANDIDATES(v_days);
    LOOP
        FETCH v_candidates INTO v_table, v_partition, v_lower, v_upper, v_state;
        EXIT WHEN v_candidates%NOTFOUND;
        v_tables.EXTEND; v_tables(v_tables.COUNT) := v_table;
        v_partitions.EXTEND; v_partitions(v_partitions.COUNT) := v_partition;
        v_states.EXTEND; v_states(v_states.COUNT) := v_state;
    END LOOP;
    CLOSE v_candidates;
    FOR i IN 1 .. v_tables.COUNT LOOP
        IF v_states(i) = 'to copy' THEN
            v_result := ATLAS_PANDA.ARCHIVE_COPY_PARTITION(v_tables(i), v_partitions(i));
            DBMS_OUTPUT.PUT_LINE('pandadb archive: ' || DBMS_LOB.SUBSTR(v_result, 32000, 1));
            COMMIT;
            v_status := PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_result), 'status');
            CONTINUE WHEN v_status NOT IN ('copied', 'already copied');
            IF PANDADB_SUPPORT.archive_test_failure = 'after_copy' THEN
                RAISE_APPLICATION_ERROR(-20000, 'pandadb.archive_test_failure = after_copy: stopping after the copy of '
                                                || v_partitions(i));
            END IF;
        END IF;
        v_result := ATLAS_PANDA.ARCHIVE_VERIFY_AND_DROP_PARTITION(v_tables(i), v_partitions(i));
        DBMS_OUTPUT.PUT_LINE('pandadb archive: ' || DBMS_LOB.SUBSTR(v_result, 32000, 1));
        COMMIT;
    END LOOP;
END ARCHIVE_OLD_PARTITIONS;
/

-- archive_status: tablepart4copying with the row counts of ARCHIVE_PARTITION_LOG, newest first: a cursor
-- of (table_name, partition_name, copied_to_arch, copying_done_on, data_verif_passed, data_verified_on,
-- deleted_on, rows_copied, rows_verified, copies).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_STATUS
RETURN SYS_REFCURSOR
AS
    v_status SYS_REFCURSOR;
BEGIN
    OPEN v_status FOR
        SELECT c.TABLE_NAME AS table_name, c.PARTITION_NAME AS partition_name, c.COPIED_TO_ARCH AS copied_to_arch,
               c.COPYING_DONE_ON AS copying_done_on, c.DATA_VERIF_PASSED AS data_verif_passed,
               c.DATA_VERIFIED_ON AS data_verified_on, c.DELETED_ON AS deleted_on, l.ROWS_COPIED AS rows_copied,
               l.ROWS_VERIFIED AS rows_verified, l.COPIES AS copies
          FROM ATLAS_PANDA.TABLEPART4COPYING c
          LEFT JOIN ATLAS_PANDA.ARCHIVE_PARTITION_LOG l ON l.TABLE_NAME = c.TABLE_NAME AND l.PARTITION_NAME = c.PARTITION_NAME
         ORDER BY l.LOWER_BOUND DESC NULLS FIRST, c.PARTITION_NAME DESC, c.TABLE_NAME;
    RETURN v_status;
END ARCHIVE_STATUS;
/

-- archive_table_counts: the rows of each archive table (exact counts, or the optimizer's statistics):
-- a cursor of (archive_table, row_count).
--   p_exact  FALSE: ALL_TABLES.NUM_ROWS (fast on big archives)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ARCHIVE_TABLE_COUNTS(p_exact IN BOOLEAN DEFAULT TRUE)
RETURN SYS_REFCURSOR
AS
    v_targets SYS_REFCURSOR := ATLAS_PANDA.ARCHIVE_TARGETS();
    v_name VARCHAR2(30); v_source VARCHAR2(100); v_archive VARCHAR2(100); v_key VARCHAR2(30); v_order NUMBER;
    v_sql VARCHAR2(32767);
    v_counts SYS_REFCURSOR;
BEGIN
    LOOP
        FETCH v_targets INTO v_name, v_source, v_archive, v_key, v_order;
        EXIT WHEN v_targets%NOTFOUND;
        v_sql := v_sql || CASE WHEN v_sql IS NOT NULL THEN ' UNION ALL ' END
                 || CASE WHEN NVL(p_exact, TRUE)
                         THEN 'SELECT ''' || v_archive || ''' AS archive_table, COUNT(*) AS row_count, ' || v_order
                              || ' AS table_order FROM ' || v_archive
                         ELSE 'SELECT ''' || v_archive || ''', NVL(MAX(NUM_ROWS), 0), ' || v_order
                              || ' FROM ALL_TABLES WHERE OWNER = ''' || REGEXP_SUBSTR(v_archive, '^[^.]+')
                              || ''' AND TABLE_NAME = ''' || REGEXP_SUBSTR(v_archive, '[^.]+$') || '''' END;
    END LOOP;
    CLOSE v_targets;
    OPEN v_counts FOR 'SELECT archive_table, row_count FROM (' || v_sql || ') ORDER BY table_order';
    RETURN v_counts;
END ARCHIVE_TABLE_COUNTS;
/
