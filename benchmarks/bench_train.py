"""How fast cnnviz.train.fit trains, against two baselines timed in the same process.

Targets (issue 5), on a CPU:
    - fit() throughput >= 0.95x a plain, tight PyTorch loop over the same model, the same uint8
      data tensors and the same batch size (what the engine's events, schedule and bookkeeping cost);
    - fit() throughput >= 1.3x the tutorial's loop: torchvision FashionMNIST(transform=ToTensor())
      + DataLoader(batch_size, shuffle=True) (what keeping the data as tensors saves);
    - time to 90% Fashion-MNIST test accuracy under 60 s (data loading, training and every
      epoch's evaluation included).
On a GPU (--device cuda) the same comparisons run, and --target 0.92 measures time to 92%.

fit() keeps tensors channels_last on the CPU too (oneDNN's faster layout); the plain loop is timed
both in the default layout and in fit's, so the layout's gain and the engine's own overhead show
apart. Throughput is measured over the same number of optimisation steps for all three, each timed from
its first step (after one short warm-up fit for the whole process), repeated and interleaved;
medians are printed. fit's steps are timed from inside fit() (training steps only, not setup or the final evaluation). Both
wall-clock and CPU-time rates are printed: on a machine shared with other jobs, CPU time with one
torch thread (--threads 1) is the figure that measures this code rather than the neighbours.

    python benchmarks/bench_train.py [--steps 150] [--repeats 3] [--threads 2] [--device cpu]
                                     [--skip-throughput] [--skip-accuracy] [--target 0.90]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from cnnviz import data, devices
from cnnviz.train import EpochEvent, TrainConfig, build_model, fit

# The model both throughput loops train: the Fashion-MNIST preset below, batch 128, Adam.
THROUGHPUT_CONFIG = dict(
    dataset="fashion-mnist", model="small_cnn",
    model_options={"channels": [16, 32], "convs_per_block": 1}, dropout=0.0,
    optimizer="adam", lr=3e-3, batch_size=128, epochs=1,
)
# Time to 90%: a small two-block CNN with batch norm, Adam and a one-cycle schedule.
ACCURACY_CONFIG = dict(
    dataset="fashion-mnist", model="small_cnn",
    model_options={"channels": [16, 32], "convs_per_block": 1}, dropout=0.0,
    optimizer="adam", lr=5e-3, schedule="one-cycle", batch_size=128, epochs=3,
)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


class _Clock:
    """Wall time and this process's CPU time together. On a machine shared with other jobs the
    wall clock measures the neighbours too; CPU time (with one torch thread) measures our work."""

    def start(self, device: torch.device) -> None:
        _sync(device)
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, images: int, device: torch.device) -> tuple[float, float]:
        """(images per wall second, images per CPU second) since start()."""
        _sync(device)
        return images / (time.perf_counter() - self.wall), images / (time.process_time() - self.cpu)


def fit_throughput(config: TrainConfig, steps: int, device: torch.device) -> tuple[float, float]:
    """(wall, CPU) images/s of fit() over ``steps`` steps, timed from inside: should_stop is
    polled before every step, so its first call starts the clock and the call after the last
    step stops it; setup and the final evaluation fall outside, fit's per-step work inside."""
    polls, clock, rates = [], _Clock(), []

    def stop_after_steps() -> bool:
        polls.append(1)
        if len(polls) == 1:
            clock.start(device)
        if len(polls) > steps:
            if not rates:
                rates.append(clock.rates(steps * config.batch_size, device))
            return True
        return False

    end = fit(config, should_stop=stop_after_steps)
    if end.status != "stopped":
        raise SystemExit(f"fit did not run: {end.message}")
    return rates[0]


