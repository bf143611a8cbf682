"""The project's `.deploy-check/` is not trusted (an attack pass planted each of these):
a cache committed to the repository, a link where a state file or its folder would be, a
link to /dev/zero. None may turn a check, be followed out of the project, or exhaust memory."""

from __future__ import annotations

import json
import os
from pathlib import Path

from checks.code.cache import CACHE_FILE
from checks.support.state import STATE_DIR, read_state, state_folder, write_state

from helpers import run_json, write_project

# A client fetch without the Authorization header its route demands: CODE003 fails.
BEARER_APP = {
    "package.json": "{}\n",
    "app/api/notes/route.ts": ("export async function GET(req: Request) {\n"
                               "  const token = req.headers.get('authorization')\n"
                               "  if (!token) return new Response('no', { status: 401 })\n"
                               "  return Response.json([])\n}\n"),
    "components/Notes.tsx": "'use client'\nexport const load = () => fetch('/api/notes')\n",
}


def test_a_cache_committed_to_the_repository_is_not_believed(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", BEARER_APP)
    _, first = run_json(project, "--only", "CODE003")
    assert first["checks"][0]["status"] == "fail"
    found = read_state(project, CACHE_FILE)
    assert found is not None
    stored = found[0]
    for facts in stored["files"].values():  # forged: no bearer read, no fetch
        facts.update({"bearer": [], "fetches": []}) if isinstance(facts, dict) else None
    # Written as a repository would carry it: the JSON without this user's signature, or
    # signed by another machine's key.
    forged = json.dumps(stored).encode()
    (project / CACHE_FILE).write_bytes(b"0" * 64 + b"\n" + forged)
    _, again = run_json(project, "--only", "CODE003")
    assert again["checks"][0]["status"] == "fail"
    (project / CACHE_FILE).write_bytes(forged)
    _, again = run_json(project, "--only", "CODE003")
    assert again["checks"][0]["status"] == "fail"


def test_state_is_never_written_or_read_through_a_link(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {"package.json": "{}\n"})
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file\n")
    state = project / STATE_DIR
    state.mkdir()
    (state / "x.json").symlink_to(victim)
    write_state(project, f"{STATE_DIR}/x.json", {"a": 1})
    assert victim.read_text() == "the user's own file\n"
    assert not (state / "x.json").is_symlink() and read_state(project, f"{STATE_DIR}/x.json") is not None
    # A link read: never followed (to /dev/zero it would read until memory runs out).
    (state / "y.json").symlink_to("/dev/zero")
    assert read_state(project, f"{STATE_DIR}/y.json") is None
    # The folder itself a link out of the project: nothing written there, nothing read.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = write_project(tmp_path / "other", {"package.json": "{}\n"})
    (other / STATE_DIR).symlink_to(elsewhere)
    write_state(other, f"{STATE_DIR}/x.json", {"a": 1})
    assert list(elsewhere.iterdir()) == []
    (elsewhere / "x.json").write_text("{}")
    assert read_state(other, f"{STATE_DIR}/x.json") is None
    assert not [p for p in state.iterdir() if p.name.endswith(".tmp")]
    assert oct(os.stat(state / "x.json").st_mode & 0o777) == "0o600"


def test_the_screens_folder_is_made_only_inside_the_project(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {"package.json": "{}\n"})
    assert state_folder(project, "screens") == project / STATE_DIR / "screens"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = write_project(tmp_path / "other", {"package.json": "{}\n"})
    (other / STATE_DIR).symlink_to(elsewhere)  # DEV006 would have written its screenshots there
    assert state_folder(other, "screens") is None and list(elsewhere.iterdir()) == []
