"""The training loop: fit() a registry model on a whole in-memory dataset, and evaluate() it.

Speed comes from doing little per step, the airbench / torchvision train.py way:

- the dataset lives on the device as one uint8 tensor; a batch is ``images[perm[i:i + B]]``,
  converted to float there (no Dataset, no DataLoader, no PIL, no worker processes);
- augmentation is one batched tensor op per batch (cnnviz.train.augment), training split only;
- on CUDA the forward pass runs under bf16 autocast; on CUDA and the CPU tensors are
  channels_last, the layout cuDNN's and oneDNN's fastest convolutions want;
- the loss is read back to the host only when an event is due (every ``event_seconds``), so
  the GPU never waits for Python, and the divergence check still names the exact step.

Example:
    >>> from cnnviz.train import TrainConfig, fit
    >>> end = fit(TrainConfig(dataset="digits", model="small_cnn", epochs=3,
    ...                       model_options={"channels": [16, 32]}), checkpoint_path="m.pt")
    >>> end.status, round(end.test_accuracy, 2)
    ('finished', 0.97)
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.train.augment import augment_batch
from cnnviz.train.config import TrainConfig, TrainConfigError
from cnnviz.train.events import EndEvent, EpochEvent, Event, StartEvent, StepEvent

log = logging.getLogger(__name__)

KERNEL_DECIMALS = 4  # snapshots are for pictures; 4 decimals keep the checkpoint's meta small


class Diverged(Exception):
    """The loss became NaN, infinite or exploded; the message says at which step and what to try.

    Attributes:
        step: the first bad step (1-based); value: its loss.
    """

    def __init__(self, message: str, step: int, value: float) -> None:
        super().__init__(message)
        self.step, self.value = step, value


@dataclass(frozen=True)
class Evaluation:
    """Test-set results.

    Attributes:
        loss: mean cross-entropy (without label smoothing).
        accuracy: fraction correct, in [0, 1].
        confusion: (K, K) int64 tensor on the CPU; confusion[actual, predicted] counts images.
    """

    loss: float
    accuracy: float
    confusion: torch.Tensor


# ---------------------------------------------------------------------------------------------
# Building the pieces


def build_model(config: TrainConfig, info) -> nn.Module:
    """The registry model for ``config``, sized for the dataset described by ``info``.

    The image shape, class count and normalisation come from the dataset wherever the model
    has such a setting; ``config.model_options`` come next; dropout and batch norm overrides
    are refused with a sentence for a model that has no such setting.

    Raises:
        TrainConfigError: unknown model, a setting the model does not have, or a model whose
            input shape does not fit the dataset's images.
    """
    from cnnviz.models import get_model, model_spec

    try:
        settings = set(model_spec(config.model).default_config)
    except ValueError as error:
        raise TrainConfigError(_sentence(error)) from error
    from_dataset = {
        "in_channels": info.channels,
        "num_classes": len(info.classes),
        "input_size": info.height,
        "mean": list(info.mean),
        "std": list(info.std),
    }
    options = {key: value for key, value in from_dataset.items() if key in settings}
    options.update(config.model_options)
    for key, value in (("dropout", config.dropout), ("batch_norm", config.batch_norm)):
        if value is None:
            continue
        if key not in settings:
            raise TrainConfigError(
                f"{config.model} has no {key.replace('_', ' ')} setting; leave it at the model's "
                f"default or pick a model that has one, such as small_cnn."
            )
        options[key] = float(value) if key == "dropout" else value
    try:
        model = get_model(config.model, **options)
    except (TypeError, ValueError) as error:
        raise TrainConfigError(_sentence(error)) from error
    wanted = (info.channels, info.height, info.width)
    if tuple(model.input_shape) != wanted:
        shape = "x".join(str(v) for v in model.input_shape)
        raise TrainConfigError(
            f"{config.model} takes {shape} images (channels x height x width), but {info.title} "
            f"images are {'x'.join(str(v) for v in wanted)}; pick another model or dataset."
        )
    return model


def make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


def make_schedule(config: TrainConfig, optimizer: torch.optim.Optimizer, total_steps: int):
    """A per-step learning-rate scheduler, or None for a constant learning rate."""
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if config.schedule == "one-cycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=total_steps, pct_start=0.25,
            cycle_momentum=config.optimizer == "sgd",
        )
    return None


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    """The model's first Conv2d (in registration order), whose kernels are worth looking at."""
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def kernel_snapshot(model: nn.Module) -> list:
    """The first conv layer's weights as nested lists (C_out, C_in, F, F), or [] without one."""
    conv = first_conv(model)
    if conv is None:
        return []
    return torch.round(conv.weight.detach().float().cpu(), decimals=KERNEL_DECIMALS).tolist()


