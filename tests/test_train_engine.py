"""cnnviz.train.engine on the 8x8 digits (fast): it learns, emits events in order, stops within a
batch and keeps a loadable checkpoint, reports divergence with a sentence, and does exactly what a
plain PyTorch loop does under the same seed."""

import math

import pytest
import torch

from cnnviz.train import (
    Augmentation,
    EndEvent,
    EpochEvent,
    StartEvent,
    StepEvent,
    TrainConfig,
    TrainConfigError,
    build_model,
    evaluate,
    fit,
    summarize,
)
from cnnviz.train import engine

TINY = {"channels": [8], "convs_per_block": 1}  # one conv block: a fraction of a second per epoch


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # the test machine is shared


def _config(**changes):
    values = dict(dataset="digits", model="small_cnn", model_options=TINY, optimizer="adam", lr=3e-3,
                  batch_size=64, epochs=4, seed=0, device="cpu")
    values.update(changes)
    return TrainConfig(**values)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    events = []
    path = tmp_path_factory.mktemp("run") / "model.pt"
    end = fit(_config(), checkpoint_path=path, on_event=events.append)
    return end, events, path


def test_fit_learns_the_digits_and_saves_a_checkpoint_with_its_history(finished_run):
    from cnnviz.models import load_checkpoint

    end, events, path = finished_run
    assert end.status == "finished", end.message
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    losses = [e.train_loss for e in epochs]
    assert losses[-1] < 0.5 * losses[0]
    assert end.test_accuracy > 0.85  # chance is 0.10
    assert end.checkpoint == str(path)
    model = load_checkpoint(path)
    meta = model.meta
    assert meta["dataset"] == "digits" and meta["status"] == "finished"
    assert meta["test_accuracy"] == pytest.approx(end.test_accuracy)
    assert meta["history"]["test_accuracy"] == [e.test_accuracy for e in epochs]
    assert meta["config"] == _config().to_dict()
    assert meta["trained_at"][:4].isdigit() and meta["epochs"] == 4
    snapshots = torch.tensor(meta["kernel_snapshots"])
    assert snapshots.shape == (4, 8, 1, 3, 3)  # one (C_out, C_in, F, F) snapshot per epoch
    assert torch.allclose(snapshots[-1], model.features.conv1_1.weight, atol=1e-4)
    assert not torch.allclose(snapshots[0], torch.tensor(meta["initial_kernels"]))


def test_events_come_in_order_with_consistent_numbers(finished_run):
    end, events, _ = finished_run
    assert isinstance(events[0], StartEvent) and events[-1] is end and isinstance(end, EndEvent)
    start = events[0]
    assert start.train_size == 1437 and start.test_size == 360
    assert start.total_steps == 4 * start.steps_per_epoch == 4 * 23  # 1437 / 64 -> 23 batches
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [e.step for e in steps] == sorted({e.step for e in steps})
    assert steps[-1].step == start.total_steps and steps[-1].progress == 1.0
    assert all(math.isfinite(e.loss) and e.images_per_second > 0 and e.lr == 3e-3 for e in steps)
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert [e.epoch for e in epochs] == [1, 2, 3, 4]
    # Each epoch's last step event comes before its epoch event.
    for epoch in epochs:
        index = events.index(epoch)
        assert isinstance(events[index - 1], StepEvent) and events[index - 1].epoch == epoch.epoch
    confusion = torch.tensor(epochs[-1].confusion)
    assert confusion.sum() == 360
    assert confusion.trace().item() / 360 == pytest.approx(epochs[-1].test_accuracy)
    summary = summarize(events)
    assert summary.progress == 1.0 and summary.eta_seconds is None
    assert summary.curves()["test_accuracy"] == [e.test_accuracy for e in epochs]


def test_evaluate_matches_a_direct_count(finished_run):
    from cnnviz.data import load_dataset, to_float
    from cnnviz.models import load_checkpoint

    model = load_checkpoint(finished_run[2])
    data = load_dataset("digits")
    result = evaluate(model, data.test_images, data.test_labels, num_classes=10, batch_size=100)
    with torch.no_grad():
        logits = model(to_float(data.test_images))
    predicted = logits.argmax(1)
    assert result.accuracy == pytest.approx((predicted == data.test_labels).float().mean().item())
    assert result.loss == pytest.approx(torch.nn.functional.cross_entropy(logits, data.test_labels).item(), rel=1e-5)
    for actual, guess in [(0, 0), (3, 5), (8, 1)]:
        expected = ((data.test_labels == actual) & (predicted == guess)).sum().item()
        assert result.confusion[actual, guess].item() == expected
    assert result.accuracy == pytest.approx(finished_run[0].test_accuracy)  # test set not augmented


