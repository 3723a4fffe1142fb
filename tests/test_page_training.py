"""The training page through AppTest: it renders, refuses what cannot work with a sentence, and a
tiny run started from the form shows its progress and ends with its checkpoint listed."""

import time

import pytest

PAGE = "pages/training.py"


@pytest.fixture
def page(app_test, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    at = app_test.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    yield at
    from dashboard import training_service

    training_service.close_for_tests()


def _texts(at):
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [e.value for e in at.success] + [e.value for e in at.warning] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def test_the_page_renders_its_form_and_both_tabs(page):
    assert page.title[0].value == "Training"
    assert [t.label for t in page.tabs] == ["Train a network", "Compare learning rates"]
    assert page.selectbox[0].value == "fashion-mnist"
    assert "press Start" in _texts(page)
    assert not page.error


def test_an_unavailable_dataset_or_a_misfit_model_gets_a_sentence_not_a_traceback(page):
    page.selectbox[0].set_value("cifar10")
    page.selectbox[1].set_value("small_cnn")
    page.button[0].click().run()
    assert not page.exception
    assert "CIFAR-10 is not on this machine" in page.error[0].value
    page.selectbox[0].set_value("digits")
    page.selectbox[1].set_value("lenet5")
    page.button[0].click().run()
    assert not page.exception
    assert "input_size" in page.error[0].value


def test_a_tiny_run_started_from_the_form_shows_progress_and_finishes(page, tmp_path):
    page.selectbox[0].set_value("digits")
    page.selectbox[1].set_value("small_cnn")
    page.number_input[0].set_value(1)  # epochs
    page.button[0].click().run()
    assert not page.exception and not page.error
    run_id = page.session_state["training_run_id"]
    seen = set()
    deadline = time.time() + 120
    while time.time() < deadline:
        text = _texts(page)
        seen.update(word for word in ("queue", "Starting", "Computing on", "Finished") if word in text)
        if page.success:
            break
        time.sleep(1)
        page.run()
        assert not page.exception
    assert "Finished 1 epoch(s)" in page.success[0].value
    assert page.metric[0].label == "Final test accuracy" and page.metric[0].value.endswith("%")
    assert "Computing on CPU" in _texts(page)
    assert {"Starting", "Finished"} <= seen or {"Computing on", "Finished"} <= seen
    # The run is named, and no server path is shown to the student.
    assert f"Saved as run {run_id}" in _texts(page)
    assert str(tmp_path) not in _texts(page) and "model.pt" not in _texts(page)
    assert len(page.get("plotly_chart")) >= 3  # loss, accuracy, kernels (and the confusion matrix)
    assert (tmp_path / "runs" / run_id / "model.pt").exists()


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _start_long_run(page) -> str:
    """Start a run on the digits far longer than any test waits; its run id."""
    page.selectbox[0].set_value("digits")
    page.selectbox[1].set_value("small_cnn")
    page.number_input[0].set_value(50)
    _button(page, "Start").click().run()
    return page.session_state["training_run_id"]


def test_a_learning_rate_comparison_runs_from_its_tab_and_lists_each_rate(page):
    page.selectbox(key="lr_dataset").set_value("digits")
    page.selectbox(key="lr_model").set_value("small_cnn")
    page.multiselect[0].set_value([0.1, 0.01])
    _button(page, "Compare").click().run()
    assert not page.exception and not page.error
    deadline = time.time() + 120
    while time.time() < deadline and not page.success:
        time.sleep(1)
        page.run()
        assert not page.exception
    assert page.success[0].value.startswith("lr 0.1 reached")
    table = page.dataframe[0].value
    assert list(table["Learning rate"]) == ["lr 0.1", "lr 0.01"]
    assert list(table["Status"]) == ["finished", "finished"]
    assert len(page.get("plotly_chart")) >= 1


def test_stop_from_the_page_ends_the_run_and_keeps_it(page, tmp_path):
    run_id = _start_long_run(page)
    deadline = time.time() + 90
    while time.time() < deadline and "Computing on" not in _texts(page):
        time.sleep(1)
        page.run()
    assert "Computing on" in _texts(page)
    _button(page, "Stop").click().run()
    assert not page.exception
    deadline = time.time() + 60
    while time.time() < deadline and not page.warning:
        time.sleep(1)
        page.run()
    assert page.warning[0].value.startswith("Stopped from the page. Stopped at step")
    assert (tmp_path / "runs" / run_id / "model.pt").exists()
    assert not any(b.label == "Stop" for b in page.button)  # nothing left to stop


def test_a_run_keeps_its_place_its_limit_and_its_stop_button_when_every_cache_is_cleared(page, monkeypatch):
    # What a crafted client's "clear cache" request (or any cache clear on the server) does.
    import streamlit as st

    run_id = _start_long_run(page)
    st.cache_data.clear()
    st.cache_resource.clear()
    page.run()
    assert not page.exception
    assert any(b.label == "Stop" for b in page.button)
    from dashboard import training_service

    manager = training_service.run_manager()
    assert manager.status(run_id).active
    # The limit still counts the run: a second run from another tab of this browser is refused.
    from cnnviz.runs import RunRefused
    from cnnviz.train import TrainConfig

    run = manager.status(run_id)
    with pytest.raises(RunRefused):
        manager.submit(TrainConfig(dataset="digits", model="small_cnn"), owner="another tab", client=run.client)
    _button(page, "Stop").click().run()
    assert not page.exception
