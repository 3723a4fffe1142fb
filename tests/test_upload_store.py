"""Uploaded checkpoints on disk: quotas per student and in total, orphans deleted oldest first,
files in use never deleted, a sentence when refused, atomic writes."""

import os
import time
from pathlib import Path

import pytest

from cnnviz import upload_store
from cnnviz.upload_store import UploadQuota, UploadRefused

KB = 1024
QUOTA = UploadQuota(client_bytes=100 * KB, total_bytes=250 * KB, max_age_seconds=7 * 24 * 3600)


def _blob(tag: int, size: int = 40 * KB) -> bytes:
    return tag.to_bytes(4, "big") * (size // 4)


def _store(folder, tag, client="alice", in_use=(), size=40 * KB, age=None, quota=QUOTA):
    """Store one distinct file; ``age`` (seconds) back-dates it, as if uploaded that long ago."""
    path = upload_store.store(_blob(tag, size), client, in_use=in_use, quota=quota, folder=folder)
    if age is not None:
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
    return path


def _kept(folder) -> set[Path]:
    return {path for path, _, _ in upload_store.stored_uploads(folder)}


def _assert_one_sentence(message: str) -> None:
    assert message.endswith(".") and message.count(". ") == 0, message
    assert "/" not in message and "Error" not in message and "Traceback" not in message, message


def test_a_client_over_its_quota_loses_its_orphans_oldest_first(tmp_path):
    first = _store(tmp_path, 1, age=300)
    second = _store(tmp_path, 2, age=200)
    _store(tmp_path, 3, age=100)  # 120 KB would pass 100 KB: the oldest goes
    assert first not in _kept(tmp_path) and second in _kept(tmp_path)
    fourth = _store(tmp_path, 4)
    assert second not in _kept(tmp_path) and fourth in _kept(tmp_path)
    assert sum(size for _, client, size in upload_store.stored_uploads(tmp_path) if client == "alice") <= 100 * KB


def test_uploads_in_use_are_never_deleted_and_a_full_quota_is_refused_with_a_sentence(tmp_path):
    first = _store(tmp_path, 1, age=300)
    second = _store(tmp_path, 2, age=200)
    third = _store(tmp_path, 3, in_use=[first], age=100)  # the first is in use: the second goes
    assert _kept(tmp_path) == {first, third}
    with pytest.raises(UploadRefused) as refused:
        _store(tmp_path, 4, in_use=[first, third])
    _assert_one_sentence(str(refused.value))
    assert "student" in str(refused.value)
    assert _kept(tmp_path) == {first, third}
    assert second not in _kept(tmp_path)


def test_an_upload_stored_a_moment_ago_is_kept_for_the_page_that_is_about_to_use_it(tmp_path):
    first = _store(tmp_path, 1)
    second = _store(tmp_path, 2)
    with pytest.raises(UploadRefused):
        _store(tmp_path, 3)
    assert _kept(tmp_path) == {first, second}


def test_the_total_quota_takes_the_clients_own_orphans_first_then_anyones_oldest(tmp_path):
    quota = UploadQuota(client_bytes=150 * KB, total_bytes=200 * KB, max_age_seconds=1e9)
    bob_old = _store(tmp_path, 1, client="bob", age=500, quota=quota)
    carol_old = _store(tmp_path, 2, client="carol", age=400, quota=quota)
    alice_old = _store(tmp_path, 3, client="alice", age=300, quota=quota)
    bob_new = _store(tmp_path, 4, client="bob", age=200, quota=quota)
    alice_new = _store(tmp_path, 5, client="alice", age=100, quota=quota)  # 200 KB: full
    alice_latest = _store(tmp_path, 6, client="alice", quota=quota)  # her own oldest goes, not bob's
    assert _kept(tmp_path) == {bob_old, carol_old, bob_new, alice_new, alice_latest}
    _store(tmp_path, 7, client="alice", in_use=[alice_new], quota=quota)  # then anyone's oldest
    assert bob_old not in _kept(tmp_path)
    assert {carol_old, bob_new, alice_new, alice_latest} <= _kept(tmp_path)
    assert sum(size for _, _, size in upload_store.stored_uploads(tmp_path)) <= 200 * KB


def test_a_full_server_refuses_with_a_sentence_and_keeps_everything_in_use(tmp_path):
    quota = UploadQuota(client_bytes=100 * KB, total_bytes=120 * KB, max_age_seconds=1e9)
    kept = [_store(tmp_path, tag, client=client, quota=quota, age=100)
            for tag, client in ((1, "bob"), (2, "carol"), (3, "dave"))]
    with pytest.raises(UploadRefused) as refused:
        _store(tmp_path, 4, client="alice", in_use=kept, quota=quota)
    _assert_one_sentence(str(refused.value))
    assert "full" in str(refused.value)
    assert _kept(tmp_path) == set(kept)


def test_a_file_larger_than_a_students_quota_is_refused_before_anything_is_deleted(tmp_path):
    old = _store(tmp_path, 1, age=300)
    with pytest.raises(UploadRefused) as refused:
        _store(tmp_path, 2, size=101 * KB)
    _assert_one_sentence(str(refused.value))
    assert _kept(tmp_path) == {old}


def test_uploads_nobody_used_for_days_expire_at_the_next_store(tmp_path):
    week = 8 * 24 * 3600
    forgotten = _store(tmp_path, 1, client="bob", size=KB, age=week)
    still_open = _store(tmp_path, 2, client="carol", size=KB, age=week)
    recent = _store(tmp_path, 3, client="dave", size=KB, age=3600, in_use=[still_open])
    _store(tmp_path, 4, size=KB, in_use=[still_open])
    assert forgotten not in _kept(tmp_path)
    assert {still_open, recent} <= _kept(tmp_path)
    assert not (tmp_path / "bob").exists()  # an emptied client folder goes too


def test_storing_the_same_bytes_again_reuses_the_file(tmp_path):
    first = _store(tmp_path, 1)
    assert _store(tmp_path, 1) == first
    assert len(_kept(tmp_path)) == 1


def test_client_ids_never_become_paths(tmp_path):
    path = _store(tmp_path, 1, client="../../etc")
    assert path.parent == tmp_path / "etc"
    assert upload_store.client_folder("") == "" and upload_store.client_folder("../") == "anonymous"


def test_a_write_that_fails_half_way_leaves_no_file_and_no_temporary(tmp_path, monkeypatch):
    real_write = Path.write_bytes

    def half_then_fail(self, data):
        real_write(self, data[: len(data) // 2])
        raise OSError("No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_fail)
    with pytest.raises(OSError):
        _store(tmp_path, 1)
    monkeypatch.undo()
    assert _kept(tmp_path) == set()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_the_quota_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_UPLOAD_CLIENT_MB", "5")
    monkeypatch.setenv("CNNVIZ_UPLOAD_TOTAL_MB", "20")
    monkeypatch.setenv("CNNVIZ_UPLOAD_DAYS", "not a number")
    quota = UploadQuota.from_env()
    assert quota.client_bytes == 5 * 1024 * 1024 and quota.total_bytes == 20 * 1024 * 1024
    assert quota.max_age_seconds == 7 * 24 * 3600


def _checkpoint(tmp_path, note: str) -> bytes:
    from cnnviz.models import get_model, save_checkpoint

    return save_checkpoint(tmp_path / "c.pt", get_model("lenet5"), classes=[str(i) for i in range(10)],
                           meta={"note": note}).read_bytes()


def test_catalog_keeps_each_clients_checkpoints_within_its_quota(tmp_path, monkeypatch):
    from cnnviz import catalog

    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    first = _checkpoint(tmp_path, "first")
    size = len(first)
    monkeypatch.setenv("CNNVIZ_UPLOAD_CLIENT_MB", str(2.5 * size / (1024 * 1024)))
    stored = [catalog.store_upload(first, client="alice")]
    os.utime(stored[0], (time.time() - 120, time.time() - 120))
    stored.append(catalog.store_upload(_checkpoint(tmp_path, "second"), client="alice", in_use=stored))
    with pytest.raises(UploadRefused):
        catalog.store_upload(_checkpoint(tmp_path, "third"), client="alice", in_use=stored)
    stored.append(catalog.store_upload(_checkpoint(tmp_path, "third"), client="alice", in_use=stored[1:]))
    assert not stored[0].exists() and stored[1].exists() and stored[2].exists()
    assert stored[1].parent == tmp_path / "home" / "uploads" / "alice"
    models, problems = catalog.list_trained_models(stored[1:])
    assert not problems and [m.source for m in models].count("uploaded") == 2


def test_an_upload_deleted_from_disk_is_dropped_from_the_menus_without_a_warning(app_test, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    kept = upload_store.store(_checkpoint(tmp_path, "kept"), "alice")
    app_test.session_state["uploaded_checkpoints"] = [str(tmp_path / "uploads" / "upload-0.pt"), str(kept)]
    app_test.run()
    assert not app_test.exception and not app_test.error
    assert not [w.value for w in app_test.warning if "upload-0" in w.value]
    models = app_test.dataframe[1].value
    uploaded = list(models[models["From"] == "uploaded"]["Model"])
    assert len(uploaded) == 1 and kept.stem in uploaded[0]


def test_home_says_why_when_a_students_upload_does_not_fit(app_test, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    monkeypatch.setenv("CNNVIZ_UPLOAD_CLIENT_MB", "0.1")
    app_test.run()
    app_test.file_uploader(key="checkpoint_upload").upload("tiny.pt", _checkpoint(tmp_path, "too big"))
    app_test.run()
    assert not app_test.exception and not app_test.success
    from dashboard.markup import shown_text

    [error] = [shown_text(e.value) for e in app_test.error]
    _assert_one_sentence(error)
    assert "more than the 0.1 MB this server keeps for each student's uploads" in error
    assert not (tmp_path / "uploads").exists() or not list((tmp_path / "uploads").rglob("*.pt"))
