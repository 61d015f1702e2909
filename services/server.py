"""Running the services: gunicorn (gthread workers) programmatically, TLS, structured logs.

One gunicorn master per listening address family: gunicorn applies TLS to every address it
binds, so plain HTTP and HTTPS are two masters. `pandadb run` starts both as `pandadb serve`
subprocesses and stops them together (pandadb/cli/run_commands.py). Services never import the CLI.

Each worker process builds the app in `load()`, after the fork, and opens its own psycopg
connection pool there (post_worker_init); the pool is closed when the worker exits.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from gunicorn.app.base import BaseApplication

from services.settings import ServiceSettings

DEFAULT_WORKERS = 2  # sized for a 2-core machine: 2 processes x 4 threads
DEFAULT_THREADS = 4


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 25080
    workers: int = DEFAULT_WORKERS
    threads: int = DEFAULT_THREADS
    certfile: Path | None = None  # TLS when set
    keyfile: Path | None = None
    access_log: str = "-"  # "-" = stderr, else a file path
    log_level: str = "info"


def development_certificate(home: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost under PANDADB_HOME/tls, (re)made when missing or expiring."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    tls_dir = home / "tls"
    cert_file, key_file = tls_dir / "dev_cert.pem", tls_dir / "dev_key.pem"
    now = datetime.datetime.now(datetime.UTC)
    if cert_file.exists() and key_file.exists():
        certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
        if certificate.not_valid_after_utc > now + datetime.timedelta(days=7):
            return cert_file, key_file
    tls_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PanDA DB development"),
        ]
    )
    alt_names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    hostname = socket.gethostname()
    if hostname and hostname != "localhost":
        alt_names.append(x509.DNSName(hostname))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    temporary_key = key_file.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(temporary_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    temporary_cert = cert_file.with_suffix(f".{os.getpid()}.tmp")
    temporary_cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    os.replace(temporary_key, key_file)
    os.replace(temporary_cert, cert_file)
    return cert_file, key_file


def configure_logging(access_log: str, log_level: str = "info") -> None:
    """Access log: one JSON line per request on `access_log`; errors (with tracebacks) on stderr."""
    access = logging.getLogger("pandadb.access")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stderr) if access_log == "-" else logging.FileHandler(access_log)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    errors = logging.getLogger("pandadb.services")
    if not errors.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
        errors.addHandler(handler)
        errors.setLevel(getattr(logging, log_level.upper(), logging.INFO))
        errors.propagate = False


def _post_worker_init(worker) -> None:
    database = getattr(worker.wsgi, "database", None)
    if database is not None:
        database.open()  # this worker's pool, now, after the fork


def _worker_exit(server, worker) -> None:
    database = getattr(getattr(worker, "wsgi", None), "database", None)
    if database is not None:
        database.close()


class PandaDBServer(BaseApplication):
    """gunicorn with the PanDA DB app: no config file, no command line of its own."""

    def __init__(self, settings: ServiceSettings, options: ServerOptions):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        options = self.options
        config = {
            "bind": [f"[{options.host}]:{options.port}" if ":" in options.host else f"{options.host}:{options.port}"],
            "workers": options.workers,
            "threads": options.threads,
            "worker_class": "gthread",
            "timeout": 120,
            "graceful_timeout": 10,
            "keepalive": 5,
            "proc_name": f"pandadb-serve:{options.port}",
            "accesslog": None,  # the app writes the structured access log itself
            "errorlog": "-",
            "loglevel": "warning",
            # X-Forwarded-Proto is only believed when configured (services.app.Authentication)
            "secure_scheme_headers": {},
            "forwarded_allow_ips": "",
            "post_worker_init": _post_worker_init,
            "worker_exit": _worker_exit,
            "control_socket_disable": True,
        }
        if options.certfile is not None:
            config["certfile"] = str(options.certfile)
            config["keyfile"] = str(options.keyfile)
        for key, value in config.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        from services.app import create_app

        configure_logging(self.options.access_log, self.options.log_level)
        return create_app(self.settings)


def run_server(settings: ServiceSettings, options: ServerOptions) -> None:
    """Serve in the foreground until SIGINT/SIGTERM."""
    PandaDBServer(settings, options).run()
