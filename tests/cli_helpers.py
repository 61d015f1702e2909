"""Running the installed CLIs as a user would: a subprocess with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run_cli(
    program: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PANDADB_")}
    full_env.update(env or {})
    return subprocess.run([str(BIN / program), *args], capture_output=True, text=True, env=full_env, timeout=timeout)
