"""The training loop: fit() a registry model on a whole in-memory dataset, and evaluate() it.

Speed comes from doing little per step, the airbench / torchvision train.py way:

- the dataset lives on the device as one uint8 tensor; a batch is ``images[perm[i:i + B]]``,
  converted to float there (no Dataset, no DataLoader, no PIL, no worker processes);
- augmentation is one batched tensor op per batch (cnnviz.train.augment), training split only;
- on CUDA the forward pass runs under bf16 autocast; on CUDA and the CPU tensors are
  channels_last, the layout cuDNN's and oneDNN's fastest convolutions want;
- the loss is read back to the host only when an event is due (every ``event_seconds``), so
  the GPU never waits for Python, and the divergence check still names the exact step.

The loop's pieces live beside it: build (model, optimizer, schedule), device_batches,
evaluation, divergence, failures (the closing sentence) and first_layer (kernel snapshots);
this module re-exports their public names, so cnnviz.train.engine.X still reaches them.

Example:
    >>> from cnnviz.train import TrainConfig, fit
    >>> end = fit(TrainConfig(dataset="digits", model="small_cnn", epochs=3,
    ...                       model_options={"channels": [16, 32]}), checkpoint_path="m.pt")
    >>> end.status, round(end.test_accuracy, 2)
    ('finished', 0.97)
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import torch
from torch import nn

# _Run looks these up here, so a test can replace them on this module (monkeypatch.setattr).
from cnnviz.train.augment import augment_batch
from cnnviz.train.build import build_model, make_optimizer, make_schedule
from cnnviz.train.config import TrainConfig, TrainConfigError
from cnnviz.train.device_batches import (
    CHANNELS_LAST_DEVICES,
    _autocast,
    _batches,
    _device_layout,
    _steps_per_epoch,
)
from cnnviz.train.divergence import EXPLODED_FACTOR, Diverged, _LossMeter
from cnnviz.train.evaluation import Evaluation, evaluate
from cnnviz.train.events import EndEvent, EpochEvent, Event, StartEvent, StepEvent
from cnnviz.train.failures import _EXPECTED_FAILURES, _failure_sentence, _sentence
from cnnviz.train.first_layer import KERNEL_DECIMALS, first_conv, kernel_snapshot
from cnnviz.train.live_probe import LiveSnapshot, live_probe, live_snapshot

__all__ = [
    "CHANNELS_LAST_DEVICES", "EXPLODED_FACTOR", "KERNEL_DECIMALS", "Diverged", "Evaluation",
    "build_model", "evaluate", "first_conv", "fit", "kernel_snapshot", "make_optimizer", "make_schedule",
]

log = logging.getLogger(__name__)


def fit(
    config: TrainConfig,
    *,
    checkpoint_path: str | Path | None = None,
    on_event: Callable[[Event], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> EndEvent:
    """Train ``config.model`` on ``config.dataset`` and save it; never raises for a failed run.

    Args:
        config: what and how to train.
        checkpoint_path: where to save the model (atomically) when the run finishes or is
            stopped after at least one step; None saves nothing.
        on_event: called with each StartEvent, StepEvent, EpochEvent and the EndEvent, in order,
            from the calling thread.
        should_stop: polled before every step; once it returns True the run ends within one
            batch, is evaluated on the test set and saved (status "stopped"). It may block (a
            paused run): the time it takes is left out of the run's elapsed time and speed.

    Returns:
        The EndEvent (also passed to on_event). Status "diverged" when the loss became NaN or
        infinite (no checkpoint: the weights are garbage), "failed" with a sentence for any
        other error, e.g. an unavailable dataset.
    """
    emit = on_event or (lambda event: None)
    should_stop = should_stop or (lambda: False)
    run = _Run(config, checkpoint_path, emit, should_stop)
    try:
        end = run.train()
    except Diverged as error:
        end = run.end("diverged", str(error), evaluate_model=False)
    except Exception as error:  # a boundary: whatever went wrong, the run ends with a sentence
        if not isinstance(error, _EXPECTED_FAILURES()):
            log.exception("training run failed")  # the server log keeps the traceback for bugs
        end = run.end("failed", _failure_sentence(error), evaluate_model=False)
    emit(end)
    return end


class _Run:
    """The state of one fit() call, so that train() and end() share it."""

    def __init__(self, config, checkpoint_path, emit, should_stop) -> None:
        self.config = config
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None
        self.emit = emit
        self.should_stop = should_stop
        self.model: nn.Module | None = None
        self.data = None
        self.device: torch.device | None = None
        self.step = 0
        self.steps_per_epoch = 1
        self.train_seconds = 0.0
        self.trained_images = 0
        self.start_time = time.perf_counter()
        self.history: dict[str, list[float]] = {key: [] for key in (
            "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds", "lr")}
        self.kernel_snapshots: list = []
        self.initial_kernels: list = []
        self.device_text = ""
        self.transfer = None  # a TransferReport when the run starts from another network's features

    # -- setup ------------------------------------------------------------------------------

    def setup(self) -> None:
        from cnnviz.data import load_dataset
        from cnnviz.devices import describe_device, pick_device

        config = self.config.check()
        try:
            self.device = pick_device(config.device)
        except ValueError as error:
            raise TrainConfigError(_sentence(error)) from error
        self.device_text = describe_device(self.device)
        dataset = load_dataset(config.dataset)
        self.info = dataset.info
        torch.manual_seed(config.seed)  # the weights' initialisation and dropout masks
        self.transfer = None
        if config.transfer_from is not None:  # the features from a checkpoint, frozen when asked
            from cnnviz.train.transfer import build_transfer_model

            model, self.transfer = build_transfer_model(config, dataset.info)
        else:
            model = build_model(config, dataset.info)
        model = model.to(self.device)
        if self.device.type in CHANNELS_LAST_DEVICES:
            model = model.to(memory_format=torch.channels_last)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
        self.model = model
        train_x, train_y = dataset.train_images, dataset.train_labels
        if config.train_images is not None and config.train_images < len(train_y):
            # A seeded random subset (its own generator: the weights' seed stays as it was).
            chosen = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(config.seed))
            chosen = chosen[:config.train_images].sort().values
            train_x, train_y = train_x[chosen], train_y[chosen]
        self.train_x = train_x.to(self.device)
        self.train_y = train_y.to(self.device)
        self.test_x = dataset.test_images.to(self.device)
        self.test_y = dataset.test_labels.to(self.device)
        self.num_classes = len(dataset.classes)
        self.classes = list(dataset.classes)
        # One generator for batch order and augmentation: the same seed gives the same run.
        self.generator = torch.Generator(device=self.device).manual_seed(config.seed)
        self.steps_per_epoch = _steps_per_epoch(len(self.train_x), config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.optimizer = make_optimizer(config, model)
        self.scheduler = make_schedule(config, self.optimizer, self.total_steps)
        self.initial_kernels = kernel_snapshot(model)
        # A few test images watched as the model learns (the live view): their pictures once, here.
        self.probe = live_probe(dataset.test_images, dataset.test_labels) if len(dataset.test_labels) else None
        self.probe_images = self.test_x[list(self.probe.indices)] if self.probe else None  # (N, C, H, W)
        from cnnviz.models import count_parameters

        self.emit(StartEvent(
            device=self.device_text, total_steps=self.total_steps, steps_per_epoch=self.steps_per_epoch,
            train_size=len(self.train_x), test_size=len(self.test_x),
            num_parameters=count_parameters(model), classes=tuple(self.classes),
            kernels=self.initial_kernels, lr=config.lr, probe=self.probe, live=self._live(),
            frozen_parameters=count_parameters(model, trainable_only=False) - count_parameters(model),
        ))

    def _live(self) -> LiveSnapshot | None:
        """What the model makes of the probe images now (a forward pass of six images)."""
        return live_snapshot(self.model, self.probe_images) if self.probe_images is not None else None

    def _half_adversarial(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The batch with its second half replaced by attacked copies (adversarial training)."""
        from cnnviz.adversarial import adversarial_examples_batch

        half = len(x) // 2
        # The random start of PGD draws from the run's generator only where it lives on the CPU.
        generator = self.generator if self.generator.device.type == "cpu" else None
        attacked = adversarial_examples_batch(
            self.model, x[half:], y[half:], self.config.adversarial, self.config.adversarial_eps,
            generator=generator,
        )
        return torch.cat([x[:half], attacked])  # (B, C, H, W)

    # -- the loop ---------------------------------------------------------------------------

    def train(self) -> EndEvent:
        self.setup()
        config, model, device = self.config, self.model, self.device
        criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        meter = _LossMeter(self.num_classes)
        augment = config.augment if config.augment.active else None
        for epoch in range(1, config.epochs + 1):
            epoch_start = time.perf_counter()
            model.train()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), dtype=torch.int64, device=device)
            seen = 0
            last_event, images_since_event = time.perf_counter(), 0
            batches = _batches(len(self.train_x), config.batch_size, self.generator, device)
            for index, batch in enumerate(batches):
                asked = time.perf_counter()
                stop = self.should_stop()  # blocks while the run is paused (cnnviz.runs.pacing)
                paused = time.perf_counter() - asked
                # A pause is not training time: the clocks of the run, this epoch and its speed skip it.
                self.start_time, epoch_start, last_event = (t + paused for t in (self.start_time, epoch_start, last_event))
                if stop:
                    self._count_train_time(epoch_start, meter)
                    return self.end("stopped", self._stop_message(epoch), evaluate_model=True,
                                    unfinished_train_accuracy=correct.item() / seen if seen else None)
                lr = self.optimizer.param_groups[0]["lr"]
                x = self.train_x[batch].float().div_(255)  # (B, C, H, W) in [0, 1]
                y = self.train_y[batch]
                if augment is not None:
                    x = augment_batch(x, augment, self.generator)
                if config.adversarial != "none":
                    x = self._half_adversarial(x, y)
                x = _device_layout(x, device)  # after augmenting, which returns standard layout
                with _autocast(device):
                    logits = model(x)
                    loss = criterion(logits.float(), y)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                if self.scheduler is not None:
                    self.scheduler.step()
                self.step += 1
                seen += len(batch)
                images_since_event += len(batch)
                meter.add(loss)
                loss_sum += loss.detach() * len(batch)
                correct += (logits.detach().argmax(1) == y).sum()
                now = time.perf_counter()
                if now - last_event >= config.event_seconds or index == len(batches) - 1:
                    try:
                        mean_loss = meter.flush(lr)  # waits for the device: the timing below is real
                    except Diverged as error:
                        # Show the bad step on the curves too, then end the run.
                        self.emit(StepEvent(step=error.step, epoch=epoch, progress=error.step / self.total_steps,
                                            loss=error.value, lr=lr, images_per_second=0.0,
                                            elapsed=time.perf_counter() - self.start_time))
                        raise
                    now = time.perf_counter()
                    self.emit(StepEvent(
                        step=self.step, epoch=epoch, progress=self.step / self.total_steps,
                        loss=mean_loss, lr=lr, images_per_second=images_since_event / max(now - last_event, 1e-9),
                        elapsed=now - self.start_time,
                    ))
                    last_event, images_since_event = now, 0
            self.trained_images += seen
            self.train_seconds += time.perf_counter() - epoch_start
            result = evaluate(model, self.test_x, self.test_y, num_classes=self.num_classes,
                              batch_size=self._eval_batch_size())
            kernels = kernel_snapshot(model)
            self.kernel_snapshots.append(kernels)
            event = EpochEvent(
                epoch=epoch, train_loss=loss_sum.item() / seen, train_accuracy=correct.item() / seen,
                test_loss=result.loss, test_accuracy=result.accuracy,
                seconds=time.perf_counter() - epoch_start, confusion=result.confusion.tolist(), kernels=kernels,
                live=self._live(),
            )
            for key, value in (("epoch", epoch), ("train_loss", event.train_loss),
                               ("train_accuracy", event.train_accuracy), ("test_loss", event.test_loss),
                               ("test_accuracy", event.test_accuracy), ("seconds", event.seconds),
                               ("lr", self.optimizer.param_groups[0]["lr"])):
                self.history[key].append(value)
            self.last_evaluation = result
            self.emit(event)
        return self.end("finished", "", evaluate_model=False)

    def _count_train_time(self, epoch_start: float, meter: _LossMeter) -> None:
        """Account for a partial epoch (a stop) and check its losses before saving it."""
        meter.flush(self.optimizer.param_groups[0]["lr"])
        steps_done = self.step - self.steps_per_epoch * (len(self.history["epoch"]))
        self.trained_images += min(steps_done * self.config.batch_size, len(self.train_x))
        self.train_seconds += time.perf_counter() - epoch_start

    def _eval_batch_size(self) -> int:
        return min(1024, max(256, 2 * self.config.batch_size))

    def _stop_message(self, epoch: int) -> str:
        return (f"Stopped at step {self.step} of {self.total_steps} (epoch {epoch} of "
                f"{self.config.epochs}); the model trained so far was kept.")

    # -- the end ----------------------------------------------------------------------------

    def end(self, status: str, message: str, *, evaluate_model: bool,
            unfinished_train_accuracy: float | None = None) -> EndEvent:
        """Evaluate (when asked), save (when there is something worth saving), build the EndEvent."""
        seconds = time.perf_counter() - self.start_time
        epochs_done = self.step / self.steps_per_epoch if self.steps_per_epoch else 0.0
        speed = self.trained_images / self.train_seconds if self.train_seconds > 0 else 0.0
        result = getattr(self, "last_evaluation", None)
        if evaluate_model and self.model is not None and self.step > 0:
            result = evaluate(self.model, self.test_x, self.test_y, num_classes=self.num_classes,
                              batch_size=self._eval_batch_size())
        checkpoint = None
        saveable = status in ("finished", "stopped") and self.model is not None and self.step > 0
        if saveable and self.checkpoint_path is not None:
            checkpoint = str(self._save(result, status, epochs_done, seconds, speed))
        if status == "stopped" and self.step == 0:
            message = "Stopped before the first step; nothing was trained, so nothing was saved."
        if status == "finished":
            message = (f"Finished {self.config.epochs} epoch(s) in {seconds:.0f} s: "
                       f"test accuracy {result.accuracy:.1%}.")
        return EndEvent(
            status=status, message=message,
            test_accuracy=result.accuracy if result is not None else None,
            test_loss=result.loss if result is not None else None,
            epochs=round(epochs_done, 3), steps=self.step, seconds=seconds,
            images_per_second=speed, checkpoint=checkpoint, unfinished_train_accuracy=unfinished_train_accuracy,
        )

    def _save(self, result: Evaluation | None, status, epochs_done, seconds, speed) -> Path:
        from cnnviz.models import save_checkpoint

        model = self.model.to("cpu", memory_format=torch.contiguous_format)
        meta = {
            "dataset": self.config.dataset,
            "test_accuracy": result.accuracy if result is not None else None,
            "test_loss": result.loss if result is not None else None,
            "confusion": result.confusion.tolist() if result is not None else None,
            "epochs": round(epochs_done, 3),
            "steps": self.step,
            "seconds": round(seconds, 2),
            "images_per_second": round(speed, 1),
            "device": self.device_text,
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "status": status,
            "config": self.config.to_dict(),
            "history": self.history,
            "initial_kernels": self.initial_kernels,
            "kernel_snapshots": self.kernel_snapshots,
        }
        if self.transfer is not None:  # the model card says "features from lenet5-fashion-mnist"
            meta["transfer"] = self.transfer.meta()
        return Path(save_checkpoint(self.checkpoint_path, model, classes=self.classes, meta=meta))
