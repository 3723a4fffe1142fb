"""The Training page's lesson: the configs its forms build, and every number and sentence its live
views show, folded from hand-written run events (cnnviz.train.events) and worked out by hand here.

The events are chosen so that swapped or mixed-up numbers show: the run has 3 epochs of 20 steps
(the epoch being trained, the epochs planned and the steps differ), the splits and speeds need
thousands separators, and each accuracy is a different exact binary fraction, so the figure shown
is the one worked out here to a tenth of a percent.
"""

from __future__ import annotations

import pytest

from cnnviz.lessons import training as lesson
from cnnviz.runs import RunMember, RunStatus
from cnnviz.train import Augmentation, EndEvent, EpochEvent, StartEvent, StepEvent, TrainConfig

KERNELS = [[[[0.5, -0.5, 0.0], [1.0, 0.0, -1.0]]], [[[0.25, 0.0, 0.0], [0.0, 0.0, 0.75]]]]  # (2, 1, 2, 3)
CONFUSION = [[30, 2, 0], [1, 25, 4], [0, 3, 35]]
START = StartEvent(device="CPU (2 threads)", total_steps=60, steps_per_epoch=20, train_size=1280,
                   test_size=320, num_parameters=12345, classes=("cat", "dog", "eel"), kernels=KERNELS, lr=0.01)
STEP_1 = StepEvent(step=10, epoch=1, progress=10 / 60, loss=1.2345, lr=0.01, images_per_second=900.0, elapsed=12.0)
EPOCH_1 = EpochEvent(epoch=1, train_loss=0.9, train_accuracy=0.625, test_loss=0.8, test_accuracy=0.5,
                     seconds=25.0, confusion=CONFUSION, kernels=KERNELS)
# Epoch 2, step 30 of 60: half the run in 75.4 s, so as long again is left: 75 s, "1:15".
STEP_2 = StepEvent(step=30, epoch=2, progress=0.5, loss=0.56789, lr=0.005, images_per_second=2345.6, elapsed=75.4)
EPOCH_2 = EpochEvent(epoch=2, train_loss=0.5, train_accuracy=0.875, test_loss=0.6, test_accuracy=0.8125,
                     seconds=26.0, confusion=CONFUSION, kernels=KERNELS)


def status(events, state="running", *, epochs=3, message="", checkpoint=None, position=None,
           pace="running", stopping=False) -> RunStatus:
    config = TrainConfig(dataset="digits", model="small_cnn", epochs=epochs)
    return RunStatus(run_id="run-7", kind="single", owner="tab", client="tab", state=state, queue_position=position,
                     message=message, members=(RunMember("run", config, tuple(events)),), submitted_at=0.0,
                     started_at=None, ended_at=None, checkpoint=checkpoint, pace=pace, stopping=stopping)


def metrics(view) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in view.metrics]


# ---------------------------------------------------------------------------------------------
# One run


def test_no_run_yet_says_what_to_press_and_offers_no_stop():
    view = lesson.single_run(None)
    assert view.notice == "Choose the settings above and press Start; the curves appear here while it trains."
    assert not view.stoppable and view.metrics == () and view.progress is None and view.banner is None


def test_a_queued_run_names_its_place_and_can_be_stopped():
    view = lesson.single_run(status([], "queued", position=3))
    assert view.notice == ("Waiting for a free slot: your run is number 3 in the queue. "
                           "Other runs on this server go first; this page updates by itself.")
    assert view.stoppable and view.computing is None


def test_a_starting_run_says_it_is_loading():
    view = lesson.single_run(status([], "starting"))
    assert view.notice == "Starting: loading the data and building the model..." and view.stoppable


