"""JSONPath (jsonpath-ng's extended syntax) for the flow's `capture` and `expect`;
jsonpath-ng is imported on first use."""

from __future__ import annotations

from typing import Any


def json_path(document: Any, path: str) -> list[Any]:
    return [match.value for match in compile_path(path).find(document)]



def compile_path(path: str) -> Any:
    """A JSONPath (jsonpath-ng's extended syntax), or ValueError saying why not."""
    # start-up: only a flow with capture/expect loads jsonpath-ng
    from jsonpath_ng.ext import parse  # type: ignore[attr-defined]

    try:
        return parse(path)
    except Exception as exc:  # jsonpath-ng's lexer raises plain Exception
        raise ValueError(f"{path!r} is no JSONPath: {exc}") from None
