"""The training page through AppTest: it renders, offers exactly its lesson's choices and defaults,
refuses what cannot work with a sentence, and a tiny run started from the form shows its progress
and ends with its checkpoint listed."""

import re
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
    assert [t.label for t in page.tabs] == ["Train a network", "Compare learning rates", "Transfer learning",
                                           "One batch: softmax and loss", "Regularisation"]
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
    # Two metrics a row: in four, "after epoch 1" and "T-shirt..." were cut at 1024 px.
    metric_columns = [column for column in page.columns if column.metric]
    assert len(metric_columns) == 4 and all(column.weight == pytest.approx(0.5) for column in metric_columns)
    assert "Computing on CPU" in _texts(page)
    assert {"Starting", "Finished"} <= seen or {"Computing on", "Finished"} <= seen
    # The run is named, and no server path is shown to the student.
    assert f"Saved as run {run_id}" in _texts(page)
    assert str(tmp_path) not in _texts(page) and "model.pt" not in _texts(page)
    assert len(page.get("plotly_chart")) >= 3  # loss, accuracy, kernels (and the confusion matrix)
    # Only loss and accuracy share a row: the kernels and the matrix take the full width (in a
    # half column at 1024 px the kernels were 33 px tiles and the matrix's numbers ~7 px).
    assert sum(len(column.get("plotly_chart")) for column in page.tabs[0].columns) == 2
    assert (tmp_path / "runs" / run_id / "model.pt").exists()
    # The live view (issue 15.6): six test images, each captioned with what the network now says,
    # and the count of right ones in the sentence under them.
    assert "Six test images, as the network learns" in [h.value for h in page.subheader]
    captions = [image.proto.imgs[0].caption for image in page.get("image")
                if re.fullmatch(r".+ \d+%, (right|wrong \(true: .+\))", image.proto.imgs[0].caption)]
    assert len(captions) == 6
    right = sum(caption.endswith(", right") for caption in captions)
    assert f"After epoch 1: **{right} of 6** of these test images are classified right" in _texts(page)


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


def test_a_transfer_comparison_runs_from_its_tab_with_both_members_and_the_result(page):
    from cnnviz.lessons import transfer

    assert page.selectbox(key="transfer_source").options == [transfer.SOURCE_LABELS[n] for n in transfer.SOURCES]
    assert page.selectbox(key="transfer_train_images").options == [transfer.images_label(n)
                                                                    for n in transfer.TRAIN_IMAGE_COUNTS]
    assert page.selectbox(key="transfer_train_images").value == 100 and page.number_input(key="transfer_epochs").value == 5
    assert transfer.IDLE in _texts(page)
    page.selectbox(key="transfer_train_images").set_value(50)
    page.number_input(key="transfer_epochs").set_value(1)
    page.button(key="transfer_compare").click().run()
    assert not page.exception and not page.error
    deadline = time.time() + 120
    while time.time() < deadline and not page.success:
        time.sleep(1)
        page.run()
        assert not page.exception
    assert page.success[0].value.startswith("Frozen features from lenet5-fashion-mnist + a new head reached")
    table = page.tabs[2].dataframe[0].value
    assert list(table["Network"]) == ["Frozen features + new head", "From scratch"]
    assert list(table["Status"]) == ["finished", "finished"]
    assert list(table["Frozen parameters"]) == ["50,692", "0"]
    accuracies = list(table["Test accuracy"])
    text = _texts(page)
    assert "With 50 training images and 1 epoch, " in text
    assert all(f"**{accuracy}**" in text for accuracy in accuracies)
    assert len(page.tabs[2].get("plotly_chart")) == 2  # test accuracy and test loss, both members on each


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


def _run_controls(at):
    return [b.label for b in at.button if b.label in ("Stop", "Pause", "Resume", "Step one epoch")]


def _steps_done(manager, run_id) -> int:
    steps = manager.status(run_id).summary.steps
    return steps[-1].step if steps else 0


