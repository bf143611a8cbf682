"""What every check receives: project paths, the merged environment, the config,
a masker, shared facts and lazily created clients. Checks never build their own."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from checks.project import discover
from checks.project.config import Config
from checks.project.detectors import EXAMPLE_FILES, NEXT_DEV_ENV_FILES, SECRET_ENV_FILES
from checks.project.examples import (
    config_env_file,
    config_env_files,
    documented_env_file,
    find_example,
    find_examples,
    script_env_files,
    tools_env_file,
)
from checks.project.reading import read_small
from checks.project.state import find_expired_deferral, find_monitoring_deferral
from checks.project.workspace import package_manager
from checks.support.envfile import EnvFile, read_env_file
from checks.support.files import STATE_LIMIT, UnreadableFile, read_text
from checks.support.secrets import Masker, secret_values, secrets_in_text, set_cookie_values

if TYPE_CHECKING:
    import asyncio

    import httpx

    from checks.project.model import ProjectModel
    from checks.project.state import Deferral

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
        said = str(exc) if isinstance(exc, UnreadableFile) else f"cannot read {path.name}: {exc}"
        return LoadedEnvFile(path, None, said)


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
    allow_remote_login: bool = False  # AUTH003 may sign in against a non-loopback app
    # The check ids this run judges (None: all): a fact collected for one check only (a second
    # user's sign-in, a browser) is not collected when that check is not asked for.
    selected: frozenset[str] | None = None

    def __post_init__(self) -> None:
        self.project = self.project.resolve()
        self._facts: dict[str, asyncio.Future[Any]] = {}
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self._http: httpx.AsyncClient | None = None
        self._once: dict[str, Any] = {}

    def wants(self, check_id: str) -> bool:
        """Whether this run judges `check_id`."""
        return self.selected is None or check_id in self.selected

    # -- files ---------------------------------------------------------------
    def path(self, name: str) -> Path:
        return (self.project / name).resolve()

    def rel(self, path: Path) -> str:
        """`path` as messages name it: relative to the project where it lies inside."""
        try:
            return path.relative_to(self.project).as_posix()
        except ValueError:
            pass
        # A file of the app's monorepo (packages/db/.env.example) as `../../packages/db/…`.
        if self._workspace is not None and path.is_relative_to(self._workspace):
            return Path(os.path.relpath(path, self.project)).as_posix()
        return str(path)

    @cached_property
    def _workspace(self) -> Path | None:
        _manager, where, _why = package_manager(self.project)
        return None if where in (None, ".") else (self.project / where).resolve()

    @property
    def env_pinned(self) -> bool:
        """`--env-file` or `[project] env_file` pin one file instead of Next.js's set."""
        return self.env_file_override is not None or self.config.env_file is not None

    @property
    def env_path(self) -> Path:
        """The file the user fills (and `provision env` writes): the pinned one, else
        `.env.local`, the one Next.js meant for local values, or `.env` where the app's own
        tools read only that (checks/project/examples.py tools_env_file)."""
        if self.env_file_override is not None:
            return self.env_file_override
        return self.path(self.config.env_file or self.default_env_name)

    @cached_property
    def default_env_name(self) -> str:
        """`.env.local`, or `.env` where the app's own tools read that one only, or the file
        its next.config loads through dotenv when it keeps no example of its own."""
        found = (tools_env_file(self.project) or documented_env_file(self.project)
                 or config_env_file(self.project))
        return found[0] if found else ".env.local"

    @cached_property
    def looked_env_names(self) -> list[str]:
        """The env files an unpinned run looks for, highest priority first: those the dev
        script loads into the process environment (`dotenv -e ../.env -- next dev`), then
        Next.js's, then those the app's next.config loads itself (`../../.env`)."""
        first = (script_env_files(self.project) or ([], ""))[0]
        last = (config_env_files(self.project) or ([], ""))[0]
        return [*first, *(name for name in [*NEXT_DEV_ENV_FILES, *last] if name not in first)]

    @property
    def example_path(self) -> Path:
        if self.example_file_override is not None:
            return self.example_file_override
        if self.config.example_file:
            return self.path(self.config.example_file)

        found = find_example(self.project)
        return found if found is not None else self.path(EXAMPLE_FILES[0])

    @property
    def state_path(self) -> Path:
        return self.path(self.config.state_file)

    @cached_property
    def env_files(self) -> list[LoadedEnvFile]:
        """The env files the app loads, highest priority first (below the process
        environment): Next.js's `next dev` order, or the one pinned file."""
        if self.env_pinned:
            return [self.env_local]

        found = []
        for name in self.looked_env_names:
            path = self.path(name)
            loaded = self.env_local if path == self.env_path else _load(path)
            if loaded.parsed is not None or loaded.error is not None:
                found.append(loaded)
        return found

    @cached_property
    def tool_env_files(self) -> list[LoadedEnvFile]:
        """The env files the schema's tool reads the database variable from when it runs in a
        workspace package outside the app (model.database_env_files: next-forge's
        packages/database/.env), highest priority first, present or not; [] when it reads the
        app's own files, or when one file is pinned (--env-file, [project] env_file)."""
        if self.env_pinned:
            return []
        return [_load(self.path(name)) for name in self.model.database_env_files]

    @cached_property
    def env_local(self) -> LoadedEnvFile:
        return _load(self.env_path)

    @cached_property
    def example(self) -> LoadedEnvFile:
        return _load(self.example_path)

    @cached_property
    def examples(self) -> list[LoadedEnvFile]:
        """Every env example in use, `example` first: a pinned one (`--example`, `[project]
        example_file`) alone; else `.env.local.example` and, beside it, the example of `.env`
        (checks/project/examples.py find_examples)."""
        if self.example_file_override is not None or self.config.example_file:
            return [self.example]
        return [self.example, *(_load(path) for path in find_examples(self.project)[1:])]

    def example_target(self, example: LoadedEnvFile) -> Path:
        """The env file `example` describes, where a value for its keys goes: the file it is
        named after when the app has two examples (`.env.local.example` → `.env.local`,
        `.env.example` → `.env`); else, and whenever one env file is pinned, `env_path`."""
        if len(self.examples) < 2 or self.env_pinned:
            return self.env_path
        return self.path(".env.local" if example.path.name == EXAMPLE_FILES[0] else ".env")

    @cached_property
    def model(self) -> ProjectModel:
        """What the app uses, discovered once per run (checks/project)."""

        examples = [(self.rel(e.path), e.parsed.keys) for e in self.examples if e.parsed is not None]
        return discover(self.project, self.config,
                        env_files=[(self.rel(f.path), f.parsed.keys if f.parsed else [])
                                   for f in self.env_files],
                        examples=examples, environ=self.environ,
                        settings=self.env)

    # -- values --------------------------------------------------------------
    @cached_property
    def env(self) -> dict[str, str]:
        """What the app sees: the process environment over the env files, in Next.js's
        order (a higher file wins over a lower one)."""
        merged: dict[str, str] = {}
        for loaded in reversed(self.env_files):
            if loaded.parsed:
                merged.update(loaded.parsed.values)
        merged.update(self.environ)
        return merged

    def value(self, key: str) -> str:
        """The value the app would see for `key`, stripped; "" when unset."""
        return self.env.get(key, "").strip()

    def source_of(self, key: str) -> str | None:
        """Where the value of `key` comes from (a file relative to the project); never the value."""
        if key in self.environ:
            return "process environment"
        for loaded in self.env_files:
            if loaded.parsed and key in loaded.parsed.values:
                return self.rel(loaded.path)
        return None

    def file_values(self) -> list[dict[str, str]]:
        """Every value of every env file that may hold secrets, overridden or not: a
        secret in `.env` is a secret even where `.env.local` overrides it."""

        found = [dict(f.parsed.values) for f in [*self.env_files, *self.tool_env_files] if f.parsed]
        for name in SECRET_ENV_FILES:
            path = self.path(name)
            if any(f.path == path for f in self.env_files):
                continue
            loaded = _load(path)
            if loaded.parsed:
                found.append(dict(loaded.parsed.values))
        return found

    @cached_property
    def masker(self) -> Masker:
        secrets = secret_values(self.env)
        for values in self.file_values():
            secrets |= secret_values(values)
        # deploy-check.toml itself: a dev command or an issuer URL may carry a secret.
        if self.config.path is not None:
            secrets |= secrets_in_text(read_small(self.config.path) or "")
        secrets |= self.config.sent_secrets()
        return Masker(secrets)

    def mask(self, text: str) -> str:
        return self.masker(text)

    def report_progress(self, check_id: str, text: str) -> None:
        """Live progress goes to a terminal (or a CI log) too: masked like any output."""
        self.progress.update(check_id, self.mask(text))

    # -- waivers -------------------------------------------------------------
    @cached_property
    def _state_text(self) -> str | None:
        if not self.state_path.exists():
            return None
        try:
            return read_text(self.state_path, STATE_LIMIT)
        except (OSError, UnicodeDecodeError):
            return None

    @cached_property
    def monitoring_deferral(self) -> Deferral | None:
        """A Decisions Log entry that defers monitoring (Sentry) for this gate, and whose
        "until" day (if it names one) has not passed."""
        text = self._state_text
        return None if text is None else find_monitoring_deferral(text, self.today)

    @cached_property
    def expired_monitoring_deferral(self) -> Deferral | None:
        """A Decisions Log deferral of monitoring that has expired, when none is in force:
        it waives nothing, and the report warns of it, naming its day."""
        text = self._state_text
        return None if text is None else find_expired_deferral(text, self.today)

    # -- shared facts and clients -------------------------------------------
    def once(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` once per run (a plain fact several checks read: the schema's files and
        their digests); an exception is not kept, the next caller computes again."""
        if name not in self._once:
            self._once[name] = compute()
        result: T = self._once[name]
        return result

    def recall(self, name: str) -> tuple[bool, Any]:
        """(whether `once(name, …)` ran in this run, what it gave)."""
        return name in self._once, self._once.get(name)

    async def fact(self, name: str, collect: Callable[[], Awaitable[T]]) -> T:
        """Collect a fact once per run, however many checks judge it."""
        import asyncio  # start-up: a run of plain checks (env-only) has no event loop at all

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
            import httpx  # start-up: only runs that make a request load httpx

            self._http = httpx.AsyncClient(
                event_hooks=self.response_hooks(),
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                headers={"User-Agent": "deploy-check"},
                trust_env=False,
            )
        return self._http

    def response_hooks(self) -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
        """httpx event hooks for every client of the run: the cookies an answer sets are
        secrets the moment it arrives, before any caller reads it and before the app can
        print them in its log."""

        async def learn_cookies(response: httpx.Response) -> None:
            self.masker.add(set_cookie_values(response.headers.get_list("set-cookie")))

        return {"response": [learn_cookies]}

    @property
    def closed(self) -> bool:
        """Nothing to close: no cleanup, fact or client was taken up."""
        return not self._cleanups and not self._facts and self._http is None

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