def test_a_run_in_its_second_epoch_shows_its_progress_speed_time_left_and_the_first_epochs_figures():
    view = lesson.single_run(status([START, STEP_1, EPOCH_1, STEP_2]))
    assert view.stoppable and view.notice is None and view.banner is None and view.saved is None
    assert view.progress.fraction == 0.5
    # 2345.6 images/s rounds to 2,346; 75.4 s * (1 - 0.5) / 0.5 = 75.4 s left, shown as 1:15.
    assert view.progress.text == "Epoch 2 of 3 - 2,346 images/s - about 1:15 left"
    assert view.computing == ("Computing on CPU (2 threads) - 12,345 parameters - "
                              "1,280 training and 320 test images.")
    assert metrics(view) == [("Test accuracy", "50.0%"), ("Train accuracy", "62.5%"),
                             ("Latest loss", "0.568"), ("Elapsed", "1:15")]
    assert view.metrics[1].help == ("The mean over epoch 1's training batches, measured while training "
                                    "(dropout and augmentation on).")
    assert view.kernel_title == "First-layer kernels, after epoch 1" and view.kernels == KERNELS
    assert view.confusion == CONFUSION and view.classes == ("cat", "dog", "eel")
    # Step x in epochs: step 10 and 30 of 20 per epoch.
    assert view.curves["step_x"] == [0.5, 1.5] and view.curves["epoch_x"] == [1.0]


def test_a_run_a_third_of_the_way_in_has_twice_its_elapsed_time_left():
    first = StepEvent(step=20, epoch=1, progress=1 / 3, loss=2.0, lr=0.01, images_per_second=0.0, elapsed=61.0)
    view = lesson.single_run(status([START, first]))
    # 61 s * (2/3) / (1/3) = 122 s = 2:02; no speed measured yet, so none is shown.
    assert view.progress.text == "Epoch 1 of 3 - about 2:02 left"
    assert metrics(view) == [("Test accuracy", "after epoch 1"), ("Train accuracy", "after epoch 1"),
                             ("Latest loss", "2.000"), ("Elapsed", "1:01")]
    assert view.kernel_title == "First-layer kernels, before training" and view.confusion is None


def test_a_run_before_its_first_step_is_at_epoch_one_with_nothing_measured():
    view = lesson.single_run(status([START]))
    assert view.progress.fraction == 0.0 and view.progress.text == "Epoch 1 of 3"
    assert metrics(view) == [("Test accuracy", "after epoch 1"), ("Train accuracy", "after epoch 1"),
                             ("Latest loss", "-"), ("Elapsed", "0:00")]


def test_a_finished_run_shows_its_final_figures_and_names_the_saved_run():
    end = EndEvent(status="finished", message="Finished 2 epoch(s) in 80 s: test accuracy 81.2%.",
                   test_accuracy=0.8125, epochs=2.0, steps=40, seconds=80.4, images_per_second=1500.0,
                   checkpoint="/server/runs/run-7/model.pt")
    view = lesson.single_run(status([START, STEP_1, EPOCH_1, STEP_2, EPOCH_2, end], "finished", epochs=2,
                                    message=end.message, checkpoint="/server/runs/run-7/model.pt"))
    assert not view.stoppable and view.progress is None
    assert view.banner == lesson.Banner("success", "Finished 2 epoch(s) in 80 s: test accuracy 81.2%.", False)
    assert view.saved == "Saved as run run-7: every page that uses a trained network can pick it now."
    assert "/server" not in view.saved and "model.pt" not in view.saved
    assert metrics(view) == [("Final test accuracy", "81.2%"), ("Train accuracy", "87.5%"),
                             ("Latest loss", "0.568"), ("Elapsed", "1:20")]
    assert view.kernel_title == "First-layer kernels, after epoch 2"


def test_a_run_stopped_in_its_second_epoch_says_its_train_figure_is_the_first_epochs():
    message = "Stopped at step 30 of 60 (epoch 2 of 3); the model trained so far was kept."
    end = EndEvent(status="stopped", message=message, test_accuracy=0.5625, epochs=1.5, steps=30, seconds=601.0)
    view = lesson.single_run(status([START, STEP_1, EPOCH_1, STEP_2, end], "stopped", message=message,
                                    checkpoint="x"))
    assert view.banner == lesson.Banner("warning", message, False)
    assert metrics(view) == [("Final test accuracy", "56.2%"), ("Train accuracy, epoch 1", "62.5%"),
                             ("Latest loss", "0.568"), ("Elapsed", "10:01")]
    assert view.metrics[1].help == ("The mean over epoch 1's training batches; the run ended during "
                                    "epoch 2, so that epoch's batches are not in it.")


