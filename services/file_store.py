"""The file server's disk: where uploaded bytes go and how they come back.

The database says which files exist (doma_panda.pandadb_file_store, procedures/postgres/file_server.sql);
this module only moves bytes. Layout under the root (ServiceSettings.file_store_root, default
PANDADB_HOME/filestore):

    store/<storage_key>   the bytes of one upload; a fresh random key per upload, never reused

An upload is streamed straight to a new storage key while its size (bounded: the request is refused
with 413 as soon as it passes the limit), adler32 and trailing gzip CRC are computed; the handler then
records it in one stored-function call, and the bytes of an upload that was not recorded are removed
when the request ends. Bytes that no name refers to any more are removed by `reap`, which every upload
runs first: the database hands this host the storage keys to remove (doma_panda.take_file_removals).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from services.spec import UploadedFile, ValidationError

logger = logging.getLogger("pandadb.services")

CHUNK = 1024 * 1024
REAP_BATCH = 100
# the names of stored files: an optional jedilog/ directory and a plain base name (the same rule as
# doma_panda.file_store_check_path): no directories, no "..", no hidden files, no absolute names
FILE_NAME = re.compile(r"^(jedilog/)?[A-Za-z0-9_][A-Za-z0-9._+=@%,-]{0,254}$")
BASE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+=@%,-]{0,254}$")


class UploadTooLarge(Exception):
    """The upload passed its size limit (HTTP 413)."""

    def __init__(self, limit: int):
        super().__init__(f"upload failure: the file exceeds the size limit of {limit} bytes")
        self.limit = limit


def root_of(settings: Any) -> Path:
    return Path(settings.file_store_root) if settings.file_store_root else Path(settings.home) / "filestore"


def host_of(settings: Any) -> str:
    return (settings.file_store_host or socket.getfqdn())[:64]


def storage_path(settings: Any, storage_key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", storage_key):
        raise ValueError(f"not a storage key: {storage_key!r}")
    return root_of(settings) / "store" / storage_key


def new_storage_key() -> str:
    return uuid.uuid4().hex


def check_file_name(name: Any, parameter: str, allow_directory: bool = False) -> str:
    """`name` if it is a plain stored-file name, else ValidationError (400) naming `parameter`."""
    pattern = FILE_NAME if allow_directory else BASE_NAME
    if not isinstance(name, str) or not pattern.fullmatch(name):
        shown = repr(name[:80]) if isinstance(name, str) else type(name).__name__
        raise ValidationError(
            parameter,
            f"parameter '{parameter}' must be a plain file name (letters, digits and "
            f"._+=@%,- not starting with a dot; no directories, no '..', no absolute "
            f"path), got {shown}",
        )
    return name


def receive_upload(
    filename: str | None, stream: BinaryIO, settings: Any, limit: int, parameter: str = "file"
) -> UploadedFile:
    """Stream one multipart file part to a new storage key, at most `limit` bytes (UploadTooLarge beyond).
    The file is named by the last component of the part's filename, as PanDA does (panda-client's putFile
    sends the local path it was given, absolute or relative); that must be a plain file name
    (ValidationError otherwise)."""
    base_name = filename.rsplit("/", 1)[-1] if isinstance(filename, str) else filename
    name = check_file_name(base_name, parameter)
    key = new_storage_key()
    path = storage_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    size, adler, tail = 0, 1, b""
    try:
        with open(path, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(limit)
                adler = zlib.adler32(chunk, adler)
                tail = (tail + chunk)[-8:]
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    tail_checksum = struct.unpack("II", tail)[0] if len(tail) == 8 else None
    return UploadedFile(
        filename=name, path=path, size=size, adler32=f"ad:{adler:08x}", tail_checksum=tail_checksum, storage_key=key
    )


def discard(upload: UploadedFile) -> None:
    if not upload.kept:
        upload.path.unlink(missing_ok=True)


def create_empty(settings: Any) -> tuple[str, Path]:
    """A new empty stored file (a log to be filled later): its storage key and path."""
    key = new_storage_key()
    path = storage_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=False)
    return key, path


def reap(database: Any, settings: Any, limit: int = REAP_BATCH) -> int:
    """Remove from this host's disk the bytes the database no longer refers to (replaced, deleted and
    expired files); the number removed."""
    keys = database.call("take_file_removals", p_hostname=host_of(settings), p_limit=limit) or []
    for key in keys:
        try:
            storage_path(settings, key).unlink(missing_ok=True)
        except (OSError, ValueError) as error:  # a disk problem must not fail the request that reaps
            logger.error("file store: could not remove %s: %s", key, error)
    return len(keys)


def read_from(settings: Any, storage_key: str, offset: int = 0, limit: int | None = None) -> bytes:
    with open(storage_path(settings, storage_key), "rb") as handle:
        handle.seek(max(offset, 0))
        return handle.read() if limit is None else handle.read(limit)


def append(settings: Any, storage_key: str, content: bytes) -> None:
    path = storage_path(settings, storage_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(content)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)
