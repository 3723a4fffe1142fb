"""Command line: train a registry model with the same engine as the training page.

    python -m cnnviz.train --dataset fashion-mnist --model lenet5 --optimizer adam --lr 0.003 \
        --schedule one-cycle --batch-size 128 --epochs 5 --out lenet5.pt --json

Transfer learning: start from a trained network's features, frozen, with a new head:

    python -m cnnviz.train --dataset digits-28 --model lenet5 \
        --transfer-from pretrained/lenet5-fashion-mnist.pt --freeze features --train-images 100 \
        --epochs 5 --batch-size 16 --lr 0.01 --json

A progress bar goes to stderr; a summary line, and with --json a JSON object as the very last
line, to stdout. The checkpoint is written atomically (a crash leaves no half file). Ctrl-C stops
the run after the current batch and still saves and evaluates it; a second Ctrl-C aborts.
Exit status: 0 finished, 1 diverged or failed, 2 bad arguments, 130 stopped.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from cnnviz.train.config import ADVERSARIAL, FREEZE, OPTIMIZERS, SCHEDULES, Augmentation, TrainConfig

EXIT_CODES = {"finished": 0, "diverged": 1, "failed": 1, "stopped": 130}


def _model_option(text: str) -> tuple[str, object]:
    """KEY=VALUE with VALUE parsed as JSON when it can be (so channels=[16,32] is a list)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, such as channels=[16,32], not {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def build_parser() -> argparse.ArgumentParser:
    from cnnviz.data import DATASET_NAMES, DEFAULT_DATASET

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m cnnviz.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default=DEFAULT_DATASET, choices=DATASET_NAMES)
    parser.add_argument("--model", default=defaults.model, help="a cnnviz.models registry name")
    parser.add_argument("--model-option", "-m", action="append", type=_model_option, default=[],
                        metavar="KEY=VALUE", help="a model setting, e.g. -m channels=[16,32] (repeatable)")
    parser.add_argument("--optimizer", default=defaults.optimizer, choices=OPTIMIZERS)
    parser.add_argument("--lr", type=float, default=defaults.lr, help="learning rate (peak for one-cycle)")
    parser.add_argument("--momentum", type=float, default=defaults.momentum)
    parser.add_argument("--schedule", default=defaults.schedule, choices=SCHEDULES)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--train-images", type=int, default=None, metavar="N",
                        help="train on N training images only (a seeded random subset; default: all)")
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--dropout", type=float, default=None, help="override the model's dropout rate")
    parser.add_argument("--batch-norm", choices=("on", "off"), default=None, help="override the model's batch norm")
    parser.add_argument("--label-smoothing", type=float, default=defaults.label_smoothing)
    augment = parser.add_argument_group("augmentation (training images only)")
    augment.add_argument("--flip", action="store_true", help="random left-right mirror")
    augment.add_argument("--vertical-flip", action="store_true", help="random top-bottom mirror")
    augment.add_argument("--crop-padding", type=int, default=0, help="random crop after padding by this many pixels")
    augment.add_argument("--rotation", type=float, default=0.0, help="random rotation up to this many degrees")
    augment.add_argument("--translate", type=float, default=0.0, help="random shift up to this fraction of the size")
    augment.add_argument("--scale", type=float, default=0.0, help="random zoom by a factor in [1 - s, 1 + s]")
    augment.add_argument("--gaussian-noise", type=float, default=0.0, help="noise standard deviation in [0, 1] pixels")
    augment.add_argument("--salt-pepper", type=float, default=0.0, help="fraction of pixels set black or white")
    augment.add_argument("--color-jitter", type=float, default=0.0, help="brightness/contrast/saturation strength")
    robust = parser.add_argument_group("adversarial training")
    robust.add_argument("--adversarial", choices=ADVERSARIAL, default=defaults.adversarial,
                        help="replace half of every batch by FGSM or PGD examples")
    robust.add_argument("--adversarial-eps", type=float, default=defaults.adversarial_eps,
                        help="the attack's budget in [0, 1] pixel units")
    reuse = parser.add_argument_group("transfer learning")
    reuse.add_argument("--transfer-from", default=None, metavar="CHECKPOINT",
                       help="copy this checkpoint's feature extractor (model.features) into the new model, whose "
                            "head starts afresh; the model's settings come from the checkpoint")
    reuse.add_argument("--freeze", choices=FREEZE, default=defaults.freeze,
                       help="features: train the new head only (the copied features keep their weights and stay "
                            "in eval mode); none: fine-tune every weight")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--device", default=defaults.device, help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--out", type=Path, default=None,
                        help="checkpoint file (default: <runs dir>/<run id>/model.pt, listed on every page)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        dataset=args.dataset, model=args.model, model_options=dict(args.model_option),
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, schedule=args.schedule,
        batch_size=args.batch_size, epochs=args.epochs, weight_decay=args.weight_decay,
        dropout=args.dropout, batch_norm=None if args.batch_norm is None else args.batch_norm == "on",
        label_smoothing=args.label_smoothing,
        augment=Augmentation(
            flip=args.flip, vertical_flip=args.vertical_flip, crop_padding=args.crop_padding,
            rotation=args.rotation, translate=args.translate, scale=args.scale, gaussian_noise=args.gaussian_noise,
            salt_pepper=args.salt_pepper, color_jitter=args.color_jitter,
        ),
        adversarial=args.adversarial, adversarial_eps=args.adversarial_eps,
        train_images=args.train_images, transfer_from=args.transfer_from, freeze=args.freeze,
        seed=args.seed, device=args.device,
    )