def _autocast(device: torch.device):
    # bf16 keeps fp32's exponent range, so no loss scaling is needed (unlike fp16).
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


CHANNELS_LAST_DEVICES = ("cuda", "cpu")


def _device_layout(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """channels_last (N, H, W, C in memory) where the fastest convolutions want it: cuDNN on
    CUDA, oneDNN on the CPU (measured: 1.1-1.5x faster training of the small Fashion-MNIST CNNs
    on two cores; benchmarks/bench_train.py prints both layouts)."""
    if device.type in CHANNELS_LAST_DEVICES:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def _to_float_batch(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 in [0, 1], in the device's preferred memory layout."""
    return _device_layout(images.float().div_(255), device)


# ---------------------------------------------------------------------------------------------
# Evaluation


def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int,
    batch_size: int = 1024,
) -> Evaluation:
    """Loss, accuracy and confusion matrix of ``model`` on a whole split, in eval mode.

    Args:
        model: a classifier taking floats in [0, 1]; put in eval mode here (the caller puts it
            back in train mode if it trains on).
        images: uint8 (N, C, H, W) on the model's device.
        labels: int64 (N,) on the same device, values in [0, num_classes).
        num_classes: K, the confusion matrix's size.
        batch_size: images per forward pass.

    Returns:
        Evaluation with loss (mean cross-entropy), accuracy in [0, 1] and a (K, K) confusion matrix.
    """
    device = images.device
    model.eval()
    loss_sum = torch.zeros((), device=device)
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
    with torch.inference_mode(), _autocast(device):
        for start in range(0, len(images), batch_size):
            x = _to_float_batch(images[start:start + batch_size], device)
            y = labels[start:start + batch_size]
            logits = model(x).float()
            loss_sum += F.cross_entropy(logits, y, reduction="sum")
            # Row = actual, column = predicted: index y * K + p, counted in one bincount.
            confusion += torch.bincount(y * num_classes + logits.argmax(1), minlength=num_classes ** 2)
    confusion = confusion.view(num_classes, num_classes).cpu()  # (K, K)
    n = max(len(images), 1)
    return Evaluation(loss_sum.item() / n, confusion.diagonal().sum().item() / n, confusion)


# ---------------------------------------------------------------------------------------------
# Training


EXPLODED_FACTOR = 10  # a batch loss this many times ln(K) (random guessing) means the run blew up


def _divergence_message(what: str, step: int, lr: float, note: str = "") -> str:
    return (
        f"The loss {what} at step {step}{note}: the learning rate {lr:g} is too high for this "
        f"model; try {lr / 10:g} or lower."
    )


class _LossMeter:
    """Keeps the per-step losses on the device and reads them back in one go when asked.

    Reading a loss with .item() makes the CPU wait for the GPU; doing it once per event
    instead of once per step keeps the GPU busy. On the CPU it costs the same either way.

    A run has diverged when a batch loss is NaN or infinite, or when it explodes above
    EXPLODED_FACTOR x ln(K): a network guessing at random scores ln(K) (2.30 for 10 classes), so
    such a loss means the weights were thrown far off, as a too-large learning rate does even
    when ReLUs then die and the loss settles back at ln(K) instead of becoming NaN.
    """

    def __init__(self, num_classes: int) -> None:
        self.pending: list[torch.Tensor] = []
        self.first_step = 1
        self.chance_loss = math.log(max(num_classes, 2))
        self.limit = EXPLODED_FACTOR * self.chance_loss

    def add(self, loss: torch.Tensor) -> None:
        self.pending.append(loss.detach())

    def flush(self, lr: float) -> float | None:
        """Mean of the pending losses (None if none); raises Diverged at the first bad one."""
        if not self.pending:
            return None
        values = torch.stack(self.pending).float().tolist()
        for offset, value in enumerate(values):
            step = self.first_step + offset
            if math.isnan(value):
                raise Diverged(_divergence_message("became NaN", step, lr), step, value)
            if math.isinf(value):
                raise Diverged(_divergence_message("became infinite", step, lr), step, value)
            if value > self.limit:
                raise Diverged(_divergence_message(
                    f"exploded to {value:.3g}", step, lr,
                    f" (a network guessing at random scores {self.chance_loss:.2f})"), step, value)
        self.first_step += len(values)
        self.pending = []
        return sum(values) / len(values)


def _batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device) -> list[torch.Tensor]:
    """A fresh random order of 0..n-1 cut into batches; a last batch of one image is dropped
    (batch norm cannot compute a variance from one value)."""
    perm = torch.randperm(n, device=device, generator=generator)
    batches = list(perm.split(batch_size))
    if len(batches) > 1 and len(batches[-1]) < 2:
        batches.pop()
    return batches


