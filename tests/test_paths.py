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


def test_the_runs_folder_layout_is_spelled_in_one_place(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    run_id = "20261123-140512-lenet5-mnist-3fa2c1"
    assert paths.run_folder(run_id) == tmp_path / "runs" / run_id
    later, earlier = paths.run_checkpoint("20261124-000000-b"), paths.run_checkpoint("20261123-000000-a")
    assert earlier == tmp_path / "runs" / "20261123-000000-a" / "model.pt"
    assert paths.run_checkpoints() == []
    for checkpoint in (later, earlier):
        checkpoint.parent.mkdir(parents=True)
        checkpoint.write_bytes(b"weights")
    (tmp_path / "runs" / "not-a-run").mkdir()
    (tmp_path / "runs" / "not-a-run" / "notes.pt").write_bytes(b"other")
    assert paths.run_checkpoints() == [earlier, later]
    assert paths.run_id_of(later) == "20261124-000000-b"
    assert paths.run_id_of(tmp_path / "runs" / "not-a-run" / "notes.pt") is None


@pytest.mark.parametrize("run_id", ["", ".", "..", "../escape", "a/b", "a\\b", "/abs"])
def test_a_run_id_cannot_leave_the_runs_folder(run_id):
    with pytest.raises(ValueError, match=r"^A run id is one folder name\.$"):
        paths.run_folder(run_id)