def default_checkpoint_path(config: TrainConfig) -> Path:
    from cnnviz.paths import run_checkpoint

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return run_checkpoint(f"cli-{stamp}-{config.model}-{config.dataset}")


class _ProgressBar:
    """tqdm over optimisation steps, fed by fit()'s events."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None

    def __call__(self, event) -> None:
        from tqdm import tqdm

        from cnnviz.train.events import EndEvent, EpochEvent, StartEvent, StepEvent

        if not self.enabled:
            return
        if isinstance(event, StartEvent):
            tqdm.write(f"Training on {event.device}: {event.num_parameters:,} parameters, "
                       f"{event.train_size:,} training images.", file=sys.stderr)
            self.bar = tqdm(total=event.total_steps, unit="step", file=sys.stderr, dynamic_ncols=True)
        elif isinstance(event, StepEvent) and self.bar is not None:
            self.bar.update(event.step - self.bar.n)
            self.bar.set_postfix(epoch=event.epoch, loss=f"{event.loss:.3f}", lr=f"{event.lr:.2g}",
                                 img_s=f"{event.images_per_second:,.0f}")
        elif isinstance(event, EpochEvent):
            tqdm.write(f"epoch {event.epoch}: train loss {event.train_loss:.4f}, acc {event.train_accuracy:.2%}; "
                       f"test loss {event.test_loss:.4f}, acc {event.test_accuracy:.2%} ({event.seconds:.1f} s)",
                       file=sys.stderr)
        elif isinstance(event, EndEvent) and self.bar is not None:
            self.bar.close()


def main(argv: list[str] | None = None) -> int:
    from cnnviz.devices import describe_device, pick_device
    from cnnviz.train.engine import fit

    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    out = args.out or default_checkpoint_path(config)

    # The first Ctrl-C asks the run to stop after this batch (it is still saved); the second aborts.
    stop = threading.Event()

    def on_interrupt(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nStopping after this batch (Ctrl-C again to abort)...", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        end = fit(config, checkpoint_path=out, on_event=_ProgressBar(not args.no_progress),
                  should_stop=stop.is_set)
    finally:
        signal.signal(signal.SIGINT, previous)

    print(end.message)
    if end.checkpoint:
        print(f"Saved {end.checkpoint}")
    if args.json:
        try:
            device = describe_device(pick_device(config.device))
        except ValueError:
            device = config.device
        summary = {
            "status": end.status, "message": end.message, "test_accuracy": end.test_accuracy,
            "test_loss": end.test_loss, "epochs": end.epochs, "steps": end.steps,
            "seconds": round(end.seconds, 2), "images_per_second": round(end.images_per_second, 1),
            "batch_size": config.batch_size, "device": device, "checkpoint": end.checkpoint,
            "model": config.model, "dataset": config.dataset, "config": config.to_dict(),
        }
        print(json.dumps(summary), flush=True)
    return EXIT_CODES[end.status]


if __name__ == "__main__":
    raise SystemExit(main())
