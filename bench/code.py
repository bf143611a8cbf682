"""The code family at scale (issue 22): `deploy-check check --only code` as a whole process
on a generated App Router tree of 5,000 source files (route handlers, pages, client
components and lib modules of 40-90 lines, in the shapes of tests/fixtures/apps/code-*).
Goals: a first run (no cache) <= 3 s on 2 cores; an unchanged tree re-checked from the
cache keyed by file content (.deploy-check/code-facts.json) <= 0.5 s.

    python bench/code.py [--files 5000] [--runs 3] [--repo PATH]

`--repo` times another checkout's code with this one's interpreter (before/after figures).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from figures import Figure  # noqa: E402

FIRST_RUN_TARGET = 3.0  # seconds, issue 22
CACHED_RUN_TARGET = 0.5
CACHE = Path(".deploy-check") / "code-facts.json"

ROUTE = """import {{ NextResponse }} from 'next/server'
import {{ requireUser }} from '@/lib/auth{group}'
import {{ prisma }} from '@/lib/db'

export async function GET(request: Request) {{
  const auth = await requireUser(request)
  if ('error' in auth) return auth.error
  const url = new URL(request.url)
  const page = Number(url.searchParams.get('page') ?? '0')
  const rows = await prisma.item{n}.findMany({{ where: {{ ownerId: auth.userId }}, skip: page * 20, take: 20 }})
  const shown = rows.length
  return NextResponse.json({{ rows, shown, page }})
}}

export async function POST(request: Request) {{
  const auth = await requireUser(request)
  if ('error' in auth) return auth.error
  const body = await request.json()
  if (typeof body.name !== 'string' || body.name.length > 200) {{
    return NextResponse.json({{ error: 'name is required' }}, {{ status: 400 }})
  }}
  const created = await prisma.item{n}.create({{ data: {{ name: body.name, ownerId: auth.userId }} }})
  return NextResponse.json(created, {{ status: 201 }})
}}

export async function DELETE(request: Request) {{
  const auth = await requireUser(request)
  if ('error' in auth) return auth.error
  const {{ id }} = await request.json()
  await prisma.item{n}.delete({{ where: {{ id, ownerId: auth.userId }} }})
  const all = await prisma.item{n}.aggregate({{ _count: true }})
  const countItems = all._count
  return NextResponse.json({{ countItems }})
}}
"""

PAGE = """import {{ Items{n} }} from '@/components/Items{n}'

export const metadata = {{ title: 'Items {n}' }}

export default async function ItemsPage{n}({{ params }}: {{ params: Promise<{{ id: string }}> }}) {{
  const {{ id }} = await params
  return (
    <main className="mx-auto max-w-3xl p-6">
      <h1 className="text-2xl font-semibold">Items {n}</h1>
      <section>
        <Items{n} id={{id}} />
      </section>
    </main>
  )
}}
"""

CLIENT = """'use client'

import {{ useEffect, useState }} from 'react'
import {{ useSession }} from '@/components/session'

type Item = {{ id: string; name: string }}

export function Items{n}({{ id }}: {{ id: string }}) {{
  const {{ token }} = useSession()
  const [items, setItems] = useState<Item[]>([])
  const [name, setName] = useState('')
  useEffect(() => {{
    fetch('/api/items{n}', {{ headers: {{ Authorization: `Bearer ${{token}}` }} }})
      .then((r) => r.json())
      .then((body) => setItems(body.rows))
  }}, [token])

  async function add() {{
    const res = await fetch('/api/items{n}', {{
      method: 'POST',
      headers: {{ 'Content-Type': 'application/json', Authorization: `Bearer ${{token}}` }},
      body: JSON.stringify({{ name }}),
    }})
    if (res.ok) setItems([...items, await res.json()])
  }}

  return (
    <div data-id={{id}}>
      <input value={{name}} onChange={{(e) => setName(e.target.value)}} />
      <button onClick={{add}}>Add</button>
      <ul>{{items.map((item) => <li key={{item.id}}>{{item.name}}</li>)}}</ul>
    </div>
  )
}}
"""

LIB = """import {{ prisma }} from '@/lib/db'

export type Summary{n} = {{ id: string; name: string; createdAt: Date }}

export async function recent{n}(ownerId: string): Promise<Summary{n}[]> {{
  return prisma.item{n}.findMany({{ where: {{ ownerId }}, orderBy: {{ createdAt: 'desc' }}, take: 10 }})
}}

