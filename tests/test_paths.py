from pathlib import Path

import pytest

from cnnviz import paths


def test_home_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    assert paths.home_dir() == tmp_path
    assert paths.datasets_dir() == tmp_path / "datasets"
    assert paths.runs_dir() == tmp_path / "runs"
    monkeypatch.delenv("CNNVIZ_HOME")
    assert paths.home_dir() == paths.REPO_ROOT / "data"


def test_atomic_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "sub" / "f.bin"
    paths.atomic_write_bytes(target, b"first")
    paths.atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.bin"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with paths.atomic_path(target) as tmp:
            Path(tmp).write_bytes(b"half of the new")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
