"""What masking costs: the masker runs over every line the dev server prints and every string
of a report. Figures for an app with 40 secrets (one of them a PEM key, whose forms are the
longest) next to a masker that knows none (shapes and places only), measured in turns.

    python bench/masking.py        BENCH_RUNS=9 BENCH_REPO=/path/to/other/checkout
"""

from __future__ import annotations

import base64
import os
import random
import string
import sys
import tempfile
from pathlib import Path

# BENCH_REPO: measure another checkout (a "before" tree) with the same script.
sys.path.insert(0, os.environ.get("BENCH_REPO") or str(Path(__file__).resolve().parent.parent))

from checks.core.context import Context
from checks.project.config import Config
from checks.runtime.facts import DevFacts
from checks.runtime.output import Output
from checks.support.secrets import Masker, secret_values

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figure, interleaved_medians, line

RUNS = int(os.environ.get("BENCH_RUNS", "9"))
LINES = 5000
SECRETS = 40


def app_env() -> dict[str, str]:
    """An app's env: a database URL, 38 random secrets of 16–64 characters and a PEM key."""
    chooser = random.Random(21)
    alphabet = string.ascii_letters + string.digits + "-_"
    env = {"DATABASE_URL": "postgresql://app:" + "".join(chooser.choices(alphabet, k=24)) + "@db.internal/app"}
    for n in range(SECRETS - 2):
        env[f"SERVICE_{n}_SECRET"] = "".join(chooser.choices(alphabet, k=chooser.randint(16, 64)))
    body = base64.b64encode(chooser.randbytes(1190)).decode()
    env["JWT_PRIVATE_KEY"] = ("-----BEGIN PRIVATE KEY-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
                              + "\n-----END PRIVATE KEY-----")
    return env


def dev_output() -> list[str]:
    """What `next dev` prints while it serves: requests, compiles, a warning, a stack trace."""
    chooser = random.Random(7)
    shapes = [
        "GET /api/items?page={n} 200 in {ms}ms",
        " ✓ Compiled /dashboard in {ms}ms ({n} modules)",
        " ⚠ Fast Refresh had to perform a full reload. Read more: https://nextjs.org/docs/messages/fast-refresh-reload",
        "    at async handler (/app/.next/server/app/api/items/route.js:{n}:{ms})",
        '{{"level":30,"time":17000{n},"msg":"request completed","req":{{"id":{n},"url":"/api/items"}},"ms":{ms}}}',
        "prisma:query SELECT \"public\".\"Item\".\"id\", \"public\".\"Item\".\"title\" FROM \"public\".\"Item\" "
        "WHERE \"public\".\"Item\".\"ownerId\" = $1 LIMIT $2 OFFSET $3",
    ]
    return [chooser.choice(shapes).format(n=chooser.randint(1, 9999), ms=chooser.randint(1, 900))
            for _ in range(LINES)]


def feed_all(ctx: Context, lines: list[bytes]) -> None:
    output = Output(ctx, DevFacts(command="bench"))
    for raw in lines:
        output.feed(raw)


def figures() -> list[Figure]:
    env = app_env()
    lines = dev_output()
    encoded = [text.encode() for text in lines]
    report = "\n".join(lines) * 4  # ~1.5 MB, like a report quoting much output
    with tempfile.TemporaryDirectory() as tmp:
        knowing = Context(project=Path(tmp), config=Config(), environ=env)
        blind = Context(project=Path(tmp), config=Config(), environ={})
        knowing.masker("warm: " + next(iter(secret_values(env))))  # compiled once, as in a run
        took = interleaved_medians({
            "feed, 40 secrets": lambda: feed_all(knowing, encoded),
            "feed, no secrets": lambda: feed_all(blind, encoded),
            "report, 40 secrets": lambda: knowing.masker(report),
            "report, no secrets": lambda: Masker()(report),
        }, RUNS)
    per_line = {name: seconds / LINES * 1e6 for name, seconds in took.items() if name.startswith("feed")}
    return [
        Figure(f"a dev-server line masked and kept ({SECRETS} secrets)", per_line["feed, 40 secrets"], "µs",
               "no secrets known", per_line["feed, no secrets"], note=f"{LINES} lines of next dev"),
        Figure(f"a {len(report) // 1000} KB report masked ({SECRETS} secrets)", took["report, 40 secrets"] * 1000,
               "ms", "no secrets known", took["report, no secrets"] * 1000),
    ]


if __name__ == "__main__":
    for figure in figures():
        print(line(figure))
