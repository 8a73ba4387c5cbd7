"""``make deploy-check``: docs/deploy.md's commands still match what they name (offline).

The deployment guide is only useful while its commands work. This lints it
against the repository, with no AWS account:

- every ``make <target>`` is a target of the Makefile (``Makefile``, ``infra/Makefile.inc``);
- every ``python -m infra.admin ...`` (and ``infra.admin_search``) command parses with
  that operator tool's parser;
- every ``-c stage=...`` names a shipped stage and every ``-c flags='{...}'`` key is
  a ``StageConfig`` field;
- every stack output the guide names (a backticked ``CamelCase`` word in its
  outputs table, or ``<Output>`` placeholders) is an output of the synthesized stack;
- every stage field and flag variable is documented;
- the secret example passes ``--region``, and a hand-run ``chalice package``
  sets ``AWS_DEFAULT_REGION``.

The outputs come from a synthesized template (``make synth`` writes
``infra/cdk.out/dev/dev.template.json``); without one the dev stage is
synthesized in-process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC = REPO_ROOT / "docs" / "deploy.md"
MAKEFILES = (REPO_ROOT / "Makefile", REPO_ROOT / "infra" / "Makefile.inc")
TEMPLATE = REPO_ROOT / "infra" / "cdk.out" / "dev" / "dev.template.json"


def make_targets(makefiles: Iterable[Path] = MAKEFILES) -> set[str]:
    targets: set[str] = set()
    for makefile in makefiles:
        for line in makefile.read_text().splitlines():
            match = re.match(r"^([A-Za-z][\w.-]*(?:\s+[A-Za-z][\w.-]*)*)\s*:(?!=)", line)
            if match and not line.startswith((".PHONY", "\t")):
                targets.update(match.group(1).split())
    return targets


def commands(text: str) -> list[str]:
    """Shell commands of the doc: lines of ``sh`` blocks (continuations joined) and inline code."""
    found: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        found += [line.strip() for line in joined.splitlines() if line.strip()]
    found += [
        span
        for span in re.findall(r"`([^`\n]+)`", text)
        if span.startswith(COMMAND_STARTS) and " " in span
    ]
    return found


# Inline code that is a command to run (rather than a name in prose).
COMMAND_STARTS = ("make ", ".venv/", "cd ", "aws ", "AWS_DEFAULT_REGION=", "git ", "curl ")


def _words(command: str) -> list[str]:
    command = command.split(" #", 1)[0]
    # placeholders a reader fills in (<user id>, <RestApiUrl>) are one word
    command = re.sub(r"<[^>]*>", "placeholder", command)
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def check_make(text: str, targets: set[str]) -> list[str]:
    problems = []
    for command in commands(text):
        words = _words(command)
        for i, word in enumerate(words):
            if word == "make" and i + 1 < len(words):
                for target in words[i + 1 :]:
                    if "=" in target or target.startswith("-"):
                        continue
                    if target not in targets:
                        problems.append(f"`make {target}`: no such Makefile target ({command})")
                    break
    return problems


def check_admin(text: str) -> list[str]:
    from infra import admin, admin_search

    tools = {"infra.admin": admin._parser, "infra.admin_search": admin_search._parser}
    problems = []
    for command in commands(text):
        words = _words(command)
        tool = next((w for w in words if w in tools), None)
        if tool is None:
            continue
        arguments = words[words.index(tool) + 1 :]
        parser = tools[tool]()
        parser.exit_on_error = False
        try:
            parsed, unknown = parser.parse_known_args(arguments)
        except (argparse.ArgumentError, SystemExit) as error:
            problems.append(f"`{command}`: {error}")
            continue
        if unknown:
            problems.append(f"`{command}`: unknown arguments {unknown}")
        del parsed
    return problems


def check_cdk_context(text: str) -> list[str]:
    from infra.stages import STAGES, StageConfig

    problems = []
    fields = {f.name for f in dataclasses.fields(StageConfig)}
    for stage in re.findall(r"-c stage=([\w$(){}]+)", text):
        if stage not in STAGES and not stage.startswith(("$", "{")):
            problems.append(f"-c stage={stage}: no such stage in infra/stages.py")
    for raw in re.findall(r"-c flags='(\{.*?\})'", text):
        try:
            flags = json.loads(raw.replace('\\"', '"'))
        except json.JSONDecodeError as error:
            problems.append(f"-c flags='{raw}': not JSON ({error})")
            continue
        for key in set(flags) - fields:
            problems.append(f"-c flags: {key!r} is not a StageConfig field")
    return problems


def documented_outputs(text: str) -> set[str]:
    """Outputs the guide names: the first column of its outputs table, and <Placeholders>."""
    names: set[str] = set()
    table = re.search(r"\| output \| use \|\n\|[-| ]+\|\n((?:\|.*\|\n)+)", text)
    if table:
        for row in table.group(1).splitlines():
            first = row.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Za-z0-9]+)`", first))
    names.update(re.findall(r"<([A-Z][a-z]+(?:[A-Z][a-z0-9]*)+)>", text))
    return names


def check_outputs(text: str, outputs: set[str]) -> list[str]:
    return [
        f"`{name}`: the stack has no such output (outputs: {', '.join(sorted(outputs))})"
        for name in sorted(documented_outputs(text) - outputs)
    ]


def check_settings(text: str) -> list[str]:
    from infra.stages import FLAGS, StageConfig

    problems = []
    for flag in FLAGS:
        if f"`{flag.env}`" not in text:
            problems.append(f"flag {flag.env} is not documented")
    for field in dataclasses.fields(StageConfig):
        if field.name != "name" and f"`{field.name}`" not in text:
            problems.append(f"stage field {field.name} is not documented")
    return problems


def check_regions(text: str) -> list[str]:
    problems = []
    for command in commands(text):
        if "create-secret" in command and "--region" not in command:
            problems.append(f"`{command}`: the secret must be created in the stage's region")
        if "chalice package" in command and "AWS_DEFAULT_REGION=" not in command:
            problems.append(f"`{command}`: chalice package needs AWS_DEFAULT_REGION")
    if "create-secret" not in text:
        problems.append("the guide no longer shows how to store the Twilio secret")
    return problems


def stack_outputs(template_path: Path | None = None) -> set[str]:
    path = template_path or TEMPLATE
    if path.exists():
        template: dict[str, Any] = json.loads(path.read_text())
        return set(template.get("Outputs", {}))
    return _synthesized_outputs()


def _synthesized_outputs() -> set[str]:
    import tempfile

    from local.node import use as use_project_node

    use_project_node()  # before aws_cdk's import starts jsii's Node
    import aws_cdk as cdk

    from infra.stack import TextingStack
    from infra.stages import STAGES

    context = json.loads((REPO_ROOT / "infra" / "cdk.json").read_text())["context"]
    with tempfile.TemporaryDirectory() as outdir:
        app = cdk.App(outdir=outdir, context=context)
        stack = TextingStack(app, config=STAGES["dev"])
        template = app.synth().get_stack_by_name(stack.stack_name).template
    return set(template.get("Outputs", {}))


def problems(text: str, outputs: set[str], targets: set[str] | None = None) -> list[str]:
    return [
        *check_make(text, make_targets() if targets is None else targets),
        *check_admin(text),
        *check_cdk_context(text),
        *check_outputs(text, outputs),
        *check_settings(text),
        *check_regions(text),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_check", description=__doc__)
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--template", type=Path, default=None, help="a synthesized template")
    args = parser.parse_args(argv)
    found = problems(args.doc.read_text(), stack_outputs(args.template))
    for problem in found:
        print(f"docs/deploy.md: {problem}", file=sys.stderr)
    if not found:
        print("docs/deploy.md: commands, targets, outputs and settings check out")
    return 1 if found else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    raise SystemExit(main())
