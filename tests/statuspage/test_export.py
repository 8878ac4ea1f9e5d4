"""The static export: every public file of one snapshot, written so that a reader never
sees part of a file, and nothing but what an earlier export wrote is ever removed."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest
from statuspage.views import SITE, quiet_view, sample_view

from surge.statuspage.export import MANIFEST, TEMP_SUFFIX, ExportError, export
from surge.statuspage.files import Snapshot
from surge.statuspage.snapshot import build


def tree(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }


def test_the_export_is_the_whole_snapshot_and_its_manifest(tmp_path):
    snapshot = build(sample_view(), SITE)
    done = export(snapshot, tmp_path / "site")
    files = tree(tmp_path / "site")
    assert set(files) == {file.path for file in snapshot} | {MANIFEST}
    for file in snapshot:
        assert files[file.path] == file.body
    manifest = json.loads(files[MANIFEST])
    assert manifest["revision"] == 12
    assert manifest["files"] == {file.path: file.etag for file in snapshot}
    assert set(done.written) == set(snapshot.files) and done.unchanged == ()
    for path in (
        "status/index.html",
        "status/index.zh-TW.html",
        "api/v2/summary.json",
        "api/v2/incidents/unresolved.json",
        "history.atom",
        "banner.json",
        "banner.js",
    ):
        assert path in files  # fmt: skip
    mode = stat.S_IMODE((tmp_path / "site" / "banner.json").stat().st_mode)
    assert mode == 0o644  # the web server's user can read it


def test_again_it_rewrites_only_what_changed_and_removes_only_its_own(tmp_path):
    folder = tmp_path / "site"
    export(build(sample_view(), SITE), folder)
    (folder / "robots.txt").write_text("User-agent: *\n")  # the operator's own file
    again = export(build(sample_view(), SITE), folder)
    assert again.written == () and len(again.unchanged) == len(build(sample_view(), SITE).files)
    smaller = build(quiet_view(), SITE)
    files = dict(smaller.files)
    del files["api/v2/scheduled-maintenances.json"]
    done = export(Snapshot(files, 2, smaller.built_at, None), folder)
    assert done.removed == ("api/v2/scheduled-maintenances.json",)
    assert not (folder / "api/v2/scheduled-maintenances.json").exists()
    assert (folder / "robots.txt").read_text() == "User-agent: *\n"
    assert "api/v2/summary.json" in done.written


def test_a_reader_never_sees_part_of_a_file(tmp_path):
    folder = tmp_path / "site"
    snapshots = [build(sample_view(), SITE), build(quiet_view(), SITE)]
    export(snapshots[0], folder)
    known = {path: {s[path].body for s in snapshots} for path in snapshots[0].files}
    watched = ["status/index.html", "api/v2/summary.json", "history.atom", "banner.json"]
    stop = threading.Event()
    seen: list[tuple[str, bytes]] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            for path in watched:
                body = (folder / path).read_bytes()  # never missing, never partial
                reads[0] += 1
                if body not in known[path]:
                    seen.append((path, body))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round in range(16):
            export(snapshots[round % 2], folder)
    finally:
        stop.set()
        thread.join()
    assert seen == [] and reads[0] > 20
    assert not list(folder.rglob(f"*{TEMP_SUFFIX}"))


def test_a_killed_exports_temporary_files_are_cleared(tmp_path):
    folder = tmp_path / "site"
    (folder / "api" / "v2").mkdir(parents=True)
    leftover = folder / "api" / "v2" / f".summary.json.1234{TEMP_SUFFIX}"
    leftover.write_bytes(b'{"page":')
    export(build(sample_view(), SITE), folder)
    assert not leftover.exists()


def test_an_unwritable_folder_says_which_and_why(tmp_path):
    if os.geteuid() == 0:
        target = tmp_path / "file"
        target.write_text("not a folder")
        folder = target / "site"  # root may write anywhere, but not under a file
    else:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
    with pytest.raises(ExportError, match="cannot write the export to"):
        export(build(sample_view(), SITE), folder)
