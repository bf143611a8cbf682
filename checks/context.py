"""What every check receives: project paths, the merged environment, the config,
a masker, shared facts and lazily created clients. Checks never build their own."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from checks.config import Config
from checks.envfile import EnvFile, read_env_file
from checks.secrets import Masker, secret_values

if TYPE_CHECKING:
    import httpx

    from checks.project import ProjectModel
    from checks.state import Deferral

T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0


class Progress(Protocol):
    """How the core tells the console what is going on; only the console knows rich."""

    def started(self, check_id: str, title: str) -> None: ...
    def update(self, check_id: str, text: str) -> None: ...
    def finished(self, check_id: str, status: str) -> None: ...


class SilentProgress:
    def started(self, check_id: str, title: str) -> None:
        pass

    def update(self, check_id: str, text: str) -> None:
        pass

    def finished(self, check_id: str, status: str) -> None:
        pass


@dataclass
class LoadedEnvFile:
    path: Path
    parsed: EnvFile | None
    error: str | None  # unreadable or undecodable


def _load(path: Path) -> LoadedEnvFile:
    if path.exists() and not path.is_file():
        return LoadedEnvFile(path, None, f"{path.name} is not a regular file")
    if not path.is_file():
        return LoadedEnvFile(path, None, None)
    try:
        return LoadedEnvFile(path, read_env_file(path), None)
    except (OSError, UnicodeDecodeError) as exc:
        return LoadedEnvFile(path, None, f"cannot read {path.name}: {exc}")


@dataclass
class Context:
    project: Path
    config: Config = field(default_factory=Config)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    timeout: float = DEFAULT_TIMEOUT
    progress: Progress = field(default_factory=SilentProgress)
    today: dt.date = field(default_factory=dt.date.today)
    env_file_override: Path | None = None
    example_file_override: Path | None = None

    def __post_init__(self) -> None:
        self.project = self.project.resolve()
        self._facts: dict[str, asyncio.Future[Any]] = {}
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self._http: httpx.AsyncClient | None = None

    # -- files ---------------------------------------------------------------
    def path(self, name: str) -> Path:
        return (self.project / name).resolve()

    @property
    def env_path(self) -> Path:
        return self.env_file_override or self.path(self.config.env_file)

    @property
    def example_path(self) -> Path:
        return self.example_file_override or self.path(self.config.example_file)

    @property
    def state_path(self) -> Path:
        return self.path(self.config.state_file)

    @cached_property
    def env_local(self) -> LoadedEnvFile:
        return _load(self.env_path)

    @cached_property
    def example(self) -> LoadedEnvFile:
        return _load(self.example_path)

    @cached_property
    def model(self) -> ProjectModel:
        """What the app uses, discovered once per run (checks/project)."""
        from checks.project import discover

        return discover(self.project, self.config)

    # -- values --------------------------------------------------------------
    @cached_property
    def env(self) -> dict[str, str]:
        """What the app sees: the process environment over `.env.local`, as Next.js does."""
        merged = dict(self.env_local.parsed.values) if self.env_local.parsed else {}
        merged.update(self.environ)
        return merged

    def value(self, key: str) -> str:
        """The value the app would see for `key`, stripped; "" when unset."""
        return self.env.get(key, "").strip()

    def source_of(self, key: str) -> str | None:
        if key in self.environ:
            return "process environment"
        if self.env_local.parsed and key in self.env_local.parsed.values:
            return self.env_local.path.name
        return None

    @cached_property
    def masker(self) -> Masker:
        return Masker(secret_values(self.env))

    def mask(self, text: str) -> str:
        return self.masker(text)

    def report_progress(self, check_id: str, text: str) -> None:
        """Live progress goes to a terminal (or a CI log) too: masked like any output."""
        self.progress.update(check_id, self.mask(text))

    # -- waivers -------------------------------------------------------------
    @cached_property
    def monitoring_deferral(self) -> Deferral | None:
        """A Decisions Log entry that defers monitoring (Sentry) for this gate."""
        from checks.state import find_monitoring_deferral

        if not self.state_path.is_file():
            return None
        try:
            text = self.state_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return find_monitoring_deferral(text)

    # -- shared facts and clients -------------------------------------------
    async def fact(self, name: str, collect: Callable[[], Awaitable[T]]) -> T:
        """Collect a fact once per run, however many checks judge it."""
        future = self._facts.get(name)
        if future is None:
            future = asyncio.ensure_future(collect())
            self._facts[name] = future
        result: T = await asyncio.shield(future)
        return result

    def http(self) -> httpx.AsyncClient:
        """One client per run; redirects are never followed automatically, so a
        credential can't travel to another host (checks follow them by hand)."""
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                headers={"User-Agent": "deploy-check"},
                trust_env=False,
            )
        return self._http

    def add_cleanup(self, cleanup: Callable[[], Awaitable[None]]) -> None:
        self._cleanups.append(cleanup)

    async def aclose(self) -> None:
        for cleanup in reversed(self._cleanups):
            with contextlib.suppress(Exception):  # teardown must go on for the rest
                await cleanup()
        self._cleanups.clear()
        for future in self._facts.values():
            if not future.done():
                future.cancel()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