def test_stop_ends_within_one_batch_and_keeps_a_loadable_evaluated_checkpoint(tmp_path):
    from cnnviz.models import load_checkpoint

    polls = []

    def stop_after_five_steps():
        polls.append(1)
        return len(polls) > 5

    end = fit(_config(epochs=3), checkpoint_path=tmp_path / "model.pt", should_stop=stop_after_five_steps)
    assert end.status == "stopped" and end.steps == 5
    assert "step 5 of 69" in end.message
    assert end.epochs == pytest.approx(5 / 23, abs=1e-3)
    model = load_checkpoint(end.checkpoint)
    assert model.meta["status"] == "stopped" and model.meta["steps"] == 5
    assert model.meta["test_accuracy"] == pytest.approx(end.test_accuracy)
    assert model.meta["history"]["epoch"] == []  # no epoch was completed
    # The unfinished epoch's train accuracy counts exactly the 5 batches of 64 trained on.
    correct = end.unfinished_train_accuracy * 5 * 64
    assert 0 <= correct <= 320 and correct == pytest.approx(round(correct), abs=1e-6)


def test_a_stop_before_the_first_step_saves_nothing(tmp_path):
    end = fit(_config(), checkpoint_path=tmp_path / "model.pt", should_stop=lambda: True)
    assert end.status == "stopped" and end.steps == 0 and end.checkpoint is None
    assert end.unfinished_train_accuracy is None  # no batch: nothing to count
    assert "nothing was saved" in end.message
    assert not (tmp_path / "model.pt").exists()


