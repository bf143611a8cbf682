"""Which file documents the app's variables: the usual example names in the app's folder;
the names some apps use instead (`env.example`, `example.env`, `.env.dist`, `.env.defaults`)
where the app's README or package.json scripts copy them (a `.env.defaults` nobody copies may
be real defaults, not an example); and in a monorepo, when the app has none of its own, the
example of the workspace package that owns its database (`packages/db/.env.example`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from checks.project import detectors as d
from checks.project.database import drizzle_config
from checks.project.prismaschema import prisma_schema_files
from checks.project.reading import package_json, read_small, relative
from checks.project.workspace import DEV_TARGET, nx_env_files, package_manager, workspace_packages
from checks.support.lazyre import lazy

README_NAMES = ("README.md", "readme.md", "README", "README.mdx", "CONTRIBUTING.md")
# A setup step that copies the example to `.env` (`cp .env.example .env`, a path before each).
COPIES_TO_DOTENV = lazy(r"\bcp\s+(?:\S*/)?\.env\.example\s+(?:\S*/)?\.env(?![\w.])")


def _setup_texts(home: Path) -> list[tuple[str, str]]:
    """(file, text) of what tells a user how to set the app up: its README-like files and
    its package.json scripts."""
    texts = [(readme, read_small(home / readme) or "") for readme in README_NAMES]
    scripts = (package_json(home) or {}).get("scripts")
    if isinstance(scripts, dict):
        texts += [("package.json", command) for command in scripts.values() if isinstance(command, str)]
    return texts


def _named_by_the_app(home: Path, name: str) -> bool:
    return any(name in text for _, text in _setup_texts(home))


# A setup step that copies an example of another name to the env file (langfuse's
# CONTRIBUTING.md: `cp .env.dev.example .env`; `cp .env.example.development .env.local`).
COPIES_EXAMPLE = lazy(r"\bcp\s+(?:\./)?(?P<source>[\w.-]*\.env[\w.-]*|\.?env[\w.-]*)\s+"
                            r"(?:\./)?\.env(?:\.local)?(?![\w.])")
_EXAMPLE_WORD = lazy(r"example|sample|template", re.IGNORECASE)


def example_in(home: Path) -> Path | None:
    for name in d.EXAMPLE_FILES:
        if (home / name).is_file():
            return home / name
    for name in d.COPIED_EXAMPLE_FILES:
        if (home / name).is_file() and _named_by_the_app(home, name):
            return home / name
    for _, text in _setup_texts(home):
        for copy in COPIES_EXAMPLE.finditer(text):
            source = copy["source"]
            if _EXAMPLE_WORD.search(source) and (home / source).is_file():
                return home / source
    return None


def find_examples(root: Path) -> list[Path]:
    """Every example of the app at `root`, the one `find_example` gives first. An app may keep
    two: `.env.local.example` for `.env.local` and `.env.example` (or `.env.sample`,
    `.env.template`) for `.env` (vercel/nextjs-subscription-payments: Supabase and Stripe keys
    in the first, the Supabase CLI's GitHub login in the second). Next.js loads both files, so
    both examples say what the app needs."""
    first = find_example(root)
    if first is None:
        return []
    if first.name != d.EXAMPLE_FILES[0]:
        return [first]
    second = next((first.parent / name for name in d.DOTENV_EXAMPLE_FILES if (first.parent / name).is_file()), None)
    return [first, second] if second is not None else [first]


def config_env_files(root: Path) -> tuple[list[str], str] | None:
    """(files, why): the env files the app's next.config loads itself through dotenv with a
    literal path (calcom/cal.com apps/web/next.config.js: `require("dotenv").config({ path:
    "../../.env" })`), relative to the app, where `next dev` runs and dotenv resolves them.
    Next.js loads its own files before the config, and dotenv overrides nothing: these come
    last. None when its config loads none."""
    for name in d.NEXT_CONFIGS:
        text = read_small(root / name)
        if text is None:
            continue
        named = [match["path"] for match in d.DOTENV_CONFIG_PATH.finditer(text)]
        inside = [path for path in dict.fromkeys(named) if in_workspace(root, root / path)]
        if inside:
            files = [relative(root, root / path) for path in inside]
            return files, f"{name} loads {', '.join(files)} through dotenv"
    return None


# The env-file flags of the loaders a dev script runs `next dev` through: dotenv-cli
# (`dotenv -e ../.env -- next dev`, langfuse's web/package.json; its README: `-e` once per
# file) and env-cmd (`env-cmd -f .env.dev next dev`). They put the values into the process
# environment, above every file Next.js loads. Without the flag each loads `.env` of the
# folder it runs in (dotenv-cli README: "-e <path>", default `.env`; env-cmd README: "-f,
# --file [path]", default ./.env); dotenv-cli's `-c` cascade is not read here.
_LOADER_FLAGS = {"dotenv": ("-e",), "dotenv-cli": ("-e",), "env-cmd": ("-f", "--file")}
_CASCADE = ("-c",)
# Options whose value is no env file: dotenv-cli `-v NAME=value` (sets one variable) and `-p
# NAME` (prints one); env-cmd `-e, --environments` and `-r, --rc-file`, which read an rc file
# (.env-cmdrc) in place of `.env` (the READMEs above).
_VALUE_OPTIONS = {"dotenv": ("-v", "-p"), "dotenv-cli": ("-v", "-p"),
                  "env-cmd": ("-e", "--environments", "-r", "--rc-file")}
_RC_OPTIONS = ("-e", "--environments", "-r", "--rc-file")
# Node's preload of dotenv (dotenv README "Preload": `node -r dotenv/config your_script.js`),
# which a custom server's dev script uses (Dokploy's apps/dokploy/package.json: `tsx -r
# dotenv/config ./server/server.ts`): `.env` of the folder it runs in enters the process
# environment before Next.js reads any file of its own.
_PRELOAD = lazy(r"(?:^|\s)(?:-r|--require|--import)(?:=|\s+)['\"]?dotenv/config['\"]?(?=\s|$)")
# turbo 2 passes a task only the variables turbo.json declares unless its envMode is loose
# (turbo.build/repo/docs/crafting-your-repository/using-environment-variables#environment-modes).
_TURBO_LOOSE = lazy(r'"envMode"\s*:\s*"loose"')


# A dev script that first runs another script of its own package.json, the words after it
# appended to that script: `"dev": "pnpm with-env next dev"` with `"with-env": "dotenv -e
# ../../.env --"` (t3-oss/create-t3-turbo apps/nextjs/package.json). pnpm, yarn and bun run a
# script by its bare name or through `run`; npm only through `run` (`run-script`), its extra
# words after `--` (pnpm.io/cli/run, docs.npmjs.com/cli/commands/npm-run-script).
_RUNS_OWN_SCRIPT = lazy(r"^\s*(?:(?:pnpm|yarn|bun)\s+(?:run\s+)?|npm\s+run(?:-script)?\s+)"
                        r"(?P<name>[\w:.-]+)(?:\s+--(?=\s|$))?(?P<rest>.*)$")


def _dev_script(home: Path) -> str:
    scripts = (package_json(home) or {}).get("scripts")
    if not isinstance(scripts, dict):
        return ""
    return _expanded(scripts, "dev")


def _expanded(scripts: dict[str, Any], name: str) -> str:
    """The script `name`, each leading run of another script of the same package.json
    (`pnpm with-env next dev`) replaced by that script's text with the words after it
    appended, once per script (a loop of scripts ends there)."""
    text, seen = str(scripts.get(name) or ""), {name}
    while (runs := _RUNS_OWN_SCRIPT.match(text)) and runs["name"] not in seen:
        inner = scripts.get(runs["name"])
        if not isinstance(inner, str):
            break
        seen.add(runs["name"])
        text = f"{inner} {runs['rest'].strip()}".strip()
    return text


def tool_script_env_files(root: Path, home: Path, tool: str) -> tuple[list[str], str] | None:
    """(files, why): the env files a script of `home`'s package.json loads through dotenv-cli
    or env-cmd before it runs `tool` (saasfly's packages/db: `"db:push": "bun with-env prisma
    db push"`, `"with-env": "dotenv -e ../../.env.local --"`), relative to `root`; they enter
    the process environment, above any file the tool loads itself. None when none does."""
    scripts = (package_json(home) or {}).get("scripts")
    if not isinstance(scripts, dict):
        return None
    for name in scripts:
        text = _expanded(scripts, name)
        if not re.search(rf"(?:^|\s){re.escape(tool)}\s", f"{text} "):
            continue
        inside = [path for path in dict.fromkeys(_loaded_by(text)) if in_workspace(root, home / path)]
        if inside:
            files = [relative(root, home / path) for path in inside]
            return files, f"its script {name} loads {', '.join(files)} ({_loader_name(text)}) before {tool} runs"
    return None


def _loaded_by(dev: str) -> list[str]:
    """The env files a dev script's loaders put into the process environment, as written
    (relative to the folder the script runs in)."""
    words = dev.split()
    named: list[str] = []
    for start, word in enumerate(words):
        flags = _LOADER_FLAGS.get(word)
        if flags is None:
            continue
        rest = iter(words[start + 1:])
        given, cascade = False, False
        for flag in rest:
            option, _, value = flag.partition("=")
            if option in flags:
                given = True
                value = value or next(rest, "")
                if value:
                    named.append(value.strip("'\""))
            elif option in _CASCADE:
                cascade = True
            elif option in _VALUE_OPTIONS.get(word, ()):
                if not value:
                    next(rest, "")  # its value, which is no file and not yet the command
                given = given or (word == "env-cmd" and option in _RC_OPTIONS)  # an rc file, no .env
            elif not flag.startswith("-") or flag == "--":
                break  # the command it runs
        if not given and not cascade:
            named.append(".env")
    if _PRELOAD.search(dev):
        named.append(".env")
    return named


def _loader_name(dev: str) -> str:
    if _PRELOAD.search(dev):
        return "dotenv/config preloaded"
    return "dotenv-cli" if "dotenv" in dev else "env-cmd"


def _root_dev_reaches(workspace: Path, root: Path, dev: str) -> bool:
    """Whether the workspace root's dev script starts the app with the environment its loader
    gave it: `dotenv -- turbo run dev` (Mail-0/Zero's package.json, turbo.json `"envMode":
    "loose"`), or a filter naming the app (`--filter web`)."""
    targets = {m[1] or m[2] for m in DEV_TARGET.finditer(dev)}
    if targets:
        name = (package_json(root) or {}).get("name")
        path = relative(workspace, root)
        return bool(targets & {path, f"./{path}", root.name, *([name] if isinstance(name, str) else [])})
    if not re.search(r"\bturbo\b", dev):
        return False
    return "--env-mode=loose" in dev or bool(_TURBO_LOOSE.search(read_small(workspace / "turbo.json") or ""))


def script_env_files(root: Path) -> tuple[list[str], str] | None:
    """(files, why): the env files the app's dev script loads through dotenv-cli, env-cmd or
    a preloaded dotenv/config, in the app or its workspace root, relative to the app (where
    the script runs); else those the workspace root's dev script loads before it starts the
    app (relative to the app too), else those Nx loads when the dev server starts through
    it; None when none loads any that way."""
    return _loaded_by_scripts(root) or nx_env_files(root)


def _loaded_by_scripts(root: Path) -> tuple[list[str], str] | None:
    dev = _dev_script(root)
    inside = [path for path in dict.fromkeys(_loaded_by(dev)) if in_workspace(root, root / path)]
    if inside:
        files = [relative(root, root / path) for path in inside]
        return files, f"package.json's dev script loads {', '.join(files)} ({_loader_name(dev)})"
    _manager, workspace_root, _why = package_manager(root)
    if workspace_root in (None, "."):
        return None
    workspace = (root / workspace_root).resolve()
    dev = _dev_script(workspace)
    named = list(dict.fromkeys(_loaded_by(dev)))
    if not named or not _root_dev_reaches(workspace, root, dev):
        return None
    inside = [path for path in named if in_workspace(root, workspace / path)]
    if not inside:
        return None
    files = [relative(root, workspace / path) for path in inside]
    return files, (f"the workspace root's dev script ({relative(root, workspace / 'package.json')}) loads "
                   f"{', '.join(files)} ({_loader_name(dev)}) before it starts the app")


def in_workspace(root: Path, path: Path) -> bool:
    """Whether `path` lies in the app or its workspace root: a config naming any other file
    (`/home/me/.bashrc`) is not taken as the app's env file, never read or written by us."""
    _manager, workspace_root, _why = package_manager(root)
    homes = [root.resolve(), *([(root / workspace_root).resolve()] if workspace_root not in (None, ".") else [])]
    found = path.resolve()
    return any(found == home or found.is_relative_to(home) for home in homes)


def config_env_file(root: Path) -> tuple[str, str] | None:
    """(file, why) where the app's dev script loads a file of its own folder into the process
    environment (`tsx -r dotenv/config`: `.env`), or where the app keeps no example of its own
    and its dev script, its workspace root's or its next.config loads an env file (a monorepo's
    `../../.env`): that file is the one its users fill and hints name. None: `.env.local`."""
    script = script_env_files(root)
    if script is not None and not script[0][0].startswith("../"):
        # The app's own file its dev script loads above all of Next.js's (`tsx -r
        # dotenv/config`: `.env`): a value written to `.env.local` would never be seen.
        return script[0][0], script[1]
    loaded = script or config_env_files(root) or _linked_env_file(root)
    if loaded is None or example_in(root) is not None:
        return None
    files, why = loaded
    return files[0], why


def find_example(root: Path) -> Path | None:
    """The example file of the app at `root` (resolved), None when there is none: its own,
    else the one beside the env file its next.config loads (`../../.env.example` beside
    `../../.env`), else that of the workspace package that owns its database."""
    own = example_in(root)
    if own is not None:
        return own
    loaded = [*(script_env_files(root) or ([], ""))[0], *(config_env_files(root) or ([], ""))[0]]
    for name in loaded:
        beside = example_in((root / name).parent)
        if beside is not None:
            return beside.resolve()
    for target in linked_env_files(root):
        beside = example_in(target.parent)
        if beside is not None:
            return beside.resolve()
    _manager, workspace_root, _why = package_manager(root)
    if workspace_root in (None, "."):
        return None
    packages = workspace_packages(root, (root / workspace_root).resolve(), package_json(root))
    # The package that owns the database (its drizzle.config or Prisma schema) first.
    packages.sort(key=lambda home: drizzle_config(home) is None and not prisma_schema_files(home, package_json(home)))
    for home in packages:
        found = example_in(home)
        if found is not None:
            return found
    return None


def linked_env_files(root: Path) -> list[Path]:
    """The files the app's env files link to inside its workspace (formbricks commits
    apps/web/.env as a symlink to ../../.env, which its `pnpm dev:setup` copies from the root's
    .env.example): the example beside such a target documents what the app reads."""
    links = [root / name for name in d.NEXT_DEV_ENV_FILES if (root / name).is_symlink()]
    return [link.resolve() for link in links if in_workspace(root, link)]


def _linked_env_file(root: Path) -> tuple[list[str], str] | None:
    """([name], why) of the app's env file that links into its workspace: writing through the
    link fills the file the link names, the one the app's setup fills."""
    for name in d.NEXT_DEV_ENV_FILES:
        link = root / name
        if link.is_symlink() and in_workspace(root, link):
            return [name], f"{name} links to {relative(root, link.resolve())}"
    return None


def tools_env_file(root: Path) -> tuple[str, str] | None:
    """(".env", why) where the app's own tools read `.env` only: its drizzle.config or
    prisma.config.ts loads it through dotenv (`import "dotenv/config"`, `config({ path: ".env"
    })`), or its drizzle.config loads no file at all (drizzle-kit then loads `.env` itself),
    and neither that config nor the README speak of `.env.local`. drizzle-kit and the Prisma
    CLI would not see a value in `.env.local`, so that is where hints and `provision env` write.
    None: `.env.local`."""
    configs = [(found, "drizzle-kit")] if (found := drizzle_config(root)) is not None else []
    # ezeparziale/nextjs-better-auth-template's prisma.config.ts: `import "dotenv/config"` (Prisma 7
    # loads no env file of its own once a prisma.config.ts exists: prisma.io/docs, "prisma.config.ts").
    configs += [((name, text), "the Prisma CLI") for name in d.PRISMA_CONFIGS
                if (text := read_small(root / name)) is not None]
    for (name, text), tool in configs:
        if ".env.local" in text or "loadEnvConfig" in text:
            continue
        if d.DOTENV_LOADS_DOTENV.search(text):
            why = f"{name} loads .env through dotenv ({tool} reads no .env.local)"
        elif tool == "drizzle-kit" and not d.ANY_ENV_LOADER.search(text) and d.DRIZZLE_ENV_URL.search(text):
            # drizzle-kit's CLI imports "dotenv/config" itself (drizzle-team/drizzle-orm
            # drizzle-kit/src/cli/schema.ts): with a config that loads nothing, `drizzle-kit
            # migrate` sees `.env` and never `.env.local` (leerob/next-saas-starter relies on it).
            why = f"{name} loads no env file and drizzle-kit loads .env itself (it reads no .env.local)"
        else:
            continue
        # The README, or a script that runs the tool (`dotenv -e .env.local -- drizzle-kit
        # migrate`), saying .env.local: the app loads that one for it.
        if any(".env.local" in text for _, text in _setup_texts(root)):
            return None
        return ".env", why
    return None


def documented_env_file(root: Path) -> tuple[str, str] | None:
    """(".env", why) where the app's README or package.json scripts copy its `.env.example` to
    `.env` and never speak of `.env.local` (openstatus' dashboard: `cp .env.example .env`):
    that is the file its users fill, and hints name it. None: `.env.local`."""
    if not (root / ".env.example").is_file() or (root / d.EXAMPLE_FILES[0]).is_file():
        return None
    texts = _setup_texts(root)
    if any(".env.local" in text for _, text in texts):
        return None
    copying = next((name for name, text in texts if COPIES_TO_DOTENV.search(text)), None)
    return (".env", f"{copying} copies .env.example to .env") if copying else None
