"""`pandadb serve` (the REST API v1 under gunicorn) and `pandadb token issue` (local OIDC tokens)."""

from __future__ import annotations

from pathlib import Path

import click

from pandadb.db import resolve_database_url
from pandadb.settings import load_settings


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default 25080, or 25443 with --tls).")
@click.option(
    "--tls", is_flag=True, help="Serve HTTPS (a development certificate under PANDADB_HOME/tls unless --cert/--key)."
)
@click.option(
    "--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS certificate (PEM); implies --tls."
)
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS private key (PEM).")
@click.option(
    "--insecure",
    is_flag=True,
    help="Development only: serve 'secure connection' endpoints over plain HTTP too (tokens are still required).",
)
@click.option("--workers", type=int, default=2, show_default=True, help="Worker processes.")
@click.option(
    "--threads",
    type=int,
    default=4,
    show_default=True,
    help="Threads per worker (and database connections per worker).",
)
@click.option(
    "--issuers",
    "issuers_file",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON file of trusted token issuers (default: the local issuer under PANDADB_HOME; env PANDADB_AUTH_ISSUERS).",
)
@click.option("--max-body-bytes", type=int, default=None, help="Largest accepted request body (default 1 MiB).")
@click.option(
    "--trust-forwarded-proto",
    is_flag=True,
    help="Behind a TLS-terminating proxy: believe its X-Forwarded-Proto. Never on a port clients reach directly.",
)
@click.option("--access-log", default="-", show_default=True, help="Where the JSON access log goes ('-' = stderr).")
def serve(
    host: str,
    port: int | None,
    tls: bool,
    cert: Path | None,
    key: Path | None,
    insecure: bool,
    workers: int,
    threads: int,
    issuers_file: str | None,
    max_body_bytes: int | None,
    trust_forwarded_proto: bool,
    access_log: str,
) -> None:
    """Serve the PanDA REST API v1 (/api/v1/...) in the foreground with gunicorn."""
    from pandadb.cli.run_commands import refuse_busy_port
    from services.server import ServerOptions, development_certificate, run_server
    from services.settings import load_service_settings

    if (cert is None) != (key is None):
        raise click.UsageError("--cert and --key go together")
    tls = tls or cert is not None
    settings = load_service_settings(
        issuers_file=issuers_file,
        insecure=insecure,
        max_body_bytes=max_body_bytes,
        trust_forwarded_proto=trust_forwarded_proto or None,
        pool_max_size=threads,
    )
    settings = settings.with_changes(database_url=resolve_database_url(load_settings()))
    if tls and cert is None:
        cert, key = development_certificate(settings.home)
    port = port or (25443 if tls else 25080)
    refuse_busy_port(host, port)  # before saying "serving"
    scheme = "https" if tls else "http"
    click.echo(
        f"serving {scheme}://{host}:{port}/api/v1/ ({workers} workers x {threads} threads"
        f"{', insecure development mode' if insecure and not tls else ''}); database {settings.database_url}",
        err=True,
    )
    run_server(
        settings,
        ServerOptions(
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            certfile=cert if tls else None,
            keyfile=key if tls else None,
            access_log=access_log,
        ),
    )


@click.group("token")
def token_group() -> None:
    """OIDC tokens of the local issuer (keys under PANDADB_HOME/auth)."""


@token_group.command("issue")
@click.option("--user", required=True, help="The user name (token subject).")
@click.option("--vo", required=True, help="The VO; the caller sends it as the Origin header.")
@click.option(
    "--groups",
    default="",
    help="Comma-separated groups, e.g. production,pilot (scoped to the VO unless they contain '/').",
)
@click.option("--lifetime", type=int, default=24 * 3600, show_default=True, help="Seconds until the token expires.")
def token_issue(user: str, vo: str, groups: str, lifetime: int) -> None:
    """Print a signed token: use it as 'Authorization: Bearer <token>' with 'Origin: <vo>'."""
    from pandadb.tokens import issue_token

    if lifetime <= 0:
        raise click.BadParameter("must be positive", param_hint="--lifetime")
    click.echo(issue_token(user, vo, [group for group in groups.split(",") if group.strip()], lifetime))


commands = [serve, token_group]
