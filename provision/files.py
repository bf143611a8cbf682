"""Writing files so that nothing is ever half-written."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it. A target that
    exists and is not a regular file (`--output /dev/null`, a FIFO, /dev/stdout) is written
    to in place: renaming over it would replace the device with a file."""
    path = Path(path)
    try:
        special = not stat.S_ISREG(path.stat().st_mode)
    except OSError:
        special = False
    if special:
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
        return
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        if mode is not None:
            os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