def test_a_run_stopped_in_its_second_epoch_shows_that_epochs_train_figure_so_far():
    # The engine counted epoch 2's batches up to the stop: 11 right of 16 = 68.75%.
    message = "Stopped at step 30 of 60 (epoch 2 of 3); the model trained so far was kept."
    end = EndEvent(status="stopped", message=message, test_accuracy=0.5625, epochs=1.5, steps=30, seconds=601.0,
                   unfinished_train_accuracy=11 / 16)
    view = lesson.single_run(status([START, STEP_1, EPOCH_1, STEP_2, end], "stopped", message=message,
                                    checkpoint="x"))
    assert metrics(view)[:2] == [("Final test accuracy", "56.2%"), ("Train accuracy, epoch 2 so far", "68.8%")]
    assert view.metrics[1].help == ("The mean over epoch 2's training batches up to the stop, measured while "
                                    "training (dropout and augmentation on).")


def test_a_run_stopped_in_its_first_epoch_shows_that_epochs_train_figure_so_far():
    end = EndEvent(status="stopped", message="Stopped.", test_accuracy=0.25, epochs=0.4, steps=8, seconds=12.0,
                   unfinished_train_accuracy=0.3)
    view = lesson.single_run(status([START, STEP_1, end], "stopped", message="Stopped."))
    assert metrics(view)[:2] == [("Final test accuracy", "25.0%"), ("Train accuracy, epoch 1 so far", "30.0%")]


def test_a_run_stopped_right_after_an_epoch_keeps_the_plain_train_label():
    end = EndEvent(status="stopped", message="Stopped.", test_accuracy=0.5, epochs=1.0, steps=20, seconds=30.0)
    view = lesson.single_run(status([START, STEP_1, EPOCH_1, end], "stopped", message="Stopped."))
    assert metrics(view)[:2] == [("Final test accuracy", "50.0%"), ("Train accuracy", "62.5%")]
    assert view.saved is None  # nothing saved, nothing named


def test_a_run_stopped_in_its_first_epoch_has_a_test_figure_and_no_train_one():
    end = EndEvent(status="stopped", message="Stopped.", test_accuracy=0.25, epochs=0.5, steps=10, seconds=14.6)
    view = lesson.single_run(status([START, STEP_1, end], "stopped", message="Stopped."))
    assert metrics(view) == [("Final test accuracy", "25.0%"), ("Train accuracy", "-"),
                             ("Latest loss", "1.234"), ("Elapsed", "0:15")]
    assert view.metrics[1].help == "The run ended before its first epoch did."


def test_a_failed_run_is_an_error_whose_text_must_be_escaped_and_draws_nothing_more():
    end = EndEvent(status="failed", message="Training failed: <b>CUDA</b> out of memory.")
    view = lesson.single_run(status([end], "failed", message=end.message))
    assert view.banner == lesson.Banner("error", "Training failed: <b>CUDA</b> out of memory.", True)
    assert view.computing is None and view.metrics == () and view.curves is None


def test_a_diverged_run_is_an_error_of_our_own_words():
    view = lesson.single_run(status([START, STEP_1, EndEvent("diverged", "The loss exploded.")], "diverged",
                                    message="The loss exploded."))
    assert view.banner == lesson.Banner("error", "The loss exploded.", False)


def test_a_run_that_diverged_in_its_third_epoch_labels_its_train_figure_with_the_second():
    step = StepEvent(step=45, epoch=3, progress=0.75, loss=float("inf"), lr=0.01, images_per_second=0.0, elapsed=99.0)
    end = EndEvent("diverged", "The loss exploded.", epochs=2.25, steps=45, seconds=99.0)
    view = lesson.single_run(status([START, STEP_1, EPOCH_1, STEP_2, EPOCH_2, step, end], "diverged",
                                    message="The loss exploded."))
    # Not evaluated at the end: the test figure is epoch 2's, and so is the train figure.
    assert metrics(view) == [("Test accuracy", "81.2%"), ("Train accuracy, epoch 2", "87.5%"),
                             ("Latest loss", "inf"), ("Elapsed", "1:39")]
    assert "the run ended during epoch 3" in view.metrics[1].help


