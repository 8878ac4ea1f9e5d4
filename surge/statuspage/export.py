"""The static export: the public files of one snapshot written into a folder that any
web server or bucket serves, so customers still see the page when surge is down.

Each file is written to a temporary file beside it, flushed to disk, then renamed over
the old one: a reader sees the old file or the new one, never part of one. All files come
from one snapshot (one view of the store), data first and the pages that link to it
last, then ``surge-export.json`` (the revision and every file's ETag). Files a previous
export wrote that this one does not are removed; nothing else in the folder is touched.
One export at a time writes a folder (an ``flock`` on ``.surge-export.lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from surge.statuspage.files import HTML, Snapshot
from surge.statuspage.site import stamp

MANIFEST = "surge-export.json"
LOCK = ".surge-export.lock"
TEMP_SUFFIX = ".surge-tmp"
MODE = 0o644  # the web server's user reads the files


@dataclass(frozen=True)
class Exported:
    folder: Path
    revision: int
    written: tuple[str, ...]  # changed or new
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]  # written by an earlier export, not part of this one


class ExportError(Exception):
    """The folder cannot be written; the message says which file and why."""


def export(snapshot: Snapshot, folder: Path) -> Exported:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            return _export(snapshot, folder)
    except OSError as error:
        where = error.filename or folder
        raise ExportError(f"cannot write the export to {where}: {error.strerror}") from None


def _export(snapshot: Snapshot, folder: Path) -> Exported:
    _remove_leftovers(folder, snapshot)
    before = _previous(folder)
    written, unchanged = [], []
    for file in sorted(snapshot, key=lambda item: (item.content_type == HTML, item.path)):
        target = folder / file.path
        if _holds(target, file.body):
            unchanged.append(file.path)
            continue
        write_atomic(target, file.body)
        written.append(file.path)
    manifest = {
        "revision": snapshot.revision,
        "built_at": stamp(snapshot.built_at),
        "files": {file.path: file.etag for file in snapshot},
    }
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
    removed = [path for path in before if path not in snapshot.files]
    for path in removed:
        (folder / path).unlink(missing_ok=True)
    for parent in {(folder / file.path).parent for file in snapshot} | {folder}:
        _sync_folder(parent)
    return Exported(folder, snapshot.revision, tuple(written), tuple(unchanged), tuple(removed))


def write_atomic(target: Path, body: bytes) -> None:
    """``body`` at ``target``: a temporary file beside it, fsync, rename over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, MODE)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, MODE)  # whatever the umask said
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _holds(target: Path, body: bytes) -> bool:
    try:
        return target.stat().st_size == len(body) and target.read_bytes() == body
    except OSError:
        return False


def _previous(folder: Path) -> list[str]:
    """The files the last export wrote (from its manifest), if any."""
    try:
        files = json.loads((folder / MANIFEST).read_text()).get("files", {})
    except (OSError, ValueError, AttributeError):
        return []
    return [path for path in files if isinstance(path, str) and _inside(folder, path)]


def _inside(folder: Path, path: str) -> bool:
    return not Path(path).is_absolute() and ".." not in Path(path).parts


def _remove_leftovers(folder: Path, snapshot: Snapshot) -> None:
    """Temporary files of an export that was killed midway (we hold the lock)."""
    for parent in {(folder / file.path).parent for file in snapshot} | {folder}:
        if parent.is_dir():
            for leftover in parent.glob(f".*{TEMP_SUFFIX}"):
                leftover.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (a crash keeps the new files)."""
    with contextlib.suppress(FileNotFoundError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    descriptor = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
