"""CODE004: SQL built by interpolation into an unsafe raw API fails; tagged templates and
parameterized queries never do."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from helpers import REPO, locations, run_json

APPS = REPO / "tests" / "fixtures" / "apps"


def test_interpolated_and_concatenated_sql_into_raw_apis_fail(code_report: Any) -> None:
    check = code_report("code-bearer-saas")["CODE004"]
    assert check["status"] == "fail"
    assert locations(check) == [
        "src/app/api/search/route.ts:7:24 prisma.$queryRawUnsafe: SQL built by a template with ${…}",
        "src/app/api/search/route.ts:8:24 pool.query: SQL built by a + concatenation",
    ]  # line 9 (prisma.$queryRaw`…`) and line 10 (pool.query with $1) are parameterized


def test_tagged_templates_and_parameters_pass(code_report: Any) -> None:
    # drizzle sql`…`, postgres.js client`…`, neon sql`…` and sql.query(text, [values])
    for app in ("code-cookie-session", "code-useapi"):
        check = code_report(app)["CODE004"]
        assert check["status"] == "pass" and check["details"]["findings"] == [], check


def test_execute_on_a_workflow_engine_and_a_constant_operator_map_never_fail(code_report: Any) -> None:
    # papermark: `engine.execute(entryLinkId, {…})` of a WorkflowEngine, entryLinkId from the
    # route params, is no SQL; formbricks: `${SQL_OPERATORS[operator]}` of a constant map is
    # listed as could-not-verify, not failed.
    check = code_report("code-shared-session")["CODE004"]
    assert check["status"] == "skip" and check["details"]["findings"] == [], check
    assert [f"{f['location']} {f['what']}" for f in check["details"]["could_not_verify"]] == [
        "lib/segments/prisma-query.ts:11:10 prisma.$queryRawUnsafe: SQL built by a template whose only ${…} "
        "are lookups in the constant SQL_OPERATORS: only its values can reach the SQL",
    ]
    assert check["message"].startswith("code: could not verify 1 call that may be raw SQL")


def test_placeholder_lists_and_constant_identifiers_pass_while_request_input_still_fails(code_report: Any) -> None:
    # Real apps' shapes: `ids.map(() => "?")` (AppBot2.0), `ids.map((_, i) => `$${i + 1}`)`
    # (personal-blog done right), a module's table name and column list (haus_of_confidence_local),
    # `for (const table of [...])`, a class's column field with pushed `$${n++}` and
    # `$${params.length}` placeholders. Only personal-blog's original `IN (${ids})` fails; a table
    # typed as a union of literals is TypeScript's word only: could-not-verify.
    check = code_report("code-sql-placeholders")["CODE004"]
    assert check["status"] == "fail", check
    assert locations(check) == [
        "src/app/api/posts/favorites-legacy/route.ts:9:24 pool.query: SQL built by a template with ${…}",
        # the module it imports builds the text from the ids (node-html-to-image's queryByAmazonIds)
        "src/app/api/products/route.ts:7:26 pool.query: SQL built by a template with ${…}: `amazonIdsFilter` "
        "of src/lib/products.ts is built from `idsArray`",
    ]  # tableName's and generateInClause's modules build constants and placeholders only
    assert [f"{f['location']} {f['what']}" for f in check["details"]["could_not_verify"]] == [
        "src/lib/rows.ts:22:46 pool.query: SQL built from constants and placeholders, except: `table` is typed "
        'Counted ("ghl_opportunities" | "ghl_notes"), which TypeScript does not check at run time',
    ]


def test_a_run_from_the_parse_cache_follows_the_same_imports(tmp_path: Path) -> None:
    # The imports a finding may be settled by are part of the cached facts: the second run,
    # which parses nothing, judges the same.
    project = shutil.copytree(APPS / "code-sql-placeholders", tmp_path / "app")
    first = run_json(project, "--only", "CODE004")[1]["checks"][0]
    again = run_json(project, "--only", "CODE004")[1]["checks"][0]
    assert (project / ".deploy-check").is_dir()
    assert again["details"] == first["details"] and len(first["details"]["findings"]) == 2


def test_an_imported_call_no_module_of_the_app_answers_for_still_fails(tmp_path: Path) -> None:
    # Not followed (a package, a file that is not there): `${clause(body)}` may carry the body.
    (tmp_path / "app" / "api" / "x").mkdir(parents=True)
    (tmp_path / "package.json").write_text('{"name": "x", "dependencies": {"pg": "8.13.1"}}')
    (tmp_path / "app" / "api" / "x" / "route.ts").write_text(
        'import { Pool } from "pg";\nimport { clause } from "sql-clauses";\nimport { inList } from "./gone";\n'
        "const pool = new Pool();\nexport async function POST(req: Request) {\n  const body = await req.json();\n"
        "  await pool.query(`SELECT * FROM t ${clause(body)}`);\n"
        "  return pool.query(`SELECT * FROM t WHERE id IN ${inList(body.ids)}`, body.ids);\n}\n")
    check = run_json(tmp_path, "--only", "CODE004")[1]["checks"][0]
    assert locations(check) == ["app/api/x/route.ts:7:9 pool.query: SQL built by a template with ${…}",
                                "app/api/x/route.ts:8:10 pool.query: SQL built by a template with ${…}"], check


# Request input that reaches the SQL text through a name the reading of constants would settle
# too early: another binding of the name (a block's own const, a catch parameter, a `var`
# declared twice, a destructured one, a loop's destructured element), a constant changed through another name, a cast, a call
# or a callback, an imported constant changed by its importer, a class field set from outside, `this` of an object's method.
SHADOWED_OR_CHANGED = {
    "block-const": 'const body = await req.json();\n  const ids = "1";\n  if (body.ids) {\n    const ids = body.ids;\n'
                   '    return pool.query(`DELETE FROM t WHERE id IN (${ids})`);\n  }\n',
    "catch": 'try { await save(await req.json()); } catch (IDS) {\n'
             '    return pool.query(`DELETE FROM t WHERE id IN (${IDS})`);\n  }\n',
    "var-twice": 'const body = await req.json();\n  var ids = "1";\n  var ids = body.ids;\n'
                 '  return pool.query(`DELETE FROM t WHERE id IN (${ids})`);\n',
    "destructured": 'const { ids: IDS } = await req.json();\n  return pool.query(`DELETE FROM t WHERE id IN (${IDS})`);\n',
    "object-cast": 'const body = await req.json();\n  (FILTER as any).ids = body.ids;\n'
                   '  return pool.query(`DELETE FROM t WHERE id IN (${FILTER.ids})`);\n',
    "object-assign": 'Object.assign(FILTER, await req.json());\n'
                     '  return pool.query(`DELETE FROM t WHERE id IN (${FILTER.ids})`);\n',
    "array-alias": 'const body = await req.json();\n  const ids = ["1"];\n  const more = ids;\n  more.push(body.id);\n'
                   '  return pool.query(`DELETE FROM t WHERE id IN (${ids.join(",")})`);\n',
    "array-callback": 'const body = await req.json();\n  const ids = ["1"];\n'
                      '  ids.forEach((_, i, all) => { all[i] = body.id; });\n'
                      '  return pool.query(`DELETE FROM t WHERE id IN (${ids.join(",")})`);\n',
    "loop-pattern": 'for (const [, IDS] of Object.entries(await req.json())) {\n'
                    '    await pool.query(`DELETE FROM t WHERE id IN (${IDS})`);\n  }\n',
    "imported-array": 'LISTED.push((await req.json()).id);\n'
                      '  return pool.query(`DELETE FROM t WHERE id IN (${LISTED.join(",")})`);\n',
    "namespace-array": 'NAMED.LISTED.push((await req.json()).id);\n'
                       '  return pool.query(`DELETE FROM t WHERE id IN (${NAMED.LISTED.join(",")})`);\n',
    "class-field": 'const repo = new Repo();\n  repo.ids = (await req.json()).ids;\n  return repo.purge();\n',
    "class-assign": 'return new Repo(await req.json()).purge();\n',
    "object-this": 'class Purger {\n    ids = "1";\n    purgeWith(options: object) {\n'
                   '      return { ...options, run() { return pool.query(`DELETE FROM t WHERE id IN (${this.ids})`); } }.run();\n'
                   '    }\n  }\n  return new Purger().purgeWith(await req.json());\n',
}


def test_request_input_through_a_shadowing_or_changed_name_still_fails(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x", "dependencies": {"pg": "8.13.1"}}')
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "listed.ts").write_text('export const LISTED = ["1", "2"];\n')
    head = ('import { Pool } from "pg";\nimport { LISTED } from "../../../lib/listed";\n'
            'import * as NAMED from "../../../lib/listed";\nconst pool = new Pool();\n'
            'const IDS = "1";\nconst FILTER = { ids: "1" };\nasync function save(body: unknown) { throw body; }\n'
            'class Repo {\n  ids = "1";\n  constructor(options: object = {}) { Object.assign(this, options); }\n'
            '  purge() { return pool.query(`DELETE FROM t WHERE id IN (${this.ids})`); }\n}\n')
    for name, body in SHADOWED_OR_CHANGED.items():
        (tmp_path / "app" / "api" / name).mkdir(parents=True)
        (tmp_path / "app" / "api" / name / "route.ts").write_text(
            f"{head}export async function POST(req: Request) {{\n  {body}}}\n")
    check = run_json(tmp_path, "--only", "CODE004")[1]["checks"][0]
    failed = {f["file"].split("/")[2] for f in check["details"]["findings"]}
    assert check["status"] == "fail" and failed == set(SHADOWED_OR_CHANGED), check


def test_an_exported_constant_another_module_changes_is_not_settled_by_its_export(tmp_path: Path) -> None:
    """Reproduced by the attack pass: lib/c.ts exports a constant list, lib/m.ts imports it and
    pushes a caller's value into it, and a route joins it into raw SQL text. The export alone
    read as constant, so CODE004 passed."""
    (tmp_path / "package.json").write_text('{"name": "x", "dependencies": {"pg": "8.13.1"}}')
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "c.ts").write_text('export const LIST = ["1", "2"];\nexport const FIXED = ["1", "2"];\n')
    (tmp_path / "lib" / "m.ts").write_text('import { LIST as L, FIXED } from "./c";\n'
                                          "export function add(x: string) { L.push(x); return FIXED.length; }\n")
    for name in ("LIST", "FIXED"):
        (tmp_path / "app" / "api" / name.lower()).mkdir(parents=True)
        (tmp_path / "app" / "api" / name.lower() / "route.ts").write_text(
            f'import {{ Pool }} from "pg";\nimport {{ {name} }} from "../../../lib/c";\nconst pool = new Pool();\n'
            "export async function POST(req: Request) {\n"
            f'  return pool.query(`DELETE FROM t WHERE a IN (${{{name}.join(",")}})`);\n}}\n')
    check = run_json(tmp_path, "--only", "CODE004")[1]["checks"][0]
    open_calls = check["details"]["could_not_verify"] + check["details"]["findings"]
    shown = str(check)
    assert "app/api/list/route.ts" in shown, check
    assert "lib/m.ts" in shown, check  # the module that changes it is named
    assert "app/api/fixed/route.ts" not in shown, check  # read, never changed elsewhere: settled
    assert open_calls, check


# Request input that reached the text through a binding the reading of constants missed (review
# revC): a `for (t of …)` with no `let` of its own assigns the function's `t`; `Array.from` of an
# array-like object literal holds its indexed values, not only `{ length: n }`; a function's name
# given another function (`q = () => body.t`) returns what that one returns.
REBOUND = {
    "loop-assigns": 'let t = "users";\n  for (t of body.tables) { break; }\n'
                    '  return pool.query(`SELECT * FROM ${t}`);\n',
    "array-like": 'return pool.query(`DELETE FROM t WHERE id IN (${Array.from({ length: 1, 0: body.id }).join(",")})`);\n',
    "array-like-map": 'const marks = Array.from({ length: 1, 0: body.id }, (v) => v);\n'
                      '  return pool.query(`DELETE FROM t WHERE id IN (${marks.join(",")})`);\n',
    "function-rebound": 'let q = () => "users";\n  if (body.t) q = () => body.t;\n'
                        '  return pool.query(`SELECT * FROM ${q()}`);\n',
}


def test_request_input_through_a_loop_an_array_like_or_a_rebound_function_still_fails(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x", "dependencies": {"pg": "8.13.1"}}')
    for name, body in REBOUND.items():
        (tmp_path / "app" / "api" / name).mkdir(parents=True)
        (tmp_path / "app" / "api" / name / "route.ts").write_text(
            'import { Pool } from "pg";\nconst pool = new Pool();\nexport async function POST(req: Request) {\n'
            f"  const body = await req.json();\n  {body}}}\n")
    # the same shapes with constants only stay settled: `{ length: n }` placeholders, a loop over a literal list
    (tmp_path / "app" / "api" / "settled").mkdir(parents=True)
    (tmp_path / "app" / "api" / "settled" / "route.ts").write_text(
        'import { Pool } from "pg";\nconst pool = new Pool();\nexport async function POST(req: Request) {\n'
        "  const body = await req.json();\n  let t = \"users\";\n  for (t of [\"teams\"]) { break; }\n"
        "  const marks = Array.from({ length: body.ids.length }, (_, i) => `$${i + 1}`);\n"
        "  return pool.query(`SELECT * FROM ${t} WHERE id IN (${marks.join(\",\")})`, body.ids);\n}\n")
    check = run_json(tmp_path, "--only", "CODE004")[1]["checks"][0]
    failed = {f["file"].split("/")[2] for f in check["details"]["findings"]}
    assert check["status"] == "fail" and failed == set(REBOUND), check
    assert check["details"]["could_not_verify"] == [], check


def test_a_local_params_array_of_collected_values_is_no_request_input(code_report: Any) -> None:
    # umami's rawQuery pushes each value into its own `params` array and puts `$${params.length}`
    # in the text: that `params` is no route's params. A route's own params still fail.
    check = code_report("code-sql-collected-params")["CODE004"]
    assert check["status"] == "fail", check
    assert locations(check) == [
        "src/app/api/websites/[websiteId]/events/route.ts:8:23 prisma.$queryRawUnsafe: `\"SELECT * FROM "
        "website_event WHERE website_id = '\" + (await ` comes from the request",
    ]


def test_a_foreach_key_of_form_data_or_search_params_is_no_array_index(tmp_path: Path) -> None:
    # The pager review: position 1 of any forEach callback was taken for an array's index (a
    # number), but FormData, URLSearchParams, Headers and Map hand it the key the request chose.
    (tmp_path / "package.json").write_text('{"name": "x", "dependencies": {"pg": "8.13.1"}}')
    routes = {
        "form": "const form = await req.formData();\n"
                "  form.forEach((value, key) => { void pool.query(`UPDATE profiles SET ${key} = $1 WHERE id = 1`, [value]); });\n",
        "search": "const url = new URL(req.url);\n"
                  "  url.searchParams.forEach((value, column) => { void pool.query(`SELECT 1 FROM t WHERE ${column} = $1`, [value]); });\n",
        "array": 'const columns = ["a", "b"];\n'
                 "  columns.forEach((column, i) => { void pool.query(`SELECT ${column} FROM t LIMIT $${i + 1}`, [1]); });\n",
    }
    for name, body in routes.items():
        (tmp_path / "app" / "api" / name).mkdir(parents=True)
        (tmp_path / "app" / "api" / name / "route.ts").write_text(
            'import { Pool } from "pg";\nconst pool = new Pool();\nexport async function POST(req: Request) {\n'
            f"  {body}  return new Response(null);\n}}\n")
    check = run_json(tmp_path, "--only", "CODE004")[1]["checks"][0]
    named = {f["file"].split("/")[2] for f in check["details"]["findings"]}
    named |= {str(c).split("/")[2] for c in check["details"]["could_not_verify"] if str(c).startswith("app/api/")}
    assert check["status"] != "pass", check
    assert named == {"form", "search"}, check


def test_a_lookup_in_a_functions_own_constant_map_is_no_interpolation(code_report: Any) -> None:
    # lobe-chat's buildOrderBy: `sql.raw(`${sortableFields[sorter]} ${direction}`)` with the map a
    # `const` of the method itself: only its values (or a property every object has) reach the
    # SQL, as with a module's constant map; the same map changed by the caller's text still fails.
    check = code_report("code-drizzle-sort-map")["CODE004"]
    assert check["status"] == "fail", check
    assert locations(check) == [
        "src/database/repositories/knowledge.ts:23:12 sql.raw: SQL built by a template with ${…}",
    ]
    assert [f"{f['location']} {f['what']}" for f in check["details"]["could_not_verify"]] == [
        "src/database/repositories/knowledge.ts:14:14 sql.raw: SQL built by a template whose only ${…} "
        "are lookups in the constant sortableFields: only its values can reach the SQL",
    ]