def test_pause_step_one_epoch_and_resume_from_the_page_hold_and_release_the_run(page):
    """The lecturer's controls beside Stop: the buttons flip with the run's pace, the progress bar
    says it is held, a held run takes no steps, and Step one epoch lands on the epoch's end."""
    from dashboard import training_service

    run_id = _start_long_run(page)
    manager = training_service.run_manager()
    deadline = time.time() + 90
    while time.time() < deadline and "Computing on" not in _texts(page):
        time.sleep(1)
        page.run()
    assert _run_controls(page) == ["Stop", "Pause", "Step one epoch"]
    _button(page, "Pause").click().run()
    assert not page.exception
    assert _run_controls(page) == ["Stop", "Resume", "Step one epoch"]
    assert page.get("progress")[0].proto.text.endswith(" - paused: Resume, or Step one epoch")
    # The run holds before its next batch; what it reported on its way there (a batch or two, over a
    # pipe) may still be arriving, so the count is read once that has settled, and must not move again.
    time.sleep(0.5)
    held = _steps_done(manager, run_id)  # 0 when the pause landed before the first progress report
    time.sleep(1.5)
    page.run()
    assert _steps_done(manager, run_id) == held

    epochs_before = len(manager.status(run_id).summary.epochs)
    _button(page, "Step one epoch").click().run()
    assert not page.exception
    deadline = time.time() + 90
    while time.time() < deadline and len(manager.status(run_id).summary.epochs) == epochs_before:
        time.sleep(1)
        page.run()
    page.run()
    status = manager.status(run_id)
    assert status.pace == "paused" and len(status.summary.epochs) == epochs_before + 1
    assert status.summary.steps[-1].step == status.summary.epochs[-1].epoch * status.summary.started.total_steps // 50
    assert _run_controls(page) == ["Stop", "Resume", "Step one epoch"]

    _button(page, "Resume").click().run()
    assert _run_controls(page) == ["Stop", "Pause", "Step one epoch"]
    assert "paused" not in page.get("progress")[0].proto.text
    _button(page, "Stop").click().run()
    deadline = time.time() + 60
    while time.time() < deadline and not page.warning:
        time.sleep(1)
        page.run()
    assert page.warning[0].value.startswith("Stopped from the page. Stopped at step")
    assert _run_controls(page) == []


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


def test_the_forms_offer_exactly_the_lessons_choices_with_its_defaults(page):
    from cnnviz import data
    from cnnviz.lessons import training as lesson

    train, compare = lesson.Settings(), lesson.LrSettings()
    labels, titles = lesson.dataset_labels(), lesson.model_titles()
    for prefix in ("train", "lr"):
        assert page.selectbox(key=f"{prefix}_dataset").options == [labels[n] for n in data.DATASET_NAMES]
        assert page.selectbox(key=f"{prefix}_model").options == [titles[n] for n in lesson.MODELS]
    menus = {"train_optimizer": list(lesson.OPTIMIZER_LABELS.values()), "train_schedule": ["constant", "cosine", "one-cycle"],
             "train_dropout": [str(o) for o in lesson.DROPOUTS], "train_batch_norm": list(lesson.BATCH_NORMS),
             "train_adversarial": list(lesson.ADVERSARIAL_LABELS.values()), "train_device": lesson.device_options()}
    for key, options in menus.items():
        assert page.selectbox(key=key).options == options, key
    sliders = {"train_lr": lesson.LEARNING_RATES, "train_batch": lesson.BATCH_SIZES,
               "train_weight_decay": lesson.WEIGHT_DECAYS, "train_attack_eps": lesson.ATTACK_EPSILONS,
               "lr_batch": lesson.BATCH_SIZES, "lr_momentum": lesson.MOMENTA}
    for key, options in sliders.items():
        assert page.select_slider(key=key).options == [str(o) for o in options], key
    assert page.multiselect(key="lr_rates").options == [str(o) for o in lesson.LEARNING_RATES]
    assert [c.label for c in page.checkbox] == list(lesson.AUGMENTATIONS.values())
    assert [c.key for c in page.checkbox] == [f"train_{name}" for name in lesson.AUGMENTATIONS]
    # Each widget starts at the lesson's default, so the form's Start is Settings().config().
    values = {key: page.select_slider(key=f"train_{key}").value for key in ("lr", "batch", "weight_decay", "attack_eps")}
    values.update({key: page.selectbox(key=f"train_{key}").value for key in (
        "dataset", "model", "optimizer", "schedule", "dropout", "batch_norm", "adversarial", "device")})
    values.update(epochs=page.number_input(key="train_epochs").value, seed=page.number_input(key="train_seed").value,
                  label_smoothing=page.slider(key="train_label_smoothing").value,
                  **{name: page.checkbox(key=f"train_{name}").value for name in lesson.AUGMENTATIONS})
    assert lesson.Settings(**values) == train
    assert (page.number_input(key="train_epochs").min, page.number_input(key="train_epochs").max) == lesson.EPOCHS
    assert (page.number_input(key="lr_epochs").min, page.number_input(key="lr_epochs").max) == lesson.COMPARISON_EPOCHS
    assert (page.number_input(key="train_seed").min, page.number_input(key="train_seed").max) == lesson.SEEDS
    assert (page.slider(key="train_label_smoothing").min, page.slider(key="train_label_smoothing").max) == \
        lesson.LABEL_SMOOTHINGS
    assert page.multiselect(key="lr_rates").value == list(compare.rates)
    assert (page.select_slider(key="lr_batch").value, page.number_input(key="lr_epochs").value,
            page.select_slider(key="lr_momentum").value) == (compare.batch, compare.epochs, compare.momentum)


