"""The installed `deploy-check` command.

The code lives in the top-level folders `checks/` and `provision/` of the repository, but
those names are too common to claim in a user's site-packages (another distribution may
ship a `checks` or `provision` package, and one would overwrite the other). So the wheel
installs them under `deploy_check_lib/`, which is not on sys.path, and this module, the
only top-level name deploy-check installs, puts that folder first on the path of the
deploy-check process alone. In a checkout (or an editable install) the folders sit next to
this file and are used from there.
"""

from __future__ import annotations

import sys
from pathlib import Path

HOME = Path(__file__).resolve().parent
LIBRARY = HOME / "deploy_check_lib"


def library_path() -> str:
    """The directory that holds deploy-check's `checks` and `provision` packages."""
    return str(LIBRARY if (LIBRARY / "checks").is_dir() else HOME)


def main() -> None:
    path = library_path()
    if path not in sys.path:
        sys.path.insert(0, path)
    from checks.cli import entry

    entry()


if __name__ == "__main__":
    main()
