"""Oracle -> PostgreSQL migration of the PanDA database (seed 004, section 8.6).

- ora2pg.conf.template: the ora2pg configuration (section 8.6 plus the type directives that give
  schema/postgres's types);
- convert.py: runs ora2pg per Oracle schema, offline on schema/oracle/*.sql (-i) or against a live
  Oracle, applies the documented and the needed patches, loads the result, and compares a converted
  database with a migrated one (`pandadb ora2pg convert|check`);
- copy.py: copies the rows of every table from a DB-API source (python-oracledb for Oracle) into the
  PostgreSQL tables with COPY, resumable per table, verified by row counts and primary-key checksums,
  and sets the sequences past the copied ids (`pandadb ora2pg copy`).

There is no Oracle server in this project's development and CI machines: everything that needs one
(`ora2pg` against ORACLE_DSN, `pandadb ora2pg copy` from Oracle) is written but runs only where an
Oracle is reachable. The offline conversion and the copy logic (with a PostgreSQL source) are tested.

The schema names (ATLAS_X in Oracle, doma_x in PostgreSQL) are in convert.py (ORACLE_TO_POSTGRES_SCHEMA).
"""