@pytest.mark.parametrize("seconds, shown", [(0, "0:00"), (59.4, "0:59"), (59.6, "1:00"), (61, "1:01"),
                                            (754, "12:34"), (3600, "60:00")])
def test_the_clock_is_minutes_and_two_digit_seconds(seconds, shown):
    assert lesson.clock(seconds) == shown


# ---------------------------------------------------------------------------------------------
# Learning-rate comparison


def member(label, lr, events):
    return RunMember(label, TrainConfig(dataset="digits", model="small_cnn", optimizer="sgd", lr=lr), tuple(events))


def comparison_status(members, state="running", message="", pace="running") -> RunStatus:
    return RunStatus(run_id="cmp-1", kind="lr-comparison", owner="tab", client="tab", state=state,
                     queue_position=None, message=message, members=tuple(members), submitted_at=0.0,
                     started_at=None, ended_at=None, checkpoint=None, pace=pace)


DIVERGED = member("lr 1", 1.0, [START, STEP_1, EndEvent("diverged", "The loss exploded at step 10.")])


def test_no_comparison_yet_says_what_to_press():
    view = lesson.comparison(None)
    assert view.notice == "Pick the learning rates and press Compare; their loss curves are drawn on top of each other."
    assert not view.stoppable and view.rows == ()


def test_a_comparison_halfway_through_its_second_rate_is_half_done_and_lists_every_rate():
    training = member("lr 0.1", 0.1, [START, STEP_2])  # half of its run
    view = lesson.comparison(comparison_status([DIVERGED, training, member("lr 0.01", 0.01, [])]))
    # One of three members done, the second half done: (1 + 0.5) / 3 of the whole.
    assert view.progress == lesson.Progress(0.5, "Training lr 0.1 (2 of 3)")
    assert view.stoppable and view.banner is None
    assert [(label, note) for label, _, note in view.lines] == [("lr 1", "diverged"), ("lr 0.1", "")]
    assert view.lines[0][1]["step_loss"] == [1.2345]
    assert view.rows == (
        {"Learning rate": "lr 1", "Status": "diverged", "Test accuracy": "",
         "What happened": "The loss exploded at step 10."},
        {"Learning rate": "lr 0.1", "Status": "training", "Test accuracy": "", "What happened": ""},
        {"Learning rate": "lr 0.01", "Status": "waiting", "Test accuracy": "", "What happened": ""},
    )


def test_a_finished_comparison_shows_each_rates_test_accuracy():
    ended = [member("lr 0.1", 0.1, [START, STEP_2, EndEvent("finished", "Done.", test_accuracy=0.90625)]),
             member("lr 0.01", 0.01, [START, STEP_1, EndEvent("finished", "Done.", test_accuracy=0.4375)])]
    view = lesson.comparison(comparison_status(ended, "finished", "lr 0.1 reached 90.6%."))
    assert view.progress is None and not view.stoppable
    assert view.banner == lesson.Banner("success", "lr 0.1 reached 90.6%.", False)
    assert [row["Test accuracy"] for row in view.rows] == ["90.6%", "43.8%"]
    assert [note for _, _, note in view.lines] == ["", ""]


def test_a_comparison_whose_members_all_ended_but_is_still_active_is_full_not_over():
    ended = member("lr 0.1", 0.1, [START, STEP_2, EndEvent("finished", "Done.", test_accuracy=0.5)])
    view = lesson.comparison(comparison_status([ended]))
    assert view.progress == lesson.Progress(1.0, "Training lr 0.1 (1 of 1)")


# ---------------------------------------------------------------------------------------------
# The forms' settings


def test_the_train_forms_defaults_build_the_default_run():
    config = lesson.Settings().config()
    assert config == TrainConfig(dataset="fashion-mnist", model="lenet5", optimizer="adam", lr=0.003,
                                 schedule="one-cycle", batch_size=128, epochs=3, weight_decay=0.0, dropout=None,
                                 batch_norm=None, label_smoothing=0.0, augment=Augmentation(),
                                 adversarial="none", adversarial_eps=0.1, seed=0, device="auto")
    assert config.check() is config


