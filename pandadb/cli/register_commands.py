"""`pandadb register site|queue|cloud|harvester|dataset|show`: what a DBA registers before the first job (seed 004, 5.5),
and the datasets of the replica catalogue that tasks read their input from."""

from __future__ import annotations

import json
from typing import Any

import click

from pandadb.db import connect
from pandadb.errors import ProcedureError
from pandadb.procedures import call, rows


def _register(function: str, **arguments) -> Any:
    """One registration function's answer (the registered row as a dict, or its jsonb value)."""
    with connect() as conn:
        try:
            if function == "register_panda_queue":
                return call(conn, function, **arguments)
            [row] = rows(conn, function, **arguments)
            return row
        except ProcedureError as error:
            raise click.ClickException(error.message) from error


FILE_KEYS = ("lfn", "scope", "guid", "size", "checksum", "events")


def _parse_file(text: str) -> dict:
    """One --file value, `lfn=NAME,size=BYTES,checksum=ad:HEX,events=N,guid=UUID,scope=SCOPE`, as a file object."""
    item: dict = {}
    for part in text.split(","):
        if "=" not in part:
            raise click.ClickException(f"--file: {part!r} in {text!r} is not KEY=VALUE (keys: {', '.join(FILE_KEYS)})")
        key, value = (piece.strip() for piece in part.split("=", 1))
        if key not in FILE_KEYS:
            raise click.ClickException(f"--file: unknown key {key!r} in {text!r} (keys: {', '.join(FILE_KEYS)})")
        item[key] = value
    if "lfn" not in item:
        raise click.ClickException(f"--file: {text!r} has no lfn=...")
    return item


def _parse_settings(settings: tuple[str, ...], config_file) -> dict:
    config: dict = json.load(config_file) if config_file else {}
    if not isinstance(config, dict):
        raise click.BadParameter("the JSON file must hold an object", param_hint="--json")
    for item in settings:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        key, raw = item.split("=", 1)
        try:
            config[key] = json.loads(raw)
        except json.JSONDecodeError:
            config[key] = raw
    return config


@click.group("register")
def register_group() -> None:
    """Register sites, PanDA queues, clouds and harvester instances (idempotent: re-running updates)."""


@register_group.command("site")
@click.argument("site_name")
@click.option("--role", help="free-text role, e.g. production")
@click.option("--tier", "tier_level", type=int, help="tier level")
def register_site(site_name: str, role: str | None, tier_level: int | None) -> None:
    """Add or update a site (doma_panda.site)."""
    row = _register("register_site", p_site_name=site_name, p_role=role, p_tier_level=tier_level)
    click.echo(f"site {row['site_name']} registered (role={row['role']}, tier={row['tier_level']})")


@register_group.command("queue")
@click.argument("panda_queue")
@click.option("--site", "site_name", required=True, help="the registered site the queue belongs to")
@click.option("--cloud", help="registered cloud/resource group (sets 'cloud')")
@click.option(
    "--status",
    type=click.Choice(["online", "offline", "test", "brokeroff", "paused"]),
    help="queue status (default online)",
)
@click.option(
    "--set", "settings", multiple=True, metavar="KEY=VALUE", help="a schedconfig attribute; VALUE is JSON or a string"
)
@click.option("--json", "config_file", type=click.File(), help="a JSON file with the queue's schedconfig attributes")
@click.option(
    "--allow-unknown",
    is_flag=True,
    help="accept attributes this project does not know (e.g. a whole CRIC document); known ones are still checked",
)
def register_queue(
    panda_queue: str,
    site_name: str,
    cloud: str | None,
    status: str | None,
    settings: tuple[str, ...],
    config_file,
    allow_unknown: bool,
) -> None:
    """Add or update a PanDA queue (panda_site + schedconfig_json)."""
    config = _parse_settings(settings, config_file)
    if cloud:
        config["cloud"] = cloud
    if status:
        config["status"] = status
    registered = _register(
        "register_panda_queue",
        p_panda_queue=panda_queue,
        p_site_name=site_name,
        p_queue_config=config,
        p_allow_unknown_attributes=allow_unknown,
    )
    click.echo(f"queue {panda_queue} registered at {site_name}: {json.dumps(registered, sort_keys=True)}")


@register_group.command("cloud")
@click.argument("cloud_name")
@click.option("--description", default="", help="free text")
@click.option(
    "--status", type=click.Choice(["online", "offline", "test", "brokeroff"]), default="online", show_default=True
)
@click.option("--vo", help="the organisation, e.g. wlcg")
def register_cloud(cloud_name: str, description: str, status: str, vo: str | None) -> None:
    """Add or update a cloud / resource group (doma_pandameta.cloudconfig)."""
    row = _register(
        "doma_pandameta.register_cloud", p_cloud_name=cloud_name, p_description=description, p_status=status, p_vo=vo
    )
    click.echo(f"cloud {row['name']} registered (status={row['status']}, vo={row['vo']})")


