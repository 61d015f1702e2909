-- Partition maintenance (seed 004, section 8.4): the policy in doma_panda.partition_policy
-- (partitions/policy.tsv, loaded by revision 0003_partitioning) applied to every partitioned table.
--
-- Two engines, one result. Where the pg_partman extension is installed (schema partman) it does
-- the work: partman.create_parent() registers a table, partman.run_maintenance() premakes and
-- retires children. Where it is not, the functions below create and drop EXACTLY the children
-- pg_partman 4.7.2 would (same names <parent>_pYYYY_MM_DD / <parent>_pYYYY_MM / <parent>_p<id>,
-- same bounds, same premake and retention arithmetic), with the settings in doma_panda.part_config
-- (pg_partman's column names). On top of both engines pandadb adds two guarantees:
--   * rows that landed in the default partition are moved into the children they belong to
--     (the children are created for them); only rows already past retention stay there;
--   * time-partitioned tables always have the child of "now" and the premake children after it.
--
-- "Now" is doma_panda.panda_now() (pin it with SET pandadb.clock). pg_partman itself reads the
-- transaction clock (CURRENT_TIMESTAMP), so a pinned clock only moves the pandadb engine.
-- All children are computed in UTC: the functions that create children run with timezone = UTC.

-- partition_engine: 'pg_partman' when the pg_partman extension is installed in schema partman,
-- else 'pandadb' (this file's own implementation).
CREATE OR REPLACE FUNCTION doma_panda.partition_engine()
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                              WHERE e.extname = 'pg_partman' AND n.nspname = 'partman')
                THEN 'pg_partman' ELSE 'pandadb' END;
$$;

-- partition_child_name: the name pg_partman 4.x gives a child (check_name_length(parent, suffix, true)):
-- <parent>_p<suffix>, the parent's name cut so that the whole name fits in 63 bytes.
--   p_parent_tablename  the parent's table name (no schema)
--   p_suffix            to_char(lower bound, datetime_string) for time, the lower bound for id
CREATE OR REPLACE FUNCTION doma_panda.partition_child_name(p_parent_tablename text, p_suffix text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN char_length(p_parent_tablename) + char_length(p_suffix) >= 61
                THEN substring(p_parent_tablename FROM 1 FOR 61 - char_length(p_suffix)) || '_p' || p_suffix
                ELSE p_parent_tablename || '_p' || p_suffix END;
$$;

-- partition_is_id_interval: true when a policy interval is a number of ids (id key), false for a time interval.
--   p_partition_interval  the policy's interval: '1 day', '1 month', '500000', ...
CREATE OR REPLACE FUNCTION doma_panda.partition_is_id_interval(p_partition_interval text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_partition_interval ~ '^\s*[0-9]+\s*$';
$$;

-- partition_datetime_string: pg_partman's suffix format for a time interval ('1 day' -> YYYY_MM_DD,
-- '1 month' -> YYYY_MM); only whole days and months are supported, as in the policy.
--   p_partition_interval  the policy's time interval
CREATE OR REPLACE FUNCTION doma_panda.partition_datetime_string(p_partition_interval text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE p_partition_interval::interval
        WHEN interval '1 day' THEN RETURN 'YYYY_MM_DD';
        WHEN interval '1 month' THEN RETURN 'YYYY_MM';
        ELSE RAISE EXCEPTION 'partition interval % is not supported: use 1 day, 1 month or a number of ids', p_partition_interval
                 USING ERRCODE = 'PD002';
    END CASE;
END;
$$;

-- partition_time_bucket: the lower bound of the time child holding p_value (day or month start).
--   p_value               a value of the control column
--   p_partition_interval  '1 day' or '1 month'
CREATE OR REPLACE FUNCTION doma_panda.partition_time_bucket(p_value timestamp without time zone, p_partition_interval text)
RETURNS timestamp without time zone
LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc(CASE WHEN doma_panda.partition_datetime_string(p_partition_interval) = 'YYYY_MM' THEN 'month' ELSE 'day' END,
                      p_value);
$$;

-- partition_policy_for: the policy row of a partitioned table; PD003 when the table has none.
--   p_parent_table  schema-qualified name, e.g. 'doma_panda.jobsarchived4'
CREATE OR REPLACE FUNCTION doma_panda.partition_policy_for(
    p_parent_table text,
    OUT schema_name text, OUT table_name text, OUT partition_key text, OUT partition_interval text,
    OUT premake integer, OUT retention text, OUT handled text)
RETURNS record
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT p.schema_name, p.table_name, p.partition_key, p.partition_interval, p.premake, p.retention, p.handled
      INTO schema_name, table_name, partition_key, partition_interval, premake, retention, handled
      FROM doma_panda.partition_policy p
     WHERE p.schema_name || '.' || p.table_name = p_parent_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % has no partition policy: give a schema-qualified table of partitions/policy.tsv (see pandadb partitions list)',
            p_parent_table USING ERRCODE = 'PD003';
    END IF;
END;
$$;

-- partition_children: the partitions of a table with their bounds as text (NULL for DEFAULT and LIST).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION doma_panda.partition_children(p_parent_table text)
RETURNS TABLE (child_schema text, child_table text, is_default boolean, lower_bound text, upper_bound text)
LANGUAGE sql STABLE AS $$
    SELECT n.nspname::text, c.relname::text, b.bound = 'DEFAULT',
           btrim((regexp_match(b.bound, '^FOR VALUES FROM \((.*)\) TO \((.*)\)$'))[1], ''''),
           btrim((regexp_match(b.bound, '^FOR VALUES FROM \((.*)\) TO \((.*)\)$'))[2], '''')
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      -- relid 0: bounds hold no Vars, and pg_get_expr then opens (locks) no relation
      CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, 0) AS bound) b
     WHERE i.inhparent = p_parent_table::regclass;
$$;

-- partition_default_name: the default partition of a table, schema-qualified and quoted (NULL when it has none).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION doma_panda.partition_default_name(p_parent_table text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%I.%I', child_schema, child_table) FROM doma_panda.partition_children(p_parent_table) WHERE is_default;
$$;

-- partition_column_list: the table's stored columns (no dropped or generated ones), quoted, in order.
--   p_table  schema-qualified table name
CREATE OR REPLACE FUNCTION doma_panda.partition_column_list(p_table text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
     WHERE attrelid = p_table::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
$$;

-- partition_is_registered: whether the engine in use already manages the table (its part_config has it).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION doma_panda.partition_is_registered(p_parent_table text)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_found boolean;
BEGIN
    IF doma_panda.partition_engine() = 'pg_partman' THEN
        SELECT EXISTS (SELECT 1 FROM partman.part_config WHERE parent_table = p_parent_table) INTO v_found;
    ELSE
        SELECT EXISTS (SELECT 1 FROM doma_panda.part_config WHERE parent_table = p_parent_table) INTO v_found;
    END IF;
    RETURN v_found;
END;
$$;

-- create_partition_child: create the child of a table whose range starts at p_lower_bound, unless a
-- table of that name exists (pg_partman's rule). pg_partman creates it where installed
-- (create_partition_time / create_partition_id), else CREATE TABLE ... PARTITION OF with the same
-- name and bounds. Returns true when a child was created. The default partition must not hold rows
-- of the range (PostgreSQL refuses): callers lift them first (partition_lift_default_rows).
--   p_parent_table  schema-qualified parent name (must have a policy)
--   p_lower_bound   the range start: a day/month start (time) or a multiple of the interval (id)
CREATE OR REPLACE FUNCTION doma_panda.create_partition_child(p_parent_table text, p_lower_bound text)
RETURNS boolean
LANGUAGE plpgsql
SET timezone = 'UTC' AS $$
DECLARE
    v_policy record;
    v_is_id boolean;
    v_child text;
    v_upper text;
    v_created boolean;
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    v_is_id := doma_panda.partition_is_id_interval(v_policy.partition_interval);
    IF v_is_id THEN
        v_child := doma_panda.partition_child_name(v_policy.table_name, p_lower_bound::bigint::text);
        v_upper := (p_lower_bound::bigint + v_policy.partition_interval::bigint)::text;
    ELSE
        v_child := doma_panda.partition_child_name(v_policy.table_name,
                       to_char(p_lower_bound::timestamp, doma_panda.partition_datetime_string(v_policy.partition_interval)));
        v_upper := (p_lower_bound::timestamp + v_policy.partition_interval::interval)::text;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = v_policy.schema_name AND c.relname = v_child) THEN
        RETURN false;
    END IF;
    IF doma_panda.partition_engine() = 'pg_partman' THEN
        IF v_is_id THEN
            v_created := partman.create_partition_id(p_parent_table, ARRAY[p_lower_bound::bigint], false);
        ELSE
            v_created := partman.create_partition_time(p_parent_table, ARRAY[p_lower_bound::timestamp::timestamptz], false);
        END IF;
        RETURN coalesce(v_created, false);
    END IF;
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                   v_policy.schema_name, v_child, v_policy.schema_name, v_policy.table_name, p_lower_bound, v_upper);
    RETURN true;
END;
$$;

-- create_partition_for_value: create (if missing) the child that holds p_value and return its name,
-- e.g. to prepare old days before a bulk load. Rows of its range waiting in the default partition
-- are moved into it.
--   p_parent_table  schema-qualified parent name (must have a policy)
--   p_value         a value of the control column, as text ('2026-01-01 10:00' or '1234567')
CREATE OR REPLACE FUNCTION doma_panda.create_partition_for_value(p_parent_table text, p_value text)
RETURNS text
LANGUAGE plpgsql
SET timezone = 'UTC' AS $$
DECLARE
    v_policy record;
    v_lower text;
    v_holding text;
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    IF v_policy.handled = 'STATIC' THEN
        RAISE EXCEPTION 'table % has static partitions', p_parent_table USING ERRCODE = 'PD002';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('pandadb partition maintenance'), hashtext(p_parent_table));
    IF doma_panda.partition_is_id_interval(v_policy.partition_interval) THEN
        v_lower := (p_value::bigint - p_value::bigint % v_policy.partition_interval::bigint)::text;
    ELSE
        v_lower := doma_panda.partition_time_bucket(p_value::timestamp, v_policy.partition_interval)::text;
    END IF;
    v_holding := doma_panda.partition_lift_default_rows(p_parent_table, v_lower);
    PERFORM doma_panda.create_partition_child(p_parent_table, v_lower);
    PERFORM doma_panda.partition_restore_lifted_rows(p_parent_table, v_holding, false);
    RETURN (SELECT child_table FROM doma_panda.partition_children(p_parent_table)
             WHERE NOT is_default AND lower_bound = (CASE WHEN doma_panda.partition_is_id_interval(v_policy.partition_interval)
                                                          THEN v_lower ELSE v_lower::timestamp::text END));
END;
$$;

-- partition_lift_default_rows: move rows out of the default partition into a temporary holding table
-- (dropped at commit) so that children covering them can be created; partition_restore_lifted_rows
-- puts them back through the parent. Returns the holding table's name.
--   p_parent_table  schema-qualified parent name
--   p_only_bucket   NULL: every row; else only the rows of the child starting there
CREATE OR REPLACE FUNCTION doma_panda.partition_lift_default_rows(p_parent_table text, p_only_bucket text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_policy record;
    v_default text := doma_panda.partition_default_name(p_parent_table);
    v_holding text := 'pandadb_lifted_' || p_parent_table::regclass::oid;
    v_columns text := doma_panda.partition_column_list(p_parent_table);
    v_filter text := '';
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    IF to_regclass('pg_temp.' || quote_ident(v_holding)) IS NOT NULL THEN
        EXECUTE format('DROP TABLE pg_temp.%I', v_holding);
    END IF;
    EXECUTE format('CREATE TEMPORARY TABLE %I ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA',
                   v_holding, v_columns, p_parent_table);
    IF v_default IS NULL THEN
        RETURN v_holding;
    END IF;
    IF p_only_bucket IS NULL AND v_policy.retention IS NOT NULL
       AND NOT doma_panda.partition_is_id_interval(v_policy.partition_interval) THEN
        -- rows already past retention would only be put back: leave them where they are
        v_filter := format(' WHERE doma_panda.partition_time_bucket(%I, %L) + %L::interval >= %L::timestamp - %L::interval',
                           v_policy.partition_key, v_policy.partition_interval, v_policy.partition_interval,
                           doma_panda.panda_now(), v_policy.retention);
    ELSIF p_only_bucket IS NOT NULL THEN
        IF doma_panda.partition_is_id_interval(v_policy.partition_interval) THEN
            v_filter := format(' WHERE %I >= %L AND %I < %L', v_policy.partition_key, p_only_bucket, v_policy.partition_key,
                               (p_only_bucket::bigint + v_policy.partition_interval::bigint)::text);
        ELSE
            v_filter := format(' WHERE %I >= %L AND %I < %L', v_policy.partition_key, p_only_bucket, v_policy.partition_key,
                               (p_only_bucket::timestamp + v_policy.partition_interval::interval)::text);
        END IF;
    END IF;
    EXECUTE format('WITH lifted AS (DELETE FROM %s%s RETURNING %s) INSERT INTO pg_temp.%I (%s) SELECT %s FROM lifted',
                   v_default, v_filter, v_columns, v_holding, v_columns, v_columns);
    RETURN v_holding;
END;
$$;

-- partition_restore_lifted_rows: create the children the lifted rows belong to, then insert the rows
-- back through the parent. Rows of a child that retention would drop at once are not given a child:
-- they go back to the default partition (reported by pandadb partitions list).
-- Returns {"rows_moved": n, "rows_left_in_default": m, "created": [children]}.
--   p_parent_table    schema-qualified parent name
--   p_holding_table   the temporary table partition_lift_default_rows returned
--   p_create_children false: only put the rows back (the caller created the child)
CREATE OR REPLACE FUNCTION doma_panda.partition_restore_lifted_rows(p_parent_table text, p_holding_table text,
                                                                    p_create_children boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql
SET timezone = 'UTC' AS $$
DECLARE
    v_policy record;
    v_is_id boolean;
    v_columns text := doma_panda.partition_column_list(p_parent_table);
    v_default text;
    v_bucket text;
    v_created text[] := '{}';
    v_rows bigint;
    v_kept bigint := 0;
    v_left bigint := 0;
    v_child text;
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    v_is_id := doma_panda.partition_is_id_interval(v_policy.partition_interval);
    IF p_create_children THEN
        FOR v_bucket IN EXECUTE CASE WHEN v_is_id
            THEN format('SELECT DISTINCT (%1$I - %1$I %% %2$s)::text FROM pg_temp.%3$I ORDER BY 1',
                        v_policy.partition_key, v_policy.partition_interval::bigint, p_holding_table)
            ELSE format('SELECT DISTINCT doma_panda.partition_time_bucket(%I, %L) FROM pg_temp.%I ORDER BY 1',
                        v_policy.partition_key, v_policy.partition_interval, p_holding_table) END
        LOOP
            -- a child retention drops at once would only lose these rows: leave them visible in the default
            CONTINUE WHEN NOT v_is_id AND v_policy.retention IS NOT NULL
                AND v_bucket::timestamp + v_policy.partition_interval::interval < doma_panda.panda_now() - v_policy.retention::interval;
            IF doma_panda.create_partition_child(p_parent_table, v_bucket) THEN
                SELECT child_table INTO v_child FROM doma_panda.partition_children(p_parent_table)
                 WHERE NOT is_default AND lower_bound = CASE WHEN v_is_id THEN v_bucket ELSE v_bucket::timestamp::text END;
                v_created := v_created || v_child;
            END IF;
        END LOOP;
    END IF;
    v_default := doma_panda.partition_default_name(p_parent_table);
    IF v_default IS NOT NULL THEN
        EXECUTE format('SELECT count(*) FROM %s', v_default) INTO v_kept;
    END IF;
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM pg_temp.%I', p_parent_table, v_columns, v_columns, p_holding_table);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_default IS NOT NULL THEN
        EXECUTE format('SELECT count(*) FROM %s', v_default) INTO v_left;
    END IF;
    EXECUTE format('TRUNCATE pg_temp.%I', p_holding_table);
    RETURN jsonb_build_object('rows_moved', v_rows - (v_left - v_kept), 'rows_left_in_default', v_left,
                              'created', to_jsonb(v_created));
END;
$$;

-- partition_own_create_parent: the pandadb engine's partman.create_parent(): record the table in
-- doma_panda.part_config and create its first children exactly as pg_partman 4.7.2 does:
-- time: from the interval start of p_start_partition while the start is before now + premake intervals;
-- id: the interval holding p_start_partition and premake more after it.
--   p_parent_table       schema-qualified parent name (must have a policy)
--   p_start_partition    the first value to cover (time or id, as text)
CREATE OR REPLACE FUNCTION doma_panda.partition_own_create_parent(p_parent_table text, p_start_partition text)
RETURNS void
LANGUAGE plpgsql
SET timezone = 'UTC' AS $$
DECLARE
    v_policy record;
    v_is_id boolean;
    v_now timestamp without time zone := doma_panda.panda_now();
    v_interval interval;
    v_base timestamp without time zone;
    v_id_interval bigint;
    v_start_id bigint;
    v_count integer := 1;
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    v_is_id := doma_panda.partition_is_id_interval(v_policy.partition_interval);
    INSERT INTO doma_panda.part_config (parent_table, control, partition_type, partition_interval, premake, epoch,
                                        retention, retention_keep_table, infinite_time_partitions, datetime_string,
                                        automatic_maintenance)
    VALUES (p_parent_table, v_policy.partition_key, 'native',
            CASE WHEN v_is_id THEN v_policy.partition_interval::bigint::text ELSE v_policy.partition_interval::interval::text END,
            v_policy.premake, 'none', v_policy.retention, false, true,
            CASE WHEN v_is_id THEN NULL ELSE doma_panda.partition_datetime_string(v_policy.partition_interval) END,
            CASE WHEN v_policy.handled = 'MANUAL' THEN 'off' ELSE 'on' END);
    IF v_is_id THEN
        v_id_interval := v_policy.partition_interval::bigint;
        v_start_id := p_start_partition::bigint - p_start_partition::bigint % v_id_interval;
        FOR i IN 0..v_policy.premake LOOP
            PERFORM doma_panda.create_partition_child(p_parent_table, (v_start_id + v_id_interval * i)::text);
        END LOOP;
    ELSE
        v_interval := v_policy.partition_interval::interval;
        v_base := doma_panda.partition_time_bucket(p_start_partition::timestamp, v_policy.partition_interval);
        PERFORM doma_panda.create_partition_child(p_parent_table, v_base::text);
        WHILE v_base + v_interval * v_count < v_now + v_interval * v_policy.premake LOOP
            PERFORM doma_panda.create_partition_child(p_parent_table, (v_base + v_interval * v_count)::text);
            v_count := v_count + 1;
        END LOOP;
    END IF;
    IF doma_panda.partition_default_name(p_parent_table) IS NULL THEN
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT', v_policy.schema_name,
                       left(v_policy.table_name, 55) || '_default', v_policy.schema_name, v_policy.table_name);
    END IF;
END;
$$;

-- partition_own_run_maintenance: the pandadb engine's partman.run_maintenance(parent), pg_partman
-- 4.7.2's arithmetic: drop children whose whole range is older than retention (never the last one),
-- then premake after the last child until premake intervals lie between "now" (time,
-- infinite_time_partitions) or the highest id's interval (id) and the last child.
--   p_parent_table  schema-qualified parent name, registered in doma_panda.part_config
CREATE OR REPLACE FUNCTION doma_panda.partition_own_run_maintenance(p_parent_table text)
RETURNS void
LANGUAGE plpgsql
SET timezone = 'UTC' AS $$
DECLARE
    v_config doma_panda.part_config;
    v_is_id boolean;
    v_child record;
    v_default text := doma_panda.partition_default_name(p_parent_table);
    v_last text;
    v_current_time timestamp without time zone;
    v_next_time timestamp without time zone;
    v_max_default_time timestamp without time zone;
    v_current_id bigint;
    v_next_id bigint;
    v_max_default_id bigint;
    v_premade numeric;
BEGIN
    SELECT * INTO v_config FROM doma_panda.part_config WHERE parent_table = p_parent_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not registered for partition maintenance', p_parent_table USING ERRCODE = 'PD003';
    END IF;
    v_is_id := doma_panda.partition_is_id_interval(v_config.partition_interval);

    IF v_is_id THEN
        SELECT max(lower_bound::bigint)::text INTO v_last FROM doma_panda.partition_children(p_parent_table) WHERE NOT is_default;
        IF v_last IS NULL THEN
            RETURN;
        END IF;
        -- the interval of the highest id in the children (highest child first), or in the default when higher
        FOR v_child IN SELECT * FROM doma_panda.partition_children(p_parent_table) WHERE NOT is_default
                        ORDER BY lower_bound::bigint DESC LOOP
            EXECUTE format('SELECT max(%I) FROM %I.%I', v_config.control, v_child.child_schema, v_child.child_table)
               INTO v_current_id;
            IF v_current_id IS NOT NULL THEN
                v_current_id := v_current_id - v_current_id % v_config.partition_interval::bigint;
                EXIT;
            END IF;
        END LOOP;
        IF v_default IS NOT NULL THEN
            EXECUTE format('SELECT max(%I) FROM %s', v_config.control, v_default) INTO v_max_default_id;
            IF v_max_default_id > v_current_id THEN
                v_current_id := v_max_default_id - v_max_default_id % v_config.partition_interval::bigint;
            END IF;
        END IF;
        IF v_current_id IS NULL THEN
            RETURN;  -- an empty set: nothing to premake from (pg_partman does the same)
        END IF;
        v_next_id := v_last::bigint;
        v_premade := (v_last::bigint - v_current_id) / v_config.partition_interval::bigint;
        WHILE v_premade < v_config.premake LOOP
            v_next_id := v_next_id + v_config.partition_interval::bigint;
            PERFORM doma_panda.create_partition_child(p_parent_table, v_next_id::text);
            v_premade := (v_next_id - v_current_id) / v_config.partition_interval::bigint;
        END LOOP;
        RETURN;
    END IF;

    -- retention: children whose end is before now - retention, oldest first, never the last child
    IF v_config.retention IS NOT NULL THEN
        FOR v_child IN SELECT * FROM doma_panda.partition_children(p_parent_table) WHERE NOT is_default
                        ORDER BY lower_bound::timestamp LOOP
            IF v_child.lower_bound::timestamp + v_config.partition_interval::interval
               < doma_panda.panda_now() - v_config.retention::interval THEN
                IF (SELECT count(*) FROM doma_panda.partition_children(p_parent_table) WHERE NOT is_default) = 1 THEN
                    RAISE WARNING 'retention would drop the last partition of %: kept', p_parent_table;
                    CONTINUE;
                END IF;
                EXECUTE format('ALTER TABLE %s DETACH PARTITION %I.%I', p_parent_table, v_child.child_schema, v_child.child_table);
                EXECUTE format('DROP TABLE %I.%I', v_child.child_schema, v_child.child_table);
            END IF;
        END LOOP;
    END IF;

    SELECT max(lower_bound::timestamp) INTO v_next_time FROM doma_panda.partition_children(p_parent_table) WHERE NOT is_default;
    IF v_next_time IS NULL THEN
        RETURN;
    END IF;
    v_current_time := doma_panda.panda_now();  -- infinite_time_partitions: premake from now
    IF v_default IS NOT NULL AND NOT v_config.ignore_default_data THEN
        EXECUTE format('SELECT max(%I) FROM %s', v_config.control, v_default) INTO v_max_default_time;
        IF v_max_default_time > v_current_time THEN
            v_current_time := doma_panda.partition_time_bucket(v_max_default_time, v_config.partition_interval);
        END IF;
    END IF;
    v_premade := round(EXTRACT(epoch FROM age(v_next_time, v_current_time))
                       / EXTRACT(epoch FROM v_config.partition_interval::interval));
    WHILE v_premade < v_config.premake LOOP
        v_next_time := v_next_time + v_config.partition_interval::interval;
        PERFORM doma_panda.create_partition_child(p_parent_table, v_next_time::text);
        v_premade := round(EXTRACT(epoch FROM age(v_next_time, v_current_time))
                           / EXTRACT(epoch FROM v_config.partition_interval::interval));
    END LOOP;
END;
$$;

-- apply_partition_policy: write the policy's premake, retention and maintenance mode into the
-- engine's part_config (pg_partman: also retention_keep_table = false, infinite_time_partitions = true).
--   p_parent_table  schema-qualified parent name, registered
CREATE OR REPLACE FUNCTION doma_panda.apply_partition_policy(p_parent_table text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_policy record;
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    IF doma_panda.partition_engine() = 'pg_partman' THEN
        UPDATE partman.part_config
           SET premake = v_policy.premake, retention = v_policy.retention, retention_keep_table = false,
               infinite_time_partitions = true,
               automatic_maintenance = CASE WHEN v_policy.handled = 'MANUAL' THEN 'off' ELSE 'on' END
         WHERE parent_table = p_parent_table;
    ELSE
        UPDATE doma_panda.part_config
           SET premake = v_policy.premake, retention = v_policy.retention, retention_keep_table = false,
               infinite_time_partitions = true,
               automatic_maintenance = CASE WHEN v_policy.handled = 'MANUAL' THEN 'off' ELSE 'on' END
         WHERE parent_table = p_parent_table;
    END IF;
END;
$$;

-- partition_child_names: the sorted names of a table's children (the default partition excluded).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION doma_panda.partition_child_names(p_parent_table text)
RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(child_table ORDER BY child_table), '{}')
      FROM doma_panda.partition_children(p_parent_table) WHERE NOT is_default;
$$;

-- register_partitioned_table: put a table of the policy under partition maintenance (pg_partman's
-- create_parent, or the pandadb engine's twin). Rows already in its default partition are lifted out
-- first and put back into the children created for them. pg_partman creates its own <parent>_default,
-- so the (then empty) existing one is dropped before. Idempotent: a registered table only gets the
-- policy's settings again. Returns {"parent_table", "engine", "status", "created", "rows_moved", ...}.
--   p_parent_table  schema-qualified parent name, e.g. 'doma_panda.jobsarchived4'
CREATE OR REPLACE FUNCTION doma_panda.register_partitioned_table(p_parent_table text)
RETURNS jsonb
LANGUAGE plpgsql
SET timezone = 'UTC' AS $$
DECLARE
    v_policy record;
    v_engine text := doma_panda.partition_engine();
    v_is_id boolean;
    v_before text[];
    v_holding text;
    v_start text;
    v_max bigint;
    v_restored jsonb;
    v_default text;
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    v_is_id := doma_panda.partition_is_id_interval(v_policy.partition_interval);
    IF v_policy.handled = 'STATIC' THEN
        RETURN jsonb_build_object('parent_table', p_parent_table, 'engine', v_engine, 'status', 'static');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('pandadb partition maintenance'), hashtext(p_parent_table));
    IF doma_panda.partition_is_registered(p_parent_table) THEN
        PERFORM doma_panda.apply_partition_policy(p_parent_table);
        RETURN jsonb_build_object('parent_table', p_parent_table, 'engine', v_engine, 'status', 'already registered');
    END IF;
    v_before := doma_panda.partition_child_names(p_parent_table);
    v_holding := doma_panda.partition_lift_default_rows(p_parent_table);
    IF v_is_id THEN
        -- cover the current highest id (children and lifted rows) and premake intervals after it
        EXECUTE format('SELECT greatest((SELECT max(%1$I) FROM %2$s), (SELECT max(%1$I) FROM pg_temp.%3$I), 0)',
                       v_policy.partition_key, p_parent_table, v_holding) INTO v_max;
        v_start := v_max::text;
    ELSE
        v_start := (doma_panda.panda_now() - v_policy.partition_interval::interval * v_policy.premake)::text;
    END IF;
    IF v_engine = 'pg_partman' THEN
        -- pg_partman creates and attaches its own <parent>_default
        v_default := doma_panda.partition_default_name(p_parent_table);
        IF v_default IS NOT NULL THEN
            EXECUTE format('DROP TABLE %s', v_default);
        END IF;
        PERFORM partman.create_parent(
            p_parent_table => p_parent_table, p_control => v_policy.partition_key, p_type => 'native',
            p_interval => CASE WHEN v_is_id THEN v_policy.partition_interval::bigint::text
                               WHEN doma_panda.partition_datetime_string(v_policy.partition_interval) = 'YYYY_MM' THEN 'monthly'
                               ELSE 'daily' END,
            p_premake => v_policy.premake, p_start_partition => v_start,
            p_automatic_maintenance => CASE WHEN v_policy.handled = 'MANUAL' THEN 'off' ELSE 'on' END,
            p_jobmon => false);
        PERFORM doma_panda.apply_partition_policy(p_parent_table);
    ELSE
        PERFORM doma_panda.partition_own_create_parent(p_parent_table, v_start);
    END IF;
    v_restored := doma_panda.partition_restore_lifted_rows(p_parent_table, v_holding);
    RETURN jsonb_build_object('parent_table', p_parent_table, 'engine', v_engine, 'status', 'registered',
                              'created', to_jsonb(ARRAY(SELECT unnest(doma_panda.partition_child_names(p_parent_table))
                                                        EXCEPT SELECT unnest(v_before) ORDER BY 1)),
                              'dropped', '[]'::jsonb,
                              'rows_moved', v_restored->'rows_moved',
                              'rows_left_in_default', v_restored->'rows_left_in_default');
END;
$$;

-- maintain_partitioned_table: one maintenance run of one table, in one transaction: register it if
-- needed, move the default partition's rows into their children (created for them), let the engine
-- premake and retire children (partman.run_maintenance(parent) or partition_own_run_maintenance),
-- and make sure a time table has the child of now and the premake children after it.
-- Returns {"parent_table", "engine", "created": [...], "dropped": [...], "rows_moved", "rows_left_in_default"}.
--   p_parent_table  schema-qualified parent name of the policy
CREATE OR REPLACE FUNCTION doma_panda.maintain_partitioned_table(p_parent_table text)
RETURNS jsonb
LANGUAGE plpgsql
SET timezone = 'UTC' AS $$
DECLARE
    v_policy record;
    v_engine text := doma_panda.partition_engine();
    v_before text[];
    v_after text[];
    v_holding text;
    v_restored jsonb;
    v_registered jsonb;
    v_bucket timestamp without time zone;
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    IF v_policy.handled = 'STATIC' THEN
        RETURN jsonb_build_object('parent_table', p_parent_table, 'engine', v_engine, 'status', 'static',
                                  'created', '[]'::jsonb, 'dropped', '[]'::jsonb, 'rows_moved', 0, 'rows_left_in_default', 0);
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('pandadb partition maintenance'), hashtext(p_parent_table));
    v_before := doma_panda.partition_child_names(p_parent_table);
    IF NOT doma_panda.partition_is_registered(p_parent_table) THEN
        v_registered := doma_panda.register_partitioned_table(p_parent_table);
    ELSE
        PERFORM doma_panda.apply_partition_policy(p_parent_table);
    END IF;
    -- default-partition rows first: their children exist before the engine premakes from the last one
    v_holding := doma_panda.partition_lift_default_rows(p_parent_table);
    v_restored := doma_panda.partition_restore_lifted_rows(p_parent_table, v_holding);
    IF v_engine = 'pg_partman' THEN
        PERFORM partman.run_maintenance(p_parent_table => p_parent_table, p_jobmon => false);
    ELSE
        PERFORM doma_panda.partition_own_run_maintenance(p_parent_table);
    END IF;
    IF NOT doma_panda.partition_is_id_interval(v_policy.partition_interval) THEN
        -- the child of now and the premake children after it always exist
        v_bucket := doma_panda.partition_time_bucket(v_now, v_policy.partition_interval);
        WHILE v_bucket < v_now + v_policy.partition_interval::interval * v_policy.premake LOOP
            IF NOT EXISTS (SELECT 1 FROM doma_panda.partition_children(p_parent_table)
                            WHERE NOT is_default AND lower_bound = v_bucket::text) THEN
                v_holding := doma_panda.partition_lift_default_rows(p_parent_table, v_bucket::text);
                PERFORM doma_panda.create_partition_child(p_parent_table, v_bucket::text);
                v_restored := jsonb_set(v_restored, '{rows_moved}', to_jsonb((v_restored->>'rows_moved')::bigint
                    + (doma_panda.partition_restore_lifted_rows(p_parent_table, v_holding, false)->>'rows_moved')::bigint));
            END IF;
            v_bucket := v_bucket + v_policy.partition_interval::interval;
        END LOOP;
    END IF;
    v_after := doma_panda.partition_child_names(p_parent_table);
    RETURN jsonb_build_object('parent_table', p_parent_table, 'engine', v_engine,
                              'status', CASE WHEN v_registered IS NULL THEN 'maintained' ELSE 'registered' END,
                              'created', to_jsonb(ARRAY(SELECT unnest(v_after) EXCEPT SELECT unnest(v_before) ORDER BY 1)),
                              'dropped', to_jsonb(ARRAY(SELECT unnest(v_before) EXCEPT SELECT unnest(v_after) ORDER BY 1)),
                              'rows_moved', coalesce((v_registered->>'rows_moved')::bigint, 0) + (v_restored->>'rows_moved')::bigint,
                              'rows_left_in_default', (v_restored->>'rows_left_in_default')::bigint);
END;
$$;

-- partition_maintenance_tables: the tables a maintenance run covers, in policy order: AUTO and
-- ADD_DAILYPART, and MANUAL ones on request (STATIC never).
--   p_include_manual  true: MANUAL tables too
CREATE OR REPLACE FUNCTION doma_panda.partition_maintenance_tables(p_include_manual boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT schema_name || '.' || table_name FROM doma_panda.partition_policy
     WHERE handled IN ('AUTO', 'ADD_DAILYPART') OR (p_include_manual AND handled = 'MANUAL')
     ORDER BY schema_name, table_name;
$$;

-- run_partition_maintenance: the scheduled job (partitions/scheduled_jobs.tsv): maintain every table
-- of the policy, one transaction per table (a failure keeps the tables done before it). Each table's
-- result is sent as a NOTICE 'pandadb partitions: {json}' (pandadb partitions maintain shows them).
-- CALL it outside an explicit transaction block, as pg_cron and psql do.
--   p_include_manual  true: MANUAL tables too (default: AUTO and ADD_DAILYPART)
CREATE OR REPLACE PROCEDURE doma_panda.run_partition_maintenance(p_include_manual boolean DEFAULT false)
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_result jsonb;
BEGIN
    FOR v_table IN SELECT * FROM doma_panda.partition_maintenance_tables(p_include_manual) LOOP
        v_result := doma_panda.maintain_partitioned_table(v_table);
        RAISE NOTICE 'pandadb partitions: %', v_result::text;
        COMMIT;
    END LOOP;
END;
$$;

-- partition_report: every partitioned table of the policy with its children, bounds and row
-- estimates (pg_class.reltuples, or the statistics collector's live rows before the first ANALYZE);
-- the default partition's rows are counted exactly (they should be none).
CREATE OR REPLACE FUNCTION doma_panda.partition_report()
RETURNS TABLE (parent_table text, handled text, partition_interval text, child_table text, is_default boolean,
               lower_bound text, upper_bound text, row_estimate bigint, default_rows bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_policy doma_panda.partition_policy;
    v_child record;
BEGIN
    FOR v_policy IN SELECT * FROM doma_panda.partition_policy ORDER BY schema_name, table_name LOOP
        FOR v_child IN
            SELECT ch.*, c.reltuples, s.n_live_tup
              FROM doma_panda.partition_children(v_policy.schema_name || '.' || v_policy.table_name) ch
              JOIN pg_namespace n ON n.nspname = ch.child_schema
              JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = ch.child_table
              LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
             ORDER BY ch.is_default, length(ch.lower_bound), ch.lower_bound, ch.child_table
        LOOP
            parent_table := v_policy.schema_name || '.' || v_policy.table_name;
            handled := v_policy.handled;
            partition_interval := v_policy.partition_interval;
            child_table := v_child.child_table;
            is_default := v_child.is_default;
            lower_bound := v_child.lower_bound;
            upper_bound := v_child.upper_bound;
            row_estimate := CASE WHEN v_child.reltuples >= 0 THEN v_child.reltuples::bigint ELSE v_child.n_live_tup END;
            default_rows := NULL;
            IF v_child.is_default THEN
                EXECUTE format('SELECT count(*) FROM %I.%I', v_child.child_schema, v_child.child_table) INTO default_rows;
            END IF;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END;
$$;

-- unregister_partitioned_table: undo register_partitioned_table (revision 0003's downgrade): every
-- child is detached, its rows go back to the default partition through the parent, the child is
-- dropped and the table leaves the engine's part_config.
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION doma_panda.unregister_partitioned_table(p_parent_table text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_policy record;
    v_child record;
    v_columns text := doma_panda.partition_column_list(p_parent_table);
    v_moved bigint := 0;
    v_rows bigint;
    v_dropped text[] := '{}';
BEGIN
    SELECT * INTO v_policy FROM doma_panda.partition_policy_for(p_parent_table);
    IF v_policy.handled = 'STATIC' THEN
        RETURN jsonb_build_object('parent_table', p_parent_table, 'status', 'static');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('pandadb partition maintenance'), hashtext(p_parent_table));
    CREATE TEMPORARY TABLE IF NOT EXISTS pandadb_detached_children (child text) ON COMMIT DROP;
    TRUNCATE pandadb_detached_children;
    FOR v_child IN SELECT * FROM doma_panda.partition_children(p_parent_table) WHERE NOT is_default LOOP
        EXECUTE format('ALTER TABLE %s DETACH PARTITION %I.%I', p_parent_table, v_child.child_schema, v_child.child_table);
        INSERT INTO pandadb_detached_children VALUES (format('%I.%I', v_child.child_schema, v_child.child_table));
        v_dropped := v_dropped || v_child.child_table::text;
    END LOOP;
    IF doma_panda.partition_default_name(p_parent_table) IS NULL THEN
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT', v_policy.schema_name,
                       left(v_policy.table_name, 55) || '_default', v_policy.schema_name, v_policy.table_name);
    END IF;
    FOR v_child IN SELECT child FROM pandadb_detached_children LOOP
        EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', p_parent_table, v_columns, v_columns, v_child.child);
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_moved := v_moved + v_rows;
        EXECUTE format('DROP TABLE %s', v_child.child);
    END LOOP;
    IF doma_panda.partition_engine() = 'pg_partman' THEN
        DELETE FROM partman.part_config WHERE parent_table = p_parent_table;
    END IF;
    DELETE FROM doma_panda.part_config WHERE parent_table = p_parent_table;
    RETURN jsonb_build_object('parent_table', p_parent_table, 'status', 'unregistered',
                              'dropped', to_jsonb(v_dropped), 'rows_moved_to_default', v_moved);
END;
$$;