def test_the_page_computes_nothing_itself():
    # A view: no torch, and every number it shows comes from cnnviz.lessons.training.
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parent.parent / PAGE).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "torch" for name in imported)
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.BinOp)
                and isinstance(node.op, (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Sub))]


def test_augmentation_checkboxes_have_short_labels_in_rows_of_three_with_their_strength_in_help(page):
    # Seven checkboxes (nine now) in one row were cut at 1024 px ("Crop (pa...", "Rotate 15...").
    from cnnviz.lessons import training as lesson

    at = page.run()
    assert not at.exception
    boxes = {box.key: box for box in at.checkbox}
    for name, label in lesson.AUGMENTATIONS.items():
        assert boxes[f"train_{name}"].label == label and boxes[f"train_{name}"].help == lesson.AUGMENTATION_HELP[name]
    flip_row = next(i for i, column in enumerate(at.columns) if any(b.key == "train_flip" for b in column.checkbox))
    row = list(at.columns)[flip_row : flip_row + lesson.AUGMENTATION_COLUMNS]
    assert sum(column.weight for column in row) == pytest.approx(1.0)  # three columns make the first row
    assert [box.key for column in row for box in column.checkbox] == ["train_flip", "train_vflip", "train_crop"]
    intro = at.expander[0]  # the prose folded, so the form starts on the first screen
    assert intro.label == "What this page shows" and lesson.INTRO in [e.value for e in intro.markdown]


def test_in_presentation_mode_the_form_stays_open_until_a_run_is_shown(page):
    # A folded form and no run left the projector's first screen without a control.
    page.session_state["present"] = True
    at = page.run()
    assert not at.exception
    assert [e.label for e in at.expander] == ["What this page shows"]  # no "Training settings" fold
    assert "Start" in [button.label for button in at.button]


def test_the_batch_tab_shows_torchs_softmax_and_loss_for_eight_training_images(page):
    import torch
    import torch.nn.functional as F

    from cnnviz.data import load_dataset, to_float
    from cnnviz.lessons import one_batch
    from cnnviz.models import load_checkpoint
    from cnnviz.paths import PRETRAINED_DIR
    from dashboard.markup import escape

    assert [t.label for t in page.tabs][3] == one_batch.TAB_TITLE
    assert not page.get("plotly_chart"), "closed, the tab computes nothing"
    page.session_state["train_tab"] = one_batch.TAB_TITLE
    page.run()
    assert page.selectbox(key="batch_network").value.startswith("lenet5-fashion-mnist")
    model = load_checkpoint(PRETRAINED_DIR / "lenet5-fashion-mnist.pt", map_location="cpu").eval()
    dataset = load_dataset("fashion-mnist")
    number = page.number_input(key="batch_number")
    assert (number.min, number.max, number.value) == (0, 7499, 0)
    at = number.set_value(5).run()
    assert not at.exception and not at.error
    indices = list(range(40, 48))
    with torch.no_grad():
        logits = model(to_float(dataset.train_images[indices]))
    labels = dataset.train_labels[indices]
    table = next(frame.value for frame in at.dataframe if "Loss -ln p_y" in frame.value.columns)
    assert list(table["True class"]) == [model.classes[y] for y in labels]
    assert list(table["Loss -ln p_y"]) == pytest.approx(F.cross_entropy(logits, labels, reduction="none").tolist(), abs=1e-5)
    mean = F.cross_entropy(logits, labels).item()
    assert any(f") = {mean:.4f}" in latex.value for latex in at.latex)
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert captions[:8] == [escape(f"{i}: {model.classes[y]}") for i, y in enumerate(labels)]  # markup: as text

    at = at.radio(key="batch_image").set_value(3).run()  # another image worked out
    y3 = int(labels[3])
    p3 = logits[3].softmax(dim=0)[y3].item()
    assert any(latex.value.strip("$\n").startswith(f"p_{{{y3}}} =") and latex.value.strip("$\n").endswith(f"= {p3:.4f}")
               for latex in at.latex)
    classes = next(frame.value for frame in at.dataframe if "Class" in frame.value.columns)
    assert list(classes["p"]) == pytest.approx(logits[3].softmax(dim=0).tolist(), abs=1e-6)


