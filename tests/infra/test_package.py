"""The Lambda zip holds exactly the runtime versions requirements.txt pins (the tests ran those)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from tests.infra.conftest import REPO_ROOT, Synthesized

pytestmark = pytest.mark.infra

SDK = ("boto3", "botocore", "s3transfer")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _packaged(zip_path: Path) -> dict[str, str]:
    """Distribution → version, from the ``*.dist-info/METADATA`` files in the zip."""
    found = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if re.fullmatch(r"[^/]+\.dist-info/METADATA", name):
                text = archive.read(name).decode()
                meta_name = re.search(r"^Name: (.+)$", text, re.M)
                version = re.search(r"^Version: (.+)$", text, re.M)
                assert meta_name and version, name
                found[_canonical(meta_name.group(1).strip())] = version.group(1).strip()
    return found


def _deployment_zip(stage: Synthesized) -> Path:
    # one Chalice deployment package for every function (other zips: CDK's own handlers)
    keys = {
        body["Properties"]["CodeUri"]["Key"]
        for body in stage.template["Resources"].values()
        if body["Type"] == "AWS::Serverless::Function"
    }
    assert len(keys) == 1, keys
    path = stage.template_path.parent / f"asset.{keys.pop()}"
    assert path.is_file(), path
    return path


def test_the_sdk_is_pinned_together_in_the_runtime_requirements() -> None:
    pins = _pins()
    assert all(package in pins for package in SDK), pins
    assert pins["boto3"] == pins["botocore"]  # boto3 and botocore release in lockstep
    dev = (REPO_ROOT / "requirements-dev.txt").read_text()
    for package in SDK:  # stated once: the dev requirements include requirements.txt
        assert not re.search(rf"^{package}==", dev, re.M), package


def test_the_lambda_zip_holds_exactly_the_pinned_versions(stage: Synthesized) -> None:
    packaged = _packaged(_deployment_zip(stage))
    pins = _pins()
    for package in SDK:
        assert packaged.get(package) == pins[package], (package, packaged.get(package))
    for package, version in pins.items():
        assert packaged.get(package) == version, f"{package}: zip has {packaged.get(package)}"
