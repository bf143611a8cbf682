"""The one shape every benchmark reports in, so `make bench` can print each figure next to
its anchor (measured in the same run) and say whether the issue's target is met.

A bench module exposes `figures() -> list[Figure]`; bench/run_all.py lists the modules.
Measure a figure and its anchor interleaved (`interleaved_medians`): the machine is shared,
and only a ratio taken in the same minutes means anything."""

from __future__ import annotations

import compileall
import hashlib
import os
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure. `met` is None when there is no target (a figure to report),
    or when the anchor could not be measured here (the verdict says why in `note`)."""

    name: str
    value: float
    unit: str  # "ms", "s", "MiB", "µs", "x"
    anchor: str = ""  # what it is compared with, e.g. "python -c pass"
    anchor_value: float | None = None
    target_text: str = ""  # the target, e.g. "≤ anchor + 80 ms"
    met: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "report" if not self.target_text else "not measured"
        return "met" if self.met else "NOT MET"


def line(figure: Figure) -> str:
    anchor = (f"  vs {figure.anchor} {figure.anchor_value:.1f} {figure.unit}"
              if figure.anchor and figure.anchor_value is not None else
              (f"  vs {figure.anchor} (not measured)" if figure.anchor else ""))
    target = f"  target {figure.target_text}:" if figure.target_text else ""
    note = f"  ({figure.note})" if figure.note else ""
    return f"  {figure.name:<46} {figure.value:9.1f} {figure.unit:<3}{anchor}{target} {figure.verdict}{note}"


def as_installed(repo: Path) -> None:
    """Compile the measured checkout's modules to bytecode once, as `pip install` does for a
    user's deploy-check. Where PYTHONDONTWRITEBYTECODE is set (these machines set it), a
    `python -m checks` run from a checkout would otherwise compile every module it imports
    from source, each run: 50-80 ms that no installed copy pays, on every figure."""
    for package in ("checks", "provision"):
        if (repo / package).is_dir():
            compileall.compile_dir(repo / package, quiet=1, workers=1)


def interleaved_medians(commands: Mapping[str, Sequence[str] | Callable[[], object]], runs: int, *,
                        cwd: str | None = None, env: Mapping[str, str] | None = None,
                        warm: int = 1) -> dict[str, float]:
    """Median seconds of each command, run in turns (a, b, c, a, b, c, …) so that load from
    other users of the machine falls on all of them alike. A command is an argv (a process,
    its output discarded) or a callable (timed in this process)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs + warm):
        for name, command in commands.items():
            began = time.perf_counter()
            if callable(command):
                command()
            else:
                _run_bounded(list(command), cwd, env)
            if round_ >= warm:
                times[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) for name, values in times.items()}


def _run_bounded(argv: list[str], cwd: str | None, env: Mapping[str, str] | None, limit: float = 600) -> None:
    """Run to the end, killed after `limit` s. Not subprocess.run(timeout=): its wait polls
    with sleeps of up to 50 ms, which rounds every figure up to the next 50 ms (a cost per
    migration over 5,000 could only be 0, 10, 20, 30 µs)."""
    process = subprocess.Popen(argv, cwd=cwd, env=None if env is None else dict(env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killer = threading.Timer(limit, process.kill)
    killer.start()
    try:
        process.wait()  # blocks in waitpid: returns the moment the child ends
    finally:
        killer.cancel()


def npm_packages(name: str, packages: Sequence[str], *, lockfile_dir: Path | None = None) -> Path | None:
    """A folder whose node_modules holds `packages` (or the lockfile of `lockfile_dir`),
    installed once into a cache; None where node/npm are missing or the registry is
    unreachable (the anchor is then left out, and the figure says so)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deploy-check-bench" / "npm"
    key = hashlib.sha256(repr((sorted(packages), (lockfile_dir / "package-lock.json").read_bytes()
                               if lockfile_dir else b"")).encode()).hexdigest()[:16]
    target = base / f"{name}-{key}"
    if (target / "node_modules").is_dir():
        return target
    target.mkdir(parents=True, exist_ok=True)
    if lockfile_dir is not None:
        for file in ("package.json", "package-lock.json"):
            shutil.copy(lockfile_dir / file, target / file)
        argv = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    else:
        (target / "package.json").write_text('{"private": true}\n')
        argv = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *packages]
    try:
        done = subprocess.run(argv, cwd=target, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0 and lockfile_dir is not None:
            # npm 11 calls a lockfile without other platforms' optional packages (dbmate's)
            # out of sync; `npm install` still takes every locked version from it.
            done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target,
                                  capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        shutil.rmtree(target / "node_modules", ignore_errors=True)
        return None
    return target


def server_dir() -> str | None:
    """Where a bench's embedded PostgreSQL keeps its data: memory (/dev/shm) where the machine
    has it. On this VM's disk, `psql -1 -f` of the same 1,000-table schema took 1.4, 2.7 and
    4.2 s in three consecutive rounds on one idle server (ext4 writeback, fsync already off):
    a figure and its anchor then measure the disk's mood, not the work. Both run against the
    same server, so the ratio stays fair; BENCH_SERVER_DIR names another place."""
    chosen = os.environ.get("BENCH_SERVER_DIR")
    if chosen:
        return chosen
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
