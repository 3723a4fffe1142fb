"""Transfer learning (issue 15, part 8): the upsampled digits, a run that starts from a shipped
Fashion-MNIST network's frozen features, the comparison against training from scratch with the
same budget, and the lesson's table and sentence.

Real runs here are tiny (LeNet-5 on 100 digits, one thread): a few seconds each.
"""

from __future__ import annotations

import pytest
import torch

from cnnviz.train import EndEvent, EpochEvent, StartEvent, StepEvent, TrainConfig, TrainConfigError, fit
from cnnviz.train import transfer

LENET = "lenet5-fashion-mnist"
SMALL = "small-cnn-fashion-mnist"


def lenet_transfer(**changes) -> TrainConfig:
    values = dict(dataset="digits-28", model="lenet5", transfer_from=LENET, freeze="features", optimizer="adam",
                  lr=0.01, batch_size=16, epochs=1, train_images=100, device="cpu", seed=0)
    return TrainConfig(**{**values, **changes})


# ---------------------------------------------------------------------------------------------
# The data


def test_digits_28_are_the_digits_split_resized_bilinearly():
    from cnnviz.data import dataset_info, load_dataset

    small, large = load_dataset("digits"), load_dataset("digits-28")
    assert tuple(large.train_images.shape) == (1437, 1, 28, 28) and tuple(large.test_images.shape) == (360, 1, 28, 28)
    assert large.train_images.dtype == torch.uint8
    assert torch.equal(large.train_labels, small.train_labels) and torch.equal(large.test_labels, small.test_labels)
    assert large.classes == small.classes
    for ours, theirs in ((large.train_images, small.train_images), (large.test_images, small.test_images)):
        resized = torch.nn.functional.interpolate(theirs.float(), size=(28, 28), mode="bilinear", align_corners=False)
        assert torch.equal(ours, resized.round().to(torch.uint8))
        exact = torch.nn.functional.interpolate(theirs.double(), size=(28, 28), mode="bilinear", align_corners=False)
        assert (ours.double() - exact).abs().max() <= 0.5 + 1e-4  # float32 rounding: at most a tie either way
    info = dataset_info("digits-28")
    pixels = large.train_images.double() / 255
    assert (info.mean[0], info.std[0]) == (round(pixels.mean().item(), 4), round(pixels.std().item(), 4))
    assert info.white_on_black and (info.channels, info.height, info.width) == (1, 28, 28)


# ---------------------------------------------------------------------------------------------
# The config and the engine


@pytest.mark.parametrize("changes, words", [
    (dict(dataset="digits"), "takes 1x28x28 images but this dataset's are 1x8x8"),
    (dict(model="small_cnn"), "is a lenet5, not a small_cnn"),
    (dict(model="small_cnn", transfer_from=SMALL, model_options={"channels": [16, 64, 128]}),
     "features.conv1_1.weight is 32x1x3x3 there and 16x1x3x3 here"),
    (dict(transfer_from="/etc/hostname"), "could not be opened"),
    (dict(transfer_from=None), "needs a trained network"),
    (dict(freeze="everything"), "must be one of none, features"),
])
def test_a_source_that_does_not_fit_is_refused_with_one_sentence(changes, words):
    from cnnviz.data import dataset_info

    config = lenet_transfer(**changes)
    with pytest.raises(TrainConfigError) as refused:
        transfer.build_transfer_model(config.check(), dataset_info(config.dataset))
    message = str(refused.value)
    assert words in message and message.endswith(".") and "\n" not in message


