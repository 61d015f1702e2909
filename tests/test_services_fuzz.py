"""Never a 500: schemathesis generates requests for every operation of the server's own OpenAPI
document (valid, boundary and malformed values) and sends them to the real server with a valid
production token; every answer must be a non-5xx status."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCHEMATHESIS = str(Path(sys.executable).parent / "st")


def test_no_generated_request_gets_a_server_error(api_server, tmp_path):
    headers = api_server.headers(user="fuzzer", groups=("production",))
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{api_server.base_url}/api/v1/openapi.json",
            "--url",
            api_server.base_url,
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "10",
            "--seed",
            "20261121",
            *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )  # its cache stays out of the tree
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # warnings (endpoints that need data the fuzzer cannot make, such as a stored file) are not failures
    cases = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert cases and cases.group(1) == cases.group(2), result.stdout[-4000:]
    tested = re.search(r"Tested:\s+(\d+)", result.stdout)
    assert tested and int(tested.group(1)) >= 20, "every declared operation was exercised"
    assert " 500 " not in api_server.log() and "Traceback" not in api_server.log()
