"""The live view of a training run (issue 15.6): which test images are watched, what the engine
sends about them at the start and after each epoch, and what the Train tab says about them.

Numbers are checked against torch on the same model: each step's picture is its mean over
channels, each probability the softmax of the model's logits in eval mode.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.lessons import live_view as lesson
from cnnviz.runs.history import FitHistory
from cnnviz.train import EpochEvent, StartEvent, TrainConfig, fit, summarize
from cnnviz.train.live_probe import MAX_FLAT, LiveProbe, LiveSnapshot, live_probe, live_snapshot, probe_indices

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Tiny(nn.Module):
    """Normalize-free, two spatial steps and a flat one: small enough to check by hand."""

    def __init__(self, flat: int = 6):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.5)  # on in train mode: the snapshot must be taken in eval mode
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2 * 4 * 4, flat)

    def forward(self, x):
        return self.fc(self.flatten(self.drop(self.act(self.conv(x)))))


def test_the_probe_is_the_first_test_image_of_each_of_the_first_six_classes():
    labels = torch.tensor([3, 3, 0, 7, 1, 0, 2, 5, 4, 6, 1])
    assert probe_indices(labels) == [2, 4, 6, 0, 8, 7]  # classes 0, 1, 2, 3, 4, 5 in class order
    assert probe_indices(torch.tensor([1, 1, 0])) == [2, 0]  # fewer classes: one image each
    images = torch.arange(11 * 16, dtype=torch.uint8).reshape(11, 1, 4, 4)
    probe = live_probe(images, labels)
    assert probe.indices == (2, 4, 6, 0, 8, 7) and probe.labels == (0, 1, 2, 3, 4, 5)
    assert probe.images[0] == images[2].tolist()


def test_a_snapshot_is_every_steps_channel_mean_and_the_softmax_in_eval_mode():
    model = Tiny().train()
    images = torch.randint(0, 256, (3, 1, 4, 4), dtype=torch.uint8)
    snapshot = live_snapshot(model, images)
    assert model.training  # the model's own mode comes back
    assert snapshot.names == ("conv", "act", "drop", "flatten", "fc")
    assert snapshot.kinds == ("Conv2d", "ReLU", "Dropout", "Flatten", "Linear")
    x = images.float() / 255
    with torch.no_grad():
        conv = model.conv(x[:1])[0]  # (2, 4, 4)
        expected = model.eval()(x)
    model.train()
    np.testing.assert_allclose(snapshot.maps[0], conv.mean(0).numpy(), atol=6e-4)  # rounded to 3 decimals
    np.testing.assert_allclose(snapshot.maps[1], conv.relu().mean(0).numpy(), atol=6e-4)
    np.testing.assert_allclose(snapshot.maps[3], conv.relu().reshape(1, -1).numpy(), atol=6e-4)  # a strip
    np.testing.assert_allclose(snapshot.probabilities, torch.softmax(expected, 1).numpy(), atol=6e-5)
    assert np.allclose(np.sum(snapshot.probabilities, axis=1), 1, atol=1e-3)


def test_a_long_flat_step_is_cut_to_a_strip_of_max_flat_values():
    model = Tiny(flat=MAX_FLAT + 40)
    snapshot = live_snapshot(model, torch.zeros((1, 1, 4, 4), dtype=torch.uint8))
    assert np.shape(snapshot.maps[-1]) == (1, MAX_FLAT)


@pytest.fixture(scope="module")
def run_events():
    events = []
    config = TrainConfig(dataset="digits", model="small_cnn", model_options={"channels": [8], "convs_per_block": 1},
                         optimizer="adam", lr=3e-3, batch_size=64, epochs=2, seed=0, device="cpu")
    fit(config, on_event=events.append)
    return events


def test_a_run_sends_the_probe_once_and_a_snapshot_at_the_start_and_after_each_epoch(run_events):
    from cnnviz.data import load_dataset

    start = next(e for e in run_events if isinstance(e, StartEvent))
    epochs = [e for e in run_events if isinstance(e, EpochEvent)]
    digits = load_dataset("digits")
    assert start.probe == live_probe(digits.test_images, digits.test_labels)
    assert start.live is not None and all(e.live is not None for e in epochs) and len(epochs) == 2
    # Training moves the predictions: the snapshots differ from the start and from each other.
    assert start.live.probabilities != epochs[0].live.probabilities != epochs[1].live.probabilities
    assert summarize(run_events).live == epochs[-1].live


def test_the_history_keeps_only_the_latest_epochs_snapshot(run_events):
    history = FitHistory()
    for event in run_events:
        history.add(event)
    epochs = [e for e in history.events if isinstance(e, EpochEvent)]
    assert epochs[0].live is None and epochs[-1].live is not None
    assert history.summary().live == [e for e in run_events if isinstance(e, EpochEvent)][-1].live


# ---------------------------------------------------------------------------------------------
# The Train tab's words and pictures

CLASSES = ("cat", "dog", "eel")
PROBE = LiveProbe(indices=(4, 0, 9), labels=(0, 1, 2), images=np.full((3, 1, 2, 2), 200, np.uint8).tolist())


def _start(live):
    return StartEvent(device="CPU", total_steps=4, steps_per_epoch=2, train_size=10, test_size=10,
                      num_parameters=5, classes=CLASSES, kernels=[], lr=0.1, probe=PROBE, live=live)


def _snapshot(probabilities):
    return LiveSnapshot(names=("conv", "fc"), kinds=("Conv2d", "Linear"), maps=[[[0.0, 1.0]], [[0.5, 0.25]]],
                        probabilities=probabilities)


def test_the_view_says_what_each_image_is_seen_as_and_how_many_are_right():
    before = _snapshot([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3], [0.34, 0.33, 0.33]])
    view = lesson.live_view(summarize([_start(before)]))
    assert view.when == "before training"
    assert view.title == "Test image #4 (cat) at every step, before training"
    assert [tile.caption for tile in view.tiles] == ["dog 50%, wrong (true: cat)", "dog 60%, right", "cat 34%, wrong (true: eel)"]
    assert view.sentence == ("Before training: **1 of 3** of these test images are classified right "
                             "(guessing among 3 classes would get 1.0 on average).")
    after = _snapshot([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.0, 0.3, 0.7]])
    epoch = EpochEvent(epoch=2, train_loss=0.1, train_accuracy=1.0, test_loss=0.1, test_accuracy=1.0, seconds=1.0,
                       confusion=[], kernels=[], live=after)
    view = lesson.live_view(summarize([_start(before), epoch]))
    assert view.title.endswith("after epoch 2") and view.sentence.startswith("After epoch 2: **3 of 3**")
    assert [name for name, _ in view.overview] == ["conv", "fc"] and view.kinds == ("Conv2d", "Linear")
    np.testing.assert_array_equal(view.overview[1][1], [[0.5, 0.25]])
    assert view.tiles[0].picture.size == (112, 112)  # 2 x 2 pixels as crisp 56 px squares


def test_a_class_name_is_quoted_and_a_run_without_a_probe_has_no_view():
    view = lesson.live_view(summarize([_start(_snapshot([[1, 0, 0], [1, 0, 0], [1, 0, 0]]))]),
                            quote=lambda name: f"<{name}>")
    assert view.tiles[1].caption == "<cat> 100%, wrong (true: <dog>)"
    bare = StartEvent(device="CPU", total_steps=4, steps_per_epoch=2, train_size=10, test_size=10, num_parameters=5,
                      classes=CLASSES, kernels=[], lr=0.1)
    assert lesson.live_view(summarize([bare])) is None and lesson.live_view(summarize([])) is None