def _steps_per_epoch(n: int, batch_size: int) -> int:
    steps = math.ceil(n / batch_size)
    return steps - 1 if steps > 1 and n % batch_size == 1 else steps


def _sentence(error: BaseException) -> str:
    """A one-line sentence from an exception's message."""
    text = str(error).strip().strip("'\"").splitlines()
    line = text[0].strip() if text else type(error).__name__
    return line if line.endswith(".") else line + "."


def _EXPECTED_FAILURES() -> tuple[type[BaseException], ...]:
    """Errors that already carry a sentence for the student (no traceback needed)."""
    from cnnviz.data import DatasetUnavailable

    return (TrainConfigError, DatasetUnavailable)


def _failure_sentence(error: BaseException) -> str:
    from cnnviz.data import DatasetUnavailable

    if isinstance(error, (TrainConfigError, DatasetUnavailable)):
        return _sentence(error)
    if isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower() \
            or "can't allocate memory" in str(error).lower():
        return "The machine ran out of memory; try a smaller batch size or a smaller model."
    return f"Training failed ({type(error).__name__}): {_sentence(error)}"


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
            batch, is evaluated on the test set and saved (status "stopped").

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
        model = build_model(config, dataset.info).to(self.device)
        if self.device.type in CHANNELS_LAST_DEVICES:
            model = model.to(memory_format=torch.channels_last)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
        self.model = model
        self.train_x = dataset.train_images.to(self.device)
        self.train_y = dataset.train_labels.to(self.device)
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
        from cnnviz.models import count_parameters

        self.emit(StartEvent(
            device=self.device_text, total_steps=self.total_steps, steps_per_epoch=self.steps_per_epoch,
            train_size=len(self.train_x), test_size=len(self.test_x),
            num_parameters=count_parameters(model), classes=tuple(self.classes),
            kernels=self.initial_kernels, lr=config.lr,
        ))

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
                if self.should_stop():
                    self._count_train_time(epoch_start, meter)
                    return self.end("stopped", self._stop_message(epoch), evaluate_model=True)
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

    def end(self, status: str, message: str, *, evaluate_model: bool) -> EndEvent:
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
            images_per_second=speed, checkpoint=checkpoint,
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
        return Path(save_checkpoint(self.checkpoint_path, model, classes=self.classes, meta=meta))
