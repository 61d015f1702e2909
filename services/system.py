"""API v1 module `system` (seed 000): liveness and what the server sees of a request and its caller."""

from __future__ import annotations

from services.spec import Call, Reply, endpoint

# never echoed back: credentials of the caller
_HIDDEN_ENVIRONMENT = {"HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_PROXY_AUTHORIZATION"}


@endpoint(
    "system",
    "GET",
    "Check if the server is alive. Basic function for the health check used in monitoring.",
    secure=False,
)
def is_alive(call: Call):
    return Reply(True, "", None)


@endpoint(
    "system",
    "GET",
    "Gets all parameters of the request and its environment (headers, connection), for "
    "debugging. Any parameter is accepted and echoed back.",
    extra_params=True,
)
def get_attributes(call: Call):
    parameters = {key: str(value) for key, value in sorted(call.params.items())}
    environ = call.request.env
    environment = {
        key: str(value)
        for key, value in sorted(environ.items())
        if isinstance(value, (str, int, float)) and key not in _HIDDEN_ENVIRONMENT
    }
    text = (
        "===== param =====\n"
        + "\n".join(f"{key} = {value}" for key, value in parameters.items())
        + "\n====== env ======\n"
        + "\n".join(f"{key} : {value}" for key, value in environment.items())
        + "\n"
    )
    return Reply(True, text, {"parameters": parameters, "environment": environment})


@endpoint(
    "system",
    "GET",
    "Gets the VOMS attributes (the GRST_CRED_* of an X.509 proxy, as a Grid-security front end "
    "sets them) in sorted order; none with a token.",
)
def get_voms_attributes(call: Call):
    attributes = {key: str(value) for key, value in sorted(call.request.env.items()) if key.startswith("GRST_CRED_")}
    return Reply(True, "\n".join(f"{key} : {value}" for key, value in attributes.items()), attributes)


@endpoint(
    "system",
    "GET",
    "Gets the user attributes as seen by PanDA (who you are, your VO, groups and roles), for debugging.",
)
def get_user_attributes(call: Call):
    identity = call.identity
    claims = identity.claims
    production_groups = [group for group in identity.groups if group.endswith(("/production", "/pilot"))]
    data = {
        "user": identity.user,
        "subject": claims.get("sub"),
        "issuer": claims.get("iss"),
        "vo": identity.vo,
        "groups": list(identity.groups),
        "is_production_user": identity.is_production,
        "production_working_groups": production_groups,
        "token_expires": claims.get("exp"),
    }
    text = "\n".join(f"{key}: {value}" for key, value in data.items()) + "\n"
    return Reply(True, text, data)