def test_the_regularisation_tab_shows_the_l2_term_dropout_and_every_augmentation(page):
    from cnnviz.lessons import regularisation, training
    from cnnviz.models import load_checkpoint
    from cnnviz.paths import PRETRAINED_DIR

    assert not any("reg_" in str(chart.proto.id) for chart in page.get("plotly_chart")), "closed: nothing computed"
    page.session_state["train_tab"] = regularisation.TAB_TITLE
    at = page.run()
    assert not at.exception and not at.error
    network = at.selectbox(key="reg_network")
    assert network.value.startswith("lenet5-fashion-mnist")
    assert at.select_slider(key="reg_lambda").value == 5e-4
    lenet = load_checkpoint(PRETRAINED_DIR / "lenet5-fashion-mnist.pt", map_location="cpu")
    squares = sum(float((p.detach().double() ** 2).sum()) for p in lenet.parameters())
    assert any(rf"\frac{{0.0005}}{{2}} \cdot {squares:.2f}" in latex.value for latex in at.latex)
    assert regularisation.NO_DROPOUT in [info.value for info in at.info]  # LeNet-5 has none
    labels = [text.value for text in at.markdown if text.value.startswith("**")]
    assert [f"**{label}**" for label in training.AUGMENTATIONS.values()] == [m for m in labels if m.strip("*") in
                                                                           training.AUGMENTATIONS.values()]
    pictures = len(at.get("image"))
    assert pictures == len(training.AUGMENTATIONS) * (regularisation.PREVIEW_DRAWS + 1)

    small = next(option for option in network.options if option.startswith("small-cnn"))
    at = at.selectbox(key="reg_network").set_value(small).run()
    assert not at.exception
    assert any("`classifier.dropout` has p = 0.3." in text.value for text in at.markdown)
    assert any("reg_dropout" in str(chart.proto.id) for chart in at.get("plotly_chart"))
    at = at.select_slider(key="reg_lambda").set_value(1e-2).run()
    assert any(r"\frac{0.01}{2}" in latex.value for latex in at.latex)


def test_the_form_offers_the_training_set_size_and_width_and_refuses_a_fixed_size_width(page):
    from cnnviz.lessons import training as lesson

    assert page.selectbox(key="train_train_images").options == [str(n) for n in lesson.TRAIN_IMAGE_COUNTS]
    assert page.selectbox(key="train_width").options == list(lesson.WIDTHS)
    page.selectbox(key="train_width").set_value("x 2")  # LeNet-5, the default model, has a fixed size
    _button(page, "Start").click().run()
    assert not page.exception and "training_run_id" not in page.session_state
    assert "LeNet-5 has a fixed size" in page.error[0].value


def test_the_classic_recipe_button_fills_the_compare_form_and_names_its_dataset(page):
    from cnnviz import data

    page.selectbox(key="lr_model").set_value("small_cnn")
    page.select_slider(key="lr_batch").set_value(256)
    at = page.button(key="lr_recipe").click().run()
    assert not at.exception
    mnist_here = any(status.name == "mnist" and status.available for status in data.dataset_status())
    assert at.selectbox(key="lr_dataset").value == ("mnist" if mnist_here else "fashion-mnist")
    assert at.selectbox(key="lr_model").value == "lenet5"
    assert at.multiselect(key="lr_rates").value == [1.0, 0.1, 0.01]
    assert (at.select_slider(key="lr_batch").value, at.number_input(key="lr_epochs").value,
            at.select_slider(key="lr_momentum").value) == (64, 1, 0.0)
    assert any(c.value.startswith("The classic recipe: LeNet-5") for c in at.caption)


def test_a_network_whose_dataset_is_not_here_gets_one_sentence_on_both_lesson_tabs(page, tmp_path):
    from cnnviz.lessons import one_batch, regularisation
    from cnnviz.models import get_model, save_checkpoint
    from dashboard.markup import escape

    path = save_checkpoint(tmp_path / "elsewhere.pt", get_model("lenet5"), classes=[str(i) for i in range(10)],
                           meta={"dataset": "no-such-set"})
    page.session_state["uploaded_checkpoints"] = [str(path)]
    for tab, key in ((one_batch.TAB_TITLE, "batch_network"), (regularisation.TAB_TITLE, "reg_network")):
        page.session_state["train_tab"] = tab
        at = page.run()
        menu = at.selectbox(key=key)
        at = menu.set_value(next(option for option in menu.options if option.startswith("elsewhere"))).run()
        assert not at.exception
        assert [e.value for e in at.error] == [escape(  # the sentence quotes the file: shown as text
            "This network cannot be shown here: Unknown dataset 'no-such-set'; choose one of: fashion-mnist, "
            "mnist, cifar10, digits, digits-28.")]
