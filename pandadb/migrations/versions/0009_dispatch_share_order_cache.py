"""Dispatch: the global-share order of each queue cached for a few seconds instead of counted on every call.

acquire_jobs (procedures/postgres/dispatch.sql, loaded by the repeatable procedures step of every upgrade)
keeps each queue's share order in PanDA's key/value table doma_panda.cache (main_key 'dispatch_share_order',
an upstream table of revision 0001: no new table). This revision adds the gdpconfig default of its lifetime,
dispatcher SHARE_ORDER_CACHE_SECONDS (0 or less: the order is computed on every call, as before).

PostgreSQL only: the PL/SQL twin of acquire_jobs computes the order on every call.

Revision ID: 0009_dispatch_share_order_cache
Revises: 0008_events_harvester
Create Date: 2026-11-30
"""

from pandadb.migrations.sqlfiles import apply_sql_text, dialect_directory_name

revision = "0009_dispatch_share_order_cache"
down_revision = "0008_events_harvester"
branch_labels = None
depends_on = None

ADD_CONFIG = """
INSERT INTO doma_panda.config (app, component, key, value, type, vo, descr)
VALUES ('pandaserver', 'dispatcher', 'SHARE_ORDER_CACHE_SECONDS', '10', 'int', 'default',
        'seconds acquire_jobs keeps a queue''s global-share order before counting its busy jobs again (0: every call)')
ON CONFLICT (app, component, key, vo) DO NOTHING;
"""

REMOVE_CONFIG_AND_CACHE = """
DELETE FROM doma_panda.config
 WHERE app = 'pandaserver' AND component = 'dispatcher' AND key = 'SHARE_ORDER_CACHE_SECONDS' AND vo = 'default';
DELETE FROM doma_panda.cache WHERE main_key = 'dispatch_share_order';
"""


def upgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_sql_text(ADD_CONFIG, "0009: gdpconfig dispatcher SHARE_ORDER_CACHE_SECONDS")


def downgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_sql_text(REMOVE_CONFIG_AND_CACHE, "0009: remove SHARE_ORDER_CACHE_SECONDS and the cached share orders")