def test_a_transfer_run_keeps_the_features_bit_identical_and_trains_a_new_head(tmp_path, one_torch_thread):
    from cnnviz.data import dataset_info
    from cnnviz.models import load_checkpoint

    config = lenet_transfer(epochs=2)
    source = load_checkpoint(transfer.source_path(LENET))
    torch.manual_seed(config.seed)
    start, report = transfer.build_transfer_model(config, dataset_info("digits-28"))
    end = fit(config, checkpoint_path=tmp_path / "m.pt")
    assert end.status == "finished", end.message
    trained = load_checkpoint(tmp_path / "m.pt")
    features = {k: v for k, v in trained.state_dict().items() if k.startswith("features.")}
    assert features and all(torch.equal(v, source.state_dict()[k]) for k, v in features.items())
    head = {k: v for k, v in trained.state_dict().items() if k.startswith("classifier.")}
    assert head and all(not torch.equal(v, start.state_dict()[k]) for k, v in head.items())
    # The head is fresh: not the source's (its classes are clothes).
    assert not torch.equal(start.classifier.output.weight, source.classifier.output.weight)
    assert trained.meta["transfer"] == {"from": LENET, "freeze": "features", "copied_tensors": 6,
                                        "frozen_parameters": report.frozen_parameters,
                                        "trainable_parameters": report.trainable_parameters}
    assert report.frozen_parameters == sum(v.numel() for v in features.values()) == 50_692
    from cnnviz.catalog import describe_checkpoint

    assert "features from lenet5-fashion-mnist" in describe_checkpoint(tmp_path / "m.pt", "trained here").label


def test_frozen_batch_norm_and_dropout_stay_in_eval_mode_while_the_head_trains(monkeypatch, one_torch_thread):
    from cnnviz.data import dataset_info

    # small_cnn: batch norm in its features, dropout in its head.
    seen = []
    real = transfer.build_transfer_model

    def watched(config, info):
        model, report = real(config, info)
        for name, module in model.named_modules():
            if isinstance(module, (torch.nn.BatchNorm2d, torch.nn.Dropout)):
                module.register_forward_pre_hook(lambda m, args, name=name: seen.append((name, m.training)))
        return model, report

    monkeypatch.setattr(transfer, "build_transfer_model", watched)
    config = lenet_transfer(model="small_cnn", transfer_from=SMALL, train_images=32, batch_size=16)
    source = transfer.load_source(SMALL)
    end = fit(config)
    assert end.status == "finished", end.message
    during = {name: mode for name, mode in seen if mode}  # any module that ever ran in training mode
    assert {name for name, _ in seen if name.startswith("features.bn")}  # the hook saw batch norm run
    assert not [name for name in during if name.startswith("features.")]
    assert "classifier.dropout" in during  # the head trains as usual, dropout on
    # The running statistics are the checkpoint's: not updated by the digits.
    model, _ = real(config, dataset_info("digits-28"))
    model.train()
    assert not model.features.training and not any(m.training for m in model.features.modules())
    assert model.classifier.training
    model(torch.rand(4, 1, 28, 28))
    for key, value in source.state_dict().items():
        if key.startswith("features.") and "running" in key:
            assert torch.equal(model.state_dict()[key], value), key


def test_with_few_images_frozen_features_beat_scratch_on_the_same_budget(one_torch_thread):
    from cnnviz.lessons.transfer import TransferSettings

    config = TransferSettings(LENET, train_images=100, epochs=5).config()
    scratch = transfer.scratch_twin(config)
    assert (scratch.transfer_from, scratch.freeze) == (None, "none")
    budget = ("model", "epochs", "batch_size", "lr", "optimizer", "train_images", "seed", "dataset")
    assert all(getattr(scratch, key) == getattr(config, key) for key in budget)
    reused, fresh = fit(config), fit(scratch)
    assert reused.status == fresh.status == "finished"
    assert reused.test_accuracy > fresh.test_accuracy + 0.03, (reused.test_accuracy, fresh.test_accuracy)


# ---------------------------------------------------------------------------------------------
# The manager


def test_the_comparison_has_two_members_with_the_same_budget_and_names_only_shipped_sources():
    from cnnviz.lessons.transfer import TransferSettings
    from cnnviz.runs import RunManager, RunRefused

    manager = RunManager(max_runs=1)
    try:
        with pytest.raises(RunRefused, match="shipped networks"):
            manager.submit_transfer_comparison(lenet_transfer(transfer_from="pretrained/lenet5-fashion-mnist.pt"),
                                               owner="tab")
        with pytest.raises(RunRefused, match="shipped networks"):  # nor may a single run name a file
            manager.submit(lenet_transfer(transfer_from="/etc/hostname"), owner="tab")
        run_id = manager.submit_transfer_comparison(TransferSettings(LENET, 50, 1).config(), owner="tab")
        status = manager.status(run_id)
        assert status.kind == "transfer-comparison"
        assert [m.label for m in status.members] == ["Frozen features from lenet5-fashion-mnist + a new head",
                                                     "From scratch"]
        assert [m.config.freeze for m in status.members] == ["features", "none"]
    finally:
        manager.close()