@register_group.command("harvester")
@click.argument("harvester_id")
@click.option("--description", help="free text")
@click.option("--owner", help="who runs it")
@click.option("--hostname", help="where it runs")
def register_harvester(harvester_id: str, description: str | None, owner: str | None, hostname: str | None) -> None:
    """Add or update a harvester instance (doma_panda.harvester_instances)."""
    row = _register(
        "register_harvester_instance",
        p_harvester_id=harvester_id,
        p_description=description,
        p_owner=owner,
        p_hostname=hostname,
    )
    click.echo(f"harvester {row['harvester_id']} registered")


@register_group.command("dataset")
@click.argument("dataset")
@click.option("--site", required=True, help="the site (storage or queue name) that holds the files")
@click.option("--scope", help="the dataset's scope (default: the SCOPE of SCOPE:NAME, else the name's first field)")
@click.option(
    "--file",
    "file_texts",
    multiple=True,
    metavar="lfn=NAME,size=N,checksum=ad:HEX,events=N[,guid=..][,scope=..]",
    help="a file of the dataset (repeatable)",
)
@click.option(
    "--json", "files_file", type=click.File(), help="a JSON file: a list of file objects (or {\"files\": [...]})"
)
@click.option("--close", "state", flag_value="closed", default=None, help="mark the dataset closed (complete)")
@click.option("--open", "state", flag_value="open", help="mark the dataset open (more files may come)")
def register_dataset(
    dataset: str, site: str, scope: str | None, file_texts: tuple[str, ...], files_file, state: str | None
) -> None:
    """Register files of a dataset and their replicas at a site in the replica catalogue (idempotent)."""
    files = [_parse_file(text) for text in file_texts]
    if files_file is not None:
        try:
            loaded = json.load(files_file)
        except json.JSONDecodeError as error:
            raise click.ClickException(f"--json: not JSON: {error}") from error
        if isinstance(loaded, dict):
            loaded = loaded.get("files")
        if not isinstance(loaded, list):
            raise click.ClickException("--json: the JSON file must hold a list of file objects (or {\"files\": [...]})")
        files += loaded
    with connect() as conn:
        try:
            answer = call(
                conn,
                "register_dataset_files",
                p_datasetname=dataset,
                p_site=site,
                p_files=files,
                p_scope=scope,
                p_state=state,
            )
        except ProcedureError as error:
            raise click.ClickException(error.message) from error
    click.echo(
        f"dataset {answer['dataset']} (scope {answer['scope']}, {answer['state']}): {answer['nfiles']} files, "
        f"{answer['files_added']} new; {answer['replicas_added']} new replicas at {answer['site']}"
    )


@register_group.command("show")
def register_show() -> None:
    """List what is registered: clouds, sites, queues, harvesters, resource types, shares, catalogue datasets."""
    queries = {
        "clouds": "SELECT name, status, vo FROM doma_pandameta.cloudconfig ORDER BY name",
        "sites": "SELECT site_name, role, tier_level FROM doma_panda.site ORDER BY site_name",
        "queues": "SELECT p.panda_site_name, p.site_name, s.data->>'status' AS status, s.data->>'cloud' AS cloud "
        "FROM doma_panda.panda_site p LEFT JOIN doma_panda.schedconfig_json s ON s.panda_queue = p.panda_site_name "
        "ORDER BY 1",
        "harvesters": "SELECT harvester_id, description FROM doma_panda.harvester_instances ORDER BY 1",
        "resource types": "SELECT resource_name, mincore, maxcore, minrampercore, maxrampercore FROM doma_panda.resource_types ORDER BY 1",
        "global shares": "SELECT name, value, parent, prodsourcelabel FROM doma_panda.global_shares ORDER BY coalesce(parent, ''), name",
        "datasets": "SELECT d.datasetname AS dataset, d.scope, d.state, count(f.lfn) AS files FROM doma_panda.pandadb_datasets d "
        "LEFT JOIN doma_panda.pandadb_dataset_files f ON f.datasetname = d.datasetname GROUP BY 1, 2, 3 ORDER BY 1",
    }
    with connect() as conn:
        for title, sql in queries.items():
            cursor = conn.execute(sql)
            found = cursor.fetchall()
            click.echo(f"{title} ({len(found)}):")
            if not found:
                continue
            # a header row, and columns as wide as their widest value
            table = [[column.name for column in cursor.description or ()]]
            table += [["-" if value is None else str(value) for value in row] for row in found]
            widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
            for row in table:
                click.echo(
                    "  " + "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
                )


commands = [register_group]