class _NaNAfter(torch.nn.Module):
    """Wraps a model; from the third forward pass in train mode on, its logits are NaN."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0
        self.config, self.input_shape, self.num_classes = model.config, model.input_shape, model.num_classes

    def forward(self, x):
        self.calls += self.training
        logits = self.model(x)
        return logits * float("nan") if self.calls >= 3 else logits


def test_a_nan_loss_ends_the_run_as_diverged_with_a_sentence(tmp_path, monkeypatch):
    real_build = engine.build_model
    monkeypatch.setattr(engine, "build_model", lambda config, info: _NaNAfter(real_build(config, info)))
    events = []
    end = fit(_config(lr=1.0, optimizer="sgd"), checkpoint_path=tmp_path / "model.pt", on_event=events.append)
    assert end.status == "diverged"
    assert end.message == ("The loss became NaN at step 3: the learning rate 1 is too high for this model; "
                           "try 0.1 or lower.")
    assert end.checkpoint is None and not (tmp_path / "model.pt").exists()
    assert events[-1] is end
    bad_step = events[-2]  # the curves end on the bad step, so the plot shows where it broke
    assert isinstance(bad_step, StepEvent) and bad_step.step == 3 and math.isnan(bad_step.loss)


def test_a_far_too_high_learning_rate_is_caught_as_exploding():
    # Without batch norm, plain SGD at lr 1000 throws the weights far off at once.
    end = fit(_config(optimizer="sgd", lr=1000.0, momentum=0.0, batch_norm=False, epochs=1))
    assert end.status == "diverged"
    assert "the learning rate 1000 is too high for this model; try 100 or lower." in end.message
    assert end.message.startswith(("The loss exploded to", "The loss became NaN", "The loss became infinite"))


def test_fit_is_exactly_a_plain_pytorch_loop_under_the_same_seed(tmp_path):
    """Same seed, constant lr, no augmentation: fit's weights equal those of a hand-written loop."""
    from cnnviz.data import load_dataset, to_float
    from cnnviz.models import load_checkpoint

    config = _config(optimizer="sgd", lr=0.05, epochs=2, batch_size=128)
    end = fit(config, checkpoint_path=tmp_path / "model.pt")
    data = load_dataset("digits")
    torch.manual_seed(config.seed)
    model = build_model(config, data.info)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(2):
        model.train()
        for batch in torch.randperm(1437, generator=generator).split(128):  # last batch: 29 images
            loss = torch.nn.functional.cross_entropy(model(to_float(data.train_images[batch])), data.train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    trained = load_checkpoint(end.checkpoint).state_dict()
    for name, value in model.state_dict().items():
        assert torch.allclose(trained[name].float(), value.float(), atol=1e-5), name


def test_augmentation_sees_every_training_batch_and_nothing_else(monkeypatch):
    seen = []
    real = engine.augment_batch

    def recording(x, augment, generator):
        seen.append(x.shape[0])
        return real(x, augment, generator)

    monkeypatch.setattr(engine, "augment_batch", recording)
    end = fit(_config(epochs=1, augment=Augmentation(flip=True, crop_padding=1)))
    assert end.status == "finished"
    assert len(seen) == 23 and sum(seen) == 1437  # the 23 training batches; evaluation not augmented


def test_step_events_are_throttled_to_one_per_event_interval():
    events = []
    fit(_config(epochs=2, event_seconds=1e9), on_event=events.append)
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [e.step for e in steps] == [23, 46]  # only the forced one at the end of each epoch
    assert steps[0].loss > steps[1].loss


@pytest.mark.parametrize("schedule, peak_at, last_below", [("cosine", 0, 1e-4), ("one-cycle", 25, 1e-5)])
def test_schedules_shape_the_learning_rate(schedule, peak_at, last_below):
    config = _config(schedule=schedule, lr=0.1)
    optimizer = engine.make_optimizer(config, torch.nn.Linear(2, 2))
    scheduler = engine.make_schedule(config, optimizer, total_steps=100)
    lrs = []
    for _ in range(100):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert max(lrs) == pytest.approx(0.1, rel=1e-3) and lrs.index(max(lrs)) in (peak_at - 1, peak_at)
    assert lrs[-1] < last_below  # annealed to (almost) nothing by the last step
    assert lrs[50] < lrs[peak_at]
    assert engine.make_schedule(_config(), optimizer, 100) is None  # constant


def test_a_bad_setting_or_a_missing_dataset_fails_with_a_sentence(tmp_path, monkeypatch):
    end = fit(_config(model="lenet5"))
    assert end.status == "failed" and "input_size" in end.message and "Traceback" not in end.message
    end = fit(_config(model="lenet5", dataset="fashion-mnist", dropout=0.5))
    assert end.status == "failed"
    assert end.message.startswith("lenet5 has no dropout setting")
    end = fit(_config(optimizer="rmsprop"))
    assert end.message == "The optimizer must be one of sgd, adam, adamw, not 'rmsprop'."
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    end = fit(_config(dataset="cifar10", model="cifar_cnn"))
    assert end.status == "failed" and "CIFAR-10 is not on this machine" in end.message
    end = fit(_config(device="cuda:7")) if not torch.cuda.is_available() else None
    assert end is None or (end.status == "failed" and "CUDA" in end.message)


def test_adversarial_training_trains_on_attacked_halves_and_resists_the_attack(tmp_path, monkeypatch):
    from cnnviz import adversarial, data
    from cnnviz.models import load_checkpoint

    seen = []
    real = engine._Run._half_adversarial

    def spy(self, x, y):
        mixed = real(self, x, y)
        seen.append((x.clone(), mixed.clone()))
        return mixed

    monkeypatch.setattr(engine._Run, "_half_adversarial", spy)
    config = _config(adversarial="fgsm", adversarial_eps=0.15, epochs=6)
    robust_end = fit(config, checkpoint_path=tmp_path / "robust.pt")
    monkeypatch.undo()
    plain_end = fit(_config(epochs=6), checkpoint_path=tmp_path / "plain.pt")
    assert robust_end.status == plain_end.status == "finished"

    clean, mixed = seen[0]
    half = len(clean) // 2
    assert torch.equal(mixed[:half], clean[:half])
    change = (mixed[half:] - clean[half:]).abs()
    assert change.max() <= 0.15 + 1e-6 and change.max() > 0.1
    assert load_checkpoint(tmp_path / "robust.pt").meta["config"]["adversarial"] == "fgsm"

    digits = data.load_dataset("digits")
    accuracy = {}
    for name in ("robust", "plain"):
        model = load_checkpoint(tmp_path / f"{name}.pt")
        result = adversarial.sweep(model, digits.test_images, digits.test_labels, epsilons=[0.15],
                                   method="fgsm", device="cpu")
        accuracy[name] = float(result.accuracy[0])
    assert accuracy["robust"] > accuracy["plain"] + 0.1, accuracy


def test_adversarial_settings_are_checked():
    with pytest.raises(ValueError, match="Adversarial training must be one of"):
        _config(adversarial="deepfool").check()
    with pytest.raises(ValueError, match=r"^The adversarial epsilon must be a number above 0 and at most 1, not 0\.$"):
        _config(adversarial="pgd", adversarial_eps=0).check()


def test_a_small_training_set_is_a_seeded_subset_and_overfits():
    # 100 digits for many epochs: training accuracy near 100%, test accuracy well below it.
    events = []
    end = fit(_config(epochs=25, train_images=100, batch_size=25, lr=1e-2), on_event=events.append)
    start = next(e for e in events if isinstance(e, StartEvent))
    assert (start.train_size, start.steps_per_epoch) == (100, 4)
    last = [e for e in events if isinstance(e, EpochEvent)][-1]
    assert last.train_accuracy > 0.97 and last.train_accuracy - last.test_accuracy > 0.05
    assert end.status == "finished"
    with pytest.raises(TrainConfigError, match="training images"):
        _config(train_images=0).check()
    assert _config(train_images=10**6).check().train_images == 10**6  # more than there are: all of them