def test_every_augmentation_checked_switches_each_on_at_its_strength():
    settings = lesson.Settings(**{name: True for name in lesson.AUGMENTATIONS})
    assert settings.config().augment == Augmentation(flip=True, vertical_flip=True, crop_padding=2, rotation=15.0,
                                                     scale=0.15, translate=0.1, gaussian_noise=0.05, salt_pepper=0.02,
                                                     color_jitter=0.3)
    # Short labels (long ones were cut at 1024 px: "Crop (pa..."); each help says the strength.
    assert list(lesson.AUGMENTATIONS.values()) == ["Flip", "Flip up-down", "Crop", "Rotate", "Scale", "Shift", "Noise",
                                                   "Salt & pepper", "Colour jitter"]
    assert max(len(label) for label in lesson.AUGMENTATIONS.values()) <= 13
    assert list(lesson.AUGMENTATION_HELP) == list(lesson.AUGMENTATIONS)
    strengths = {"crop": "2 pixels", "rotate": "15 degrees", "shift": "10%", "noise": "0.05", "salt_pepper": "2%",
                 "jitter": "30%"}
    for name, strength in strengths.items():
        assert strength in lesson.AUGMENTATION_HELP[name], name
    assert lesson.augmentation_rows() == [["flip", "vflip", "crop"], ["rotate", "scale", "shift"],
                                          ["noise", "salt_pepper", "jitter"]]
    assert lesson.in_rows("abcde", 2) == [["a", "b"], ["c", "d"], ["e"]]


@pytest.mark.parametrize("name, expected", [
    ("flip", Augmentation(flip=True)), ("crop", Augmentation(crop_padding=2)),
    ("rotate", Augmentation(rotation=15.0)), ("shift", Augmentation(translate=0.1)),
    ("noise", Augmentation(gaussian_noise=0.05)), ("salt_pepper", Augmentation(salt_pepper=0.02)),
    ("jitter", Augmentation(color_jitter=0.3))])
def test_each_augmentation_checkbox_switches_on_its_own_change_only(name, expected):
    assert lesson.Settings(**{name: True}).config().augment == expected


def test_the_forms_choices_become_the_configs_numbers_and_switches():
    settings = lesson.Settings(dataset="digits", model="small_cnn", optimizer="sgd", lr=0.1, schedule="cosine",
                               batch=32, epochs=7, weight_decay=1e-4, dropout=0.3, batch_norm="off",
                               label_smoothing=0.05, adversarial="fgsm", attack_eps=0.2, seed=42, device="cpu")
    config = settings.config()
    assert (config.dataset, config.model, config.optimizer, config.lr, config.schedule) == (
        "digits", "small_cnn", "sgd", 0.1, "cosine")
    assert (config.batch_size, config.epochs, config.weight_decay, config.dropout, config.batch_norm) == (
        32, 7, 1e-4, 0.3, False)
    assert (config.label_smoothing, config.adversarial, config.adversarial_eps, config.seed, config.device) == (
        0.05, "fgsm", 0.2, 42, "cpu")
    assert lesson.Settings(batch_norm="on").config().batch_norm is True
    assert lesson.Settings(dropout=0.0).config().dropout == 0.0  # off, not the model's default


def test_the_comparison_form_trains_plain_sgd_highest_rate_first():
    settings = lesson.LrSettings(dataset="digits", model="small_cnn", rates=(0.01, 1.0, 0.1), batch=32, epochs=2,
                                 momentum=0.5)
    assert settings.rates_in_order() == [1.0, 0.1, 0.01]
    assert settings.refusal() is None
    assert settings.config() == TrainConfig(dataset="digits", model="small_cnn", optimizer="sgd", momentum=0.5,
                                            batch_size=32, epochs=2)
    assert lesson.LrSettings(rates=()).refusal() == "Pick at least one learning rate."
    assert lesson.LrSettings().rates_in_order() == [1.0, 0.1, 0.01]  # the classic lesson's rates


