"""API v1 module `metaconfig` (seed 000): what the server knows of its PanDA queues (procedures/postgres/metaconfig.sql)."""

from __future__ import annotations

from services.spec import STRING, Call, Param, endpoint


@endpoint(
    "metaconfig",
    "GET",
    "Gets a dictionary of site specs of the PanDA queues of a type (analysis by default): {queue: its configuration}.",
    [
        Param(
            "type", STRING, "type of site as defined in CRIC: unified, production, analysis or all", default="analysis"
        ),
    ],
)
def get_site_specs(call: Call):
    return call.database.call("get_site_specs", p_type=call.params["type"])
