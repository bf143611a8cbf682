"""Reading the dev server's output: which lines are errors (DEV003, and the lines quoted
when a sign-in or a flow step breaks)."""

from __future__ import annotations

import re

# What the tools really print when something broke, each from its own source:
# dash/bash `sh: 1: run-p: not found`, `command not found`; npm's `npm ERR!` (npm ≤ 9) and
# `npm error` (npm 10, lib/utils/error-message.js); npm and pnpm's `ELIFECYCLE`; pnpm's
# `ERR_PNPM_*` codes; yarn classic's `error Command failed with exit code`; Vite's
# `[vite] Internal server error:`; webpack's `ERROR in <file>`; tsc's `TS2304:`; Next.js's
# `Failed to compile.`, Next 12/13's `error - …`/`- error …` and 14+'s `⨯`; Go's `panic:`;
# PostgreSQL's `FATAL:` and node-postgres's `error: relation "users" does not exist`;
# Prisma's `PrismaClientInitializationError` and friends.
ERROR_LINE = re.compile(
    r"\bError:|⨯|\bUnhandled\b|Module not found|Cannot find module|ECONNREFUSED"
    r"|^\s+at \S.*[:(]\d+:\d+\)?\s*$|Traceback \(most recent call last\)"
    r"|:\s*(?:\d+:\s*)?[\w./-]+: not found\s*$|command not found|\bnpm ERR!|^npm error\b"
    r"|\bELIFECYCLE\b|\bERR_PNPM_\w+|^error Command failed|\[vite\] Internal server error"
    r"|^\s*ERROR in\b|\bTS\d{4}:|Failed to compile|^\s*-?\s*error\s+(?:-\s)?|^\s*error:"
    r"|^\s*panic:|\bFATAL:|\bPrisma\w*Error\b",
    re.MULTILINE,
)



def error_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if ERROR_LINE.search(line)]
