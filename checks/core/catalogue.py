"""docs/checks.md, generated from the catalogue itself (the same Specs `list` and
`explain` print), so the reference cannot drift: a test compares the committed file
with this output. Regenerate with `python -m checks.core.catalogue > docs/checks.md`."""

from __future__ import annotations

from checks.core.registry import FAMILIES, all_checks


def render() -> str:
    lines = ["# Checks", "",
             "Generated from the catalogue by `python -m checks.core.catalogue`; "
             "`deploy-check explain ID` prints the same text.", ""]
    checks = all_checks()
    for family in FAMILIES:
        lines += [f"## {family}", ""]
        for entry in (c for c in checks if c.spec.family == family):
            spec = entry.spec
            lines += [f"### {spec.id} — {spec.title}", "", spec.explain, "", f"- hint: {spec.hint}"]
            if spec.fix:
                lines.append(f"- fix: `{spec.fix}`")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
