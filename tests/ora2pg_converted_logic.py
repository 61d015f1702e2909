"""pytest plugin (`-p ora2pg_converted_logic`, used by `pandadb ora2pg check --procedures`): the template
database every test database is copied from gets, after `migrate_to_head`, the PL/SQL twin converted by
ora2pg in place of the PostgreSQL routines of the same names (ora2pg/procedures.py load_in_place). The
directory of the conversion is in PANDADB_ORA2PG_CONVERTED. Loaded before conftest.py imports
migrate_to_head, so conftest's template fixture uses the wrapped one. Without the variable: no effect.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandadb.migrations.runner as runner

_CONVERTED = os.environ.get("PANDADB_ORA2PG_CONVERTED")

if _CONVERTED:
    _migrate_to_head = runner.migrate_to_head

    def migrate_to_head_with_converted_logic(database_url: str) -> None:
        from ora2pg import procedures

        _migrate_to_head(database_url)
        procedures.load_in_place(database_url, procedures.load_saved(Path(_CONVERTED)))

    runner.migrate_to_head = migrate_to_head_with_converted_logic
