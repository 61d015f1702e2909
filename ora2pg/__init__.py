"""Oracle -> PostgreSQL migration of the PanDA database (seed 004, section 8.6).

- ora2pg.conf.template: the ora2pg configuration (section 8.6 plus the type directives that give
  schema/postgres's types);
- oracle_ddl.py: reads the Oracle DDL (schema/oracle/*.sql) by schema and kind, and the input patches
  ora2pg's offline parser needs;
- convert.py: runs ora2pg per Oracle schema, offline on schema/oracle/*.sql (-i) or against a live
  Oracle, applies the patches and loads the result (`pandadb ora2pg convert|load`);
- patches.py: the output patches, each a named function saying why (section 8.6's and ora2pg's);
- check.py: compares a converted database with a migrated one, with the allowed differences and
  their reasons (`pandadb ora2pg check`);
- copy.py: copies the rows of every table from a DB-API source (python-oracledb for Oracle) into the
  PostgreSQL tables with COPY, resumable per table, verified by row counts and primary-key checksums,
  and sets the sequences past the copied ids (`pandadb ora2pg copy`).

There is no Oracle server in this project's development and CI machines: everything that needs one
(`ora2pg` against ORACLE_DSN, `pandadb ora2pg copy` from Oracle) is written but runs only where an
Oracle is reachable. The offline conversion and the copy logic (with a PostgreSQL source) are tested.

The schema names (ATLAS_X in Oracle, doma_x in PostgreSQL) are in oracle_ddl.py (ORACLE_TO_POSTGRES_SCHEMA).
"""