def plain_loop_throughput(config: TrainConfig, steps: int, device: torch.device,
                          channels_last: bool = False) -> tuple[float, float]:
    """Images/s of the tightest reasonable loop over the same tensors, model and batch size
    (channels_last: also in fit()'s memory layout; always so on CUDA)."""
    dataset = data.load_dataset(config.dataset)
    torch.manual_seed(config.seed)
    model = build_model(config, dataset.info).to(device)
    images, labels = dataset.train_images.to(device), dataset.train_labels.to(device)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else None
    channels_last = channels_last or device.type == "cuda"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    batches = torch.randperm(len(images), device=device).split(config.batch_size)
    model.train()

    def step(batch):
        x = images[batch].float().div_(255)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if autocast is not None:
            with autocast:
                loss = torch.nn.functional.cross_entropy(model(x).float(), labels[batch])
        else:
            loss = torch.nn.functional.cross_entropy(model(x), labels[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    clock = _Clock()
    clock.start(device)
    seen = 0
    for batch in batches[:steps]:
        step(batch)
        seen += len(batch)
    return clock.rates(seen, device)


def dataloader_throughput(config: TrainConfig, steps: int, device: torch.device) -> tuple[float, float]:
    """Images/s of the PyTorch tutorial's loop: Dataset + ToTensor + DataLoader(shuffle=True)."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from cnnviz.paths import datasets_dir

    dataset = data.load_dataset(config.dataset)  # makes sure the raw files are in the cache
    training = datasets.FashionMNIST(str(datasets_dir()), train=True, download=False,
                                     transform=transforms.ToTensor())
    loader = DataLoader(training, batch_size=config.batch_size, shuffle=True)
    torch.manual_seed(config.seed)
    model = build_model(config, dataset.info).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    model.train()
    seen, clock = 0, _Clock()
    clock.start(device)  # from the first batch on, as fit() and the plain loop
    for index, (x, y) in enumerate(loader):
        if index == steps:
            break
        x, y = x.to(device), y.to(device)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        seen += len(x)
    return clock.rates(seen, device)


def time_to_accuracy(config: TrainConfig, target: float) -> tuple[float | None, list[tuple[int, float, float]]]:
    """Seconds from calling fit() until an epoch ends at >= target test accuracy (None if never)."""
    reached: list[float] = []
    epochs: list[tuple[int, float, float]] = []
    start = time.perf_counter()

    def on_event(event) -> None:
        if isinstance(event, EpochEvent):
            now = time.perf_counter() - start
            epochs.append((event.epoch, event.test_accuracy, now))
            print(f"  epoch {event.epoch}: test accuracy {event.test_accuracy:.2%} at {now:.1f} s", flush=True)
            if event.test_accuracy >= target and not reached:
                reached.append(now)

    fit(config, on_event=on_event, should_stop=lambda: bool(reached))
    return (reached[0] if reached else None), epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150, help="timed optimisation steps per measurement")
    parser.add_argument("--batch-size", type=int, default=THROUGHPUT_CONFIG["batch_size"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--target", type=float, default=0.90, help="test accuracy for time-to-accuracy")
    parser.add_argument("--epochs", type=int, default=None, help="epochs allowed for time-to-accuracy")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = devices.pick_device(args.device)
    print(f"Device: {devices.describe_device(device)}; torch {torch.__version__}")

    if not args.skip_throughput:
        config = TrainConfig(**dict(THROUGHPUT_CONFIG, batch_size=args.batch_size), device=args.device)
        print(f"Throughput: {config.model} {config.model_options}, batch {config.batch_size}, "
              f"{args.steps} steps, {args.repeats} repeats (interleaved)")
        fit_throughput(config, 5, device)  # warm up the process (allocator, oneDNN / cuDNN kernels) for all three
        results: dict[str, list[tuple[float, float]]] = {"fit": [], "plain": [], "plain_cl": [], "dataloader": []}
        runners = {
            "fit": lambda: fit_throughput(config, args.steps, device),
            "plain": lambda: plain_loop_throughput(config, args.steps, device),
            "plain_cl": lambda: plain_loop_throughput(config, args.steps, device, channels_last=True),
            "dataloader": lambda: dataloader_throughput(config, args.steps, device),
        }
        names = list(runners)
        for repeat in range(args.repeats):
            # Rotate the order each repeat, so a neighbour's burst does not always hit the same loop.
            for name in names[repeat % len(names):] + names[:repeat % len(names)]:
                results[name].append(runners[name]())
            print(f"  repeat {repeat + 1} (wall / CPU images/s): "
                  + ", ".join(f"{k} {v[-1][0]:,.0f} / {v[-1][1]:,.0f}" for k, v in results.items()), flush=True)
        for index, clock in enumerate(("wall clock", "CPU time")):
            medians = {k: statistics.median(r[index] for r in v) for k, v in results.items()}
            print(f"By {clock} (medians, images/s): fit() {medians['fit']:,.0f}, plain tensor loop "
                  f"{medians['plain']:,.0f} (channels_last: {medians['plain_cl']:,.0f}), "
                  f"Dataset+DataLoader {medians['dataloader']:,.0f}")
            print(f"  ratio fit / plain:      {medians['fit'] / medians['plain']:.2f}  (target >= 0.95)")
            print(f"  ratio fit / plain channels_last: {medians['fit'] / medians['plain_cl']:.2f}  "
                  "(the engine's own overhead alone)")
            print(f"  ratio fit / DataLoader: {medians['fit'] / medians['dataloader']:.2f}  (target >= 1.3)")

    if not args.skip_accuracy:
        values = dict(ACCURACY_CONFIG, device=args.device)
        if args.epochs:
            values["epochs"] = args.epochs
        config = TrainConfig(**values)
        print(f"Time to {args.target:.0%} test accuracy: {config.model} {config.model_options}, "
              f"{config.optimizer} lr {config.lr:g} {config.schedule}, batch {config.batch_size}, "
              f"up to {config.epochs} epochs")
        seconds, _ = time_to_accuracy(config, args.target)
        if seconds is None:
            print(f"time to {args.target:.0%}: not reached in {config.epochs} epochs")
        else:
            print(f"time to {args.target:.0%}: {seconds:.1f} s (target < 60 s on 2 CPU cores)")


if __name__ == "__main__":
    main()