export async function rename{n}(id: string, name: string) {{
  const trimmed = name.trim()
  if (!trimmed) throw new Error('empty name')
  return prisma.item{n}.update({{ where: {{ id }}, data: {{ name: trimmed }} }})
}}

export function label{n}(item: Summary{n}): string {{
  const day = item.createdAt.toISOString().slice(0, 10)
  return `${{item.name}} (${{day}})`
}}
"""

AUTH = """import { NextResponse } from 'next/server'

export async function requireUser(request: Request) {
  const header = request.headers.get('authorization')
  if (!header?.startsWith('Bearer ')) {
    return { error: NextResponse.json({ error: 'Unauthorized' }, { status: 401 }) }
  }
  return { userId: header.slice(7) }
}
"""


def generated_tree(root: Path, files: int) -> Path:
    """An App Router app of `files` sources: a quarter each of route handlers, pages,
    client components and lib modules."""
    write = {
        "package.json": '{"name": "bench-app", "private": true, "dependencies": {"next": "15.3.0"}}\n',
        "tsconfig.json": '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./*"] } } }\n',
        "lib/auth.ts": AUTH,
        "lib/db.ts": "import { PrismaClient } from '@prisma/client'\nexport const prisma = new PrismaClient()\n",
        "components/session.tsx": ("'use client'\nimport { createContext, useContext } from 'react'\n"
                                   "const Session = createContext<{ token: string | null }>({ token: null })\n"
                                   "export const useSession = () => useContext(Session)\n"),
    }
    for n in range((files - len(write) + 3) // 4 + 1):
        write[f"app/api/items{n}/route.ts"] = ROUTE.format(n=n, group="")
        write[f"app/(app)/items{n}/[id]/page.tsx"] = PAGE.format(n=n)
        write[f"components/Items{n}.tsx"] = CLIENT.format(n=n)
        write[f"lib/items{n}.ts"] = LIB.format(n=n)
    sources = [name for name in write if name.endswith((".ts", ".tsx"))]
    for name in sources[files:]:
        del write[name]
    for name, text in write.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def timed_check(repo: Path, project: Path) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the run and its pool workers (on a loaded machine
    the wall time is mostly waiting for a core; the CPU time says what the run costs)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project),
                           "--only", "code", "-f", "json"], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(repo)}, timeout=600, check=False)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1) or not done.stdout.startswith("{"):
        raise SystemExit(f"check --only code exited {done.returncode}: {done.stderr[-800:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass(frozen=True)
class Goal:
    name: str
    figure: float  # wall seconds, the median of the runs
    target: float  # seconds
    note: str  # files/s, CPU seconds, the machine's load

    @property
    def met(self) -> bool:
        return self.figure <= self.target


def measure(files: int = 5000, runs: int = 3, repo: Path = HERE.parent) -> list[Goal]:
    """The first run (cache removed before each) and the unchanged re-check, medians."""
    with tempfile.TemporaryDirectory() as tmp:
        project = generated_tree(Path(tmp), files)
        first = []
        for _ in range(runs):
            shutil.rmtree(project / CACHE.parent, ignore_errors=True)
            first.append(timed_check(repo, project))
        again = [timed_check(repo, project) for _ in range(runs)]
    load = f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    goals = []
    for name, times, target in ((f"{files:,} files, no cache", first, FIRST_RUN_TARGET),
                                (f"{files:,} files unchanged (cache)", again, CACHED_RUN_TARGET)):
        wall = statistics.median(t for t, _ in times)
        cpu = statistics.median(c for _, c in times)
        goals.append(Goal(f"check --only code, {name}", wall, target,
                          f"{files / wall:,.0f} files/s, {cpu:.2f} s CPU, {load}"))
    return goals


def figures() -> list[Figure]:
    """For `make bench` (bench/figures.py's shape)."""
    return [Figure(goal.name, goal.figure, "s", target_text=f"<= {goal.target} s", met=goal.met, note=goal.note)
            for goal in measure(runs=int(os.environ.get("BENCH_RUNS", "3")))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repo", type=Path, default=HERE.parent)
    args = parser.parse_args()
    for goal in measure(args.files, args.runs, args.repo.resolve()):
        verdict = "met" if goal.met else "not met"
        print(f"  {goal.name:55} {goal.figure:6.2f} s  ({goal.note})  goal <= {goal.target} s: {verdict}")


if __name__ == "__main__":
    main()
