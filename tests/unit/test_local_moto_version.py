"""The local stack's moto patches refuse, loudly and at start-up, a moto other than
the one they were written for (they replace its internals)."""

from __future__ import annotations

from pathlib import Path

import moto
import pytest

from local import moto_fast, motoserver, stack

OTHER = "5.1.99"


@pytest.fixture
def other_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", OTHER)


def test_patching_another_moto_raises_naming_both_versions(other_moto: None) -> None:
    with pytest.raises(moto_fast.MotoVersionError) as refused:
        motoserver.patch_moto()
    assert OTHER in str(refused.value) and moto_fast.MOTO_VERSION in str(refused.value)


def test_the_fast_path_refuses_another_moto_too(other_moto: None) -> None:
    with pytest.raises(moto_fast.MotoVersionError):
        moto_fast.FastDynamoDB()


def test_the_stack_exits_2_with_both_versions_before_starting_anything(
    other_moto: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = stack.main(["--port", "0", "--moto-port", "0", "--state-dir", str(tmp_path)])
    assert code == 2
    error = capsys.readouterr().err
    assert f"moto {OTHER} is installed" in error and moto_fast.MOTO_VERSION in error
    assert not (tmp_path / stack.STATE_FILE).exists()


def test_the_pinned_moto_is_the_one_the_patches_were_written_for() -> None:
    pinned = Path(stack.REPO_ROOT, "requirements-dev.txt").read_text()
    assert f"moto[server]=={moto_fast.MOTO_VERSION}" in pinned
    motoserver.patch_moto()  # the installed one: no error
    assert motoserver.patched()