def test_every_offered_choice_builds_a_config_the_trainer_accepts():
    for field, options in [("lr", lesson.LEARNING_RATES), ("batch", lesson.BATCH_SIZES),
                           ("weight_decay", lesson.WEIGHT_DECAYS), ("dropout", lesson.DROPOUTS),
                           ("batch_norm", lesson.BATCH_NORMS), ("attack_eps", lesson.ATTACK_EPSILONS),
                           ("adversarial", tuple(lesson.ADVERSARIAL_LABELS)), ("epochs", lesson.EPOCHS),
                           ("seed", lesson.SEEDS), ("label_smoothing", lesson.LABEL_SMOOTHINGS),
                           ("device", tuple(lesson.device_options()))]:
        for value in options:
            lesson.Settings(**{field: value}).config().check()
    for momentum in lesson.MOMENTA:
        for epochs in lesson.COMPARISON_EPOCHS:
            lesson.LrSettings(momentum=momentum, epochs=epochs).config().check()


def test_the_menus_name_every_choice_the_trainer_has():
    from cnnviz.train.config import ADVERSARIAL, OPTIMIZERS, SCHEDULES

    assert tuple(lesson.OPTIMIZER_LABELS) == OPTIMIZERS == lesson.OPTIMIZERS
    assert tuple(lesson.ADVERSARIAL_LABELS) == ADVERSARIAL
    assert lesson.SCHEDULES == SCHEDULES


def test_each_dataset_label_says_when_it_is_not_on_this_machine(monkeypatch):
    from cnnviz import data

    statuses = [data.DatasetStatus("mnist", "MNIST", True, "/x", ""),
                data.DatasetStatus("cifar10", "CIFAR-10", False, None, "fetch it")]
    monkeypatch.setattr(data, "dataset_status", lambda: statuses)
    assert lesson.dataset_labels() == {"mnist": "MNIST", "cifar10": "CIFAR-10 (not on this machine)"}


def test_the_training_set_size_and_width_controls_reach_the_run():
    from cnnviz.data import dataset_info
    from cnnviz.models import count_parameters
    from cnnviz.train import build_model

    assert lesson.TRAIN_IMAGE_COUNTS[0] == lesson.ALL_IMAGES and 500 in lesson.TRAIN_IMAGE_COUNTS
    assert lesson.Settings().config().train_images is None  # all of them by default
    assert lesson.Settings(train_images=500).config().train_images == 500
    narrow = lesson.Settings(model="small_cnn", width="x 1/4").config()
    assert narrow.model_options == {"channels": [8, 16, 32]}
    assert lesson.Settings(model="tinyvgg", width="x 2").config().model_options == {"hidden": 20}
    assert lesson.Settings(model="small_cnn").config().model_options == {}
    info = dataset_info("fashion-mnist")
    sizes = [count_parameters(build_model(lesson.Settings(model="small_cnn", width=w).config(), info))
             for w in ("x 1/4", "as designed", "x 2")]
    assert sizes[0] < sizes[1] < sizes[2], "the width changes the network's size"
    # A fixed-size network refuses a width with one sentence, before anything is submitted.
    assert "LeNet-5 has a fixed size" in lesson.Settings(model="lenet5", width="x 2").refusal()
    assert lesson.Settings(model="lenet5").refusal() is None


def test_the_classic_recipe_runs_on_mnist_when_it_is_here_and_says_so_otherwise():
    values, sentence = lesson.seed_recipe({"mnist", "fashion-mnist"})
    assert values == {"lr_dataset": "mnist", "lr_model": "lenet5", "lr_rates": [1.0, 0.1, 0.01], "lr_batch": 64,
                      "lr_epochs": 1, "lr_momentum": 0.0}
    assert "on MNIST, as in the original lesson" in sentence
    values, sentence = lesson.seed_recipe({"fashion-mnist", "digits"})
    assert values["lr_dataset"] == "fashion-mnist" and "MNIST is not on this machine" in sentence
    # Every value is one the Compare form offers.
    assert values["lr_model"] in lesson.MODELS and set(values["lr_rates"]) <= set(lesson.LEARNING_RATES)
    assert values["lr_batch"] in lesson.BATCH_SIZES and values["lr_momentum"] in lesson.MOMENTA
    low, high = lesson.COMPARISON_EPOCHS
    assert low <= values["lr_epochs"] <= high


