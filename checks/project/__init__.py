"""The project model: what the app really uses, found once per run from its own files
(DESIGN.md "Discovery"). Every family reads it through `ctx.model`; `deploy-check
detect` prints it; the JSON report carries it.

Each fact carries `why`: the file (relative to the project) and what in it named the
fact, so "why did it check that?" has an answer. A fact that was not found is `None`
with `why` saying what was looked for — never a silent default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from checks.config import Config

SchemaKind = Literal["sql", "drizzle", "prisma", "supabase", "dbmate", "golang-migrate", "plain"]


@dataclass(frozen=True)
class EnvFileFact:
    path: str  # relative to the project
    keys: int


@dataclass(frozen=True)
class SchemaFact:
    kind: SchemaKind
    path: str  # relative to the project: the file, or the migrations directory
    why: str


@dataclass
class ProjectModel:
    root: Path
    # Env files the app loads, highest priority first (Next.js `next dev` order).
    env_files: list[EnvFileFact] = field(default_factory=list)
    example_file: str | None = None
    database_var: str | None = None
    database_var_why: str = ""
    schema: SchemaFact | None = None
    schema_why: str = ""  # when `schema` is None: what was looked for
    auth_provider: str | None = None  # neon-auth, stack, supabase, clerk, authjs, better-auth, kinde, oidc, none
    auth_why: str = ""
    sentry_required: bool = False
    sentry_why: str = ""
    package_manager: str | None = None
    workspace_root: str | None = None  # relative to the project, "." when it is the root
    dev_command: str | None = None
    dev_why: str = ""
    looks_like_app: bool = True
    looks_like_app_why: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["root"] = str(self.root)
        return data


# Migration directories known without configuration, in the order they are tried.
_MIGRATION_DIRS: tuple[tuple[str, SchemaKind], ...] = (
    ("drizzle", "drizzle"),
    ("supabase/migrations", "supabase"),
    ("db/migrations", "dbmate"),
)


def _schema(root: Path, config: Config) -> tuple[SchemaFact | None, str]:
    if config.schema:
        path = root / config.schema
        kind: SchemaKind = "sql" if not path.is_dir() else "plain"
        return SchemaFact(kind, config.schema, "deploy-check.toml: [project] schema"), ""
    if (root / "schema.sql").is_file():
        return SchemaFact("sql", "schema.sql", "schema.sql"), ""
    for name, kind in _MIGRATION_DIRS:
        if (root / name).is_dir():
            return SchemaFact(kind, name, f"{name}/ exists"), ""
    return None, "looked for schema.sql, drizzle/, supabase/migrations/, db/migrations/"


def discover(root: Path, config: Config) -> ProjectModel:
    """The project model of the app at `root` (already resolved)."""
    model = ProjectModel(root=root)
    model.database_var = config.database_url_var
    model.database_var_why = "default" if config.database_url_var == "DATABASE_URL" else (
        "deploy-check.toml: [database] url_var")
    model.schema, model.schema_why = _schema(root, config)
    model.auth_provider = None if config.auth_provider == "auto" else config.auth_provider
    model.auth_why = "deploy-check.toml: [auth] provider" if model.auth_provider else ""
    model.sentry_required = config.sentry_required
    model.sentry_why = "default" if config.sentry_required else "deploy-check.toml: [sentry] required = false"
    return model