# ---------------------------------------------------------------------------------------------
# The lesson


START = StartEvent(device="CPU", total_steps=35, steps_per_epoch=7, train_size=100, test_size=360,
                   num_parameters=11_014, classes=tuple("0123456789"), kernels=[], lr=0.01, frozen_parameters=50_692)
SCRATCH_START = StartEvent(device="CPU", total_steps=35, steps_per_epoch=7, train_size=100, test_size=360,
                           num_parameters=61_706, classes=tuple("0123456789"), kernels=[], lr=0.01)
STEP = StepEvent(step=7, epoch=1, progress=0.2, loss=2.0, lr=0.01, images_per_second=100.0, elapsed=1.0)


def _epoch(accuracy):
    return EpochEvent(epoch=1, train_loss=1.0, train_accuracy=0.5, test_loss=0.75, test_accuracy=accuracy, seconds=1.0,
                      confusion=[], kernels=[])


def _status(frozen_accuracy, scratch_accuracy, state="finished"):
    from cnnviz.lessons.transfer import TransferSettings
    from cnnviz.runs import RunMember, RunStatus

    config = TransferSettings(LENET, 100, 5).config()
    members = []
    for label, start, accuracy, member_config in (
            ("Frozen features from lenet5-fashion-mnist + a new head", START, frozen_accuracy, config),
            ("From scratch", SCRATCH_START, scratch_accuracy, transfer.scratch_twin(config))):
        events = [start, STEP, _epoch(accuracy)]
        if accuracy is not None:
            events.append(EndEvent("finished", "Finished.", test_accuracy=accuracy, epochs=5, steps=35, seconds=2.0))
        members.append(RunMember(label, member_config, tuple(events)))
    return RunStatus(run_id="t-1", kind="transfer-comparison", owner="tab", client="tab", state=state,
                     queue_position=None, message="", members=tuple(members), submitted_at=0.0, started_at=None,
                     ended_at=None, checkpoint=None, pace="running")


def test_the_lesson_states_the_result_in_its_numbers_and_a_row_per_member():
    from cnnviz.lessons import transfer as lesson

    view = lesson.transfer_view(_status(0.8125, 0.6875))
    assert view.sentence.startswith("With 100 training images and 5 epochs, frozen features reach **81.2%** against "
                                    "**68.8%** from scratch")
    assert "only the head (11,014 parameters)" in view.sentence
    assert [row["Network"] for row in view.rows] == ["Frozen features + new head", "From scratch"]
    assert [(r["Trainable parameters"], r["Frozen parameters"], r["Test accuracy"]) for r in view.rows] == [
        ("11,014", "50,692", "81.2%"), ("61,706", "0", "68.8%")]
    assert [label for label, _, _ in view.lines] == [row["Network"] for row in view.rows]


def test_the_lesson_says_so_when_scratch_wins_and_nothing_before_both_finished():
    from cnnviz.lessons import transfer as lesson

    sentence = lesson.transfer_view(_status(0.5, 0.9375)).sentence
    assert sentence.startswith("With 100 training images and 5 epochs, training from scratch reaches **93.8%** "
                               "against **50.0%** for frozen features")
    assert lesson.transfer_view(_status(0.5, None, state="running")).sentence is None
    assert lesson.transfer_view(None).notice == lesson.IDLE


def test_the_form_settings_build_the_frozen_member():
    from cnnviz.lessons import transfer as lesson

    config = lesson.TransferSettings().config()
    assert (config.dataset, config.model, config.transfer_from, config.freeze) == (
        "digits-28", "lenet5", LENET, "features")
    assert (config.train_images, config.epochs, config.batch_size, config.lr) == (100, 5, 16, 0.01)
    assert lesson.TransferSettings(SMALL, lesson.ALL_DIGITS).config().model == "small_cnn"
    assert lesson.TransferSettings(SMALL, lesson.ALL_DIGITS).config().train_images is None
    assert [lesson.images_label(n) for n in lesson.TRAIN_IMAGE_COUNTS] == ["50", "100", "300", "all 1,437"]