def test_a_finished_rate_whose_loss_fell_far_less_than_the_best_is_named_as_crawling():
    def losses(*values):
        return [StepEvent(step=10 * (i + 1), epoch=1, progress=(i + 1) / 60, loss=v, lr=0.1, images_per_second=900.0,
                          elapsed=float(i)) for i, v in enumerate(values)]

    fast = member("lr 0.1", 0.1, [START, *losses(2.3, 1.0, 0.45), EndEvent("finished", "Done.", test_accuracy=0.9)])
    slow = member("lr 0.01", 0.01, [START, *losses(2.3, 2.1, 1.9), EndEvent("finished", "Done.", test_accuracy=0.5)])
    fine = member("lr 0.03", 0.03, [START, *losses(2.3, 1.4, 1.2), EndEvent("finished", "Done.", test_accuracy=0.8)])
    view = lesson.comparison(comparison_status([DIVERGED, fast, slow, fine], "finished", "lr 0.1 reached 90%."))
    assert [(label, note) for label, _, note in view.lines] == [
        ("lr 1", "diverged"), ("lr 0.1", ""), ("lr 0.01", lesson.CRAWLS), ("lr 0.03", "")]  # 1.1 > 0.5 * 1.85
    assert view.rows[2]["What happened"].startswith("Crawled: its loss fell by 0.40, against 1.85 at lr 0.1")
    assert view.rows[1]["What happened"] == "Done."
    # Still training: nothing is named yet.
    early = lesson.comparison(comparison_status([fast, member("lr 0.01", 0.01, [START, *losses(2.3, 2.2)])]))
    assert all(note != lesson.CRAWLS for _, _, note in early.lines)


# ---------------------------------------------------------------------------------------------
# Pause, resume, step one epoch


def controls(view) -> list[tuple[str, str]]:
    return [(b.label, b.action) for b in view.controls]


def test_a_training_run_offers_pause_and_step_a_paused_one_resume_and_a_stepping_one_pause_now():
    events = [START, STEP_1, EPOCH_1, STEP_2]
    running = lesson.single_run(status(events))
    assert controls(running) == [("Pause", "pause"), ("Step one epoch", "step_epoch")]
    assert running.progress.text == "Epoch 2 of 3 - 2,346 images/s - about 1:15 left"
    paused = lesson.single_run(status(events, pace="paused"))
    assert controls(paused) == [("Resume", "resume"), ("Step one epoch", "step_epoch")]
    # Held: no speed or time left to tell, and the bar says what to press.
    assert paused.progress.text == "Epoch 2 of 3 - paused: Resume, or Step one epoch"
    assert paused.progress.fraction == 0.5 and paused.stoppable
    stepping = lesson.single_run(status(events, pace="stepping"))
    assert controls(stepping) == [("Pause", "pause")]
    assert stepping.progress.text == "Epoch 2 of 3 - finishing this epoch, then pausing"
    assert lesson.single_run(status(events, stopping=True)).controls == ()  # Stop was pressed: it is saving
    for state in ("queued", "starting", "stopped", "finished"):
        assert lesson.single_run(status([] if state in ("queued", "starting") else events, state,
                                        position=1, pace="paused")).controls == ()


def test_a_paused_comparison_says_so_and_offers_resume():
    training = member("lr 0.1", 0.1, [START, STEP_2])
    view = lesson.comparison(comparison_status([DIVERGED, training, member("lr 0.01", 0.01, [])], pace="paused"))
    assert view.progress.text == "Training lr 0.1 (2 of 3) - paused: Resume, or Step one epoch"
    assert controls(view)[0] == ("Resume", "resume")
    assert controls(lesson.comparison(comparison_status([DIVERGED], state="finished"))) == []
