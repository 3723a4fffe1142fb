"""Speed of "Inside a network": capturing every layer vs a plain forward pass, the confusion
matrix over a whole test set, and building the page's figures (and Training's live ones).

    python benchmarks/bench_inside.py [--repeats 15] [--device cpu] [--figures-only]

Targets (issue 6): capturing all layer outputs of ResNet-18 on a 224 x 224 image takes no more
than 1.5x a plain forward pass; the confusion matrix over the 10,000 Fashion-MNIST test images
for LeNet-5 takes under 3 s on the CPU. Both are measured here in one process, medians printed.
Figures (issue 14): each figure dict against the plotly-object builder it replaced (read from git
at BASELINE_COMMIT and run in the same process): build time, the server's whole cost (build + what
st.plotly_chart does with it + JSON) and the JSON bytes sent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from cnnviz import activations, metrics
from cnnviz.devices import pick_device
from cnnviz.models import get_model


def _median_seconds(function, repeats: int, device: torch.device) -> float:
    return _timings(function, repeats, device)[0]


def _timings(function, repeats: int, device: torch.device) -> tuple[float, float]:
    """(median, fastest) seconds of ``repeats`` calls after one warm-up call. The fastest run
    shows the floor when other processes share the CPU; the targets are judged on the median."""
    function()  # warm-up: allocator, kernels, lazy imports
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        function()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _paired(first, second, repeats: int, device: torch.device) -> dict[str, float]:
    """Time two functions call by call, alternating, after one warm-up call each.

    Alternating pairs see the same load from other processes, so the median of the per-pair
    ratios holds up on a shared machine. CPU time (time.process_time, all threads of this
    process) leaves out the time spent waiting for a core, which wall-clock time includes.
    """
    first()
    second()
    walls = {0: [], 1: []}
    cpus = {0: [], 1: []}
    for _ in range(repeats):
        for index, function in enumerate((first, second)):
            if device.type == "cuda":
                torch.cuda.synchronize()
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            if device.type == "cuda":
                torch.cuda.synchronize()
            walls[index].append(time.perf_counter() - wall)
            cpus[index].append(time.process_time() - cpu)
    return {
        "first_wall": statistics.median(walls[0]),
        "second_wall": statistics.median(walls[1]),
        "wall_ratio": statistics.median(b / a for a, b in zip(walls[0], walls[1])),
        "first_cpu": statistics.median(cpus[0]),
        "second_cpu": statistics.median(cpus[1]),
        "cpu_ratio": statistics.median(b / a for a, b in zip(cpus[0], cpus[1]) if a > 0),
    }


def bench_capture(repeats: int, device: torch.device) -> float:
    torch.manual_seed(0)
    model = get_model("resnet18").to(device).eval()  # untrained: the same work as with weights
    image = torch.rand(1, 3, 224, 224, device=device)

    def plain():
        with torch.inference_mode():
            model(image)

    def capture():
        activations.capture_layer_outputs(model, image)

    timing = _paired(plain, capture, repeats, device)
    layers = len(activations.capture_layer_outputs(model, image).layers)
    ratio = timing["wall_ratio"]
    print(f"ResNet-18, 1 x 3 x 224 x 224 on {device}, {repeats} alternating pairs:")
    print(f"  plain forward                 {timing['first_wall'] * 1e3:8.1f} ms wall, "
          f"{timing['first_cpu'] * 1e3:8.1f} ms CPU (medians)")
    print(f"  capture all {layers} layer outputs {timing['second_wall'] * 1e3:8.1f} ms wall, "
          f"{timing['second_cpu'] * 1e3:8.1f} ms CPU (medians)")
    print(f"  ratio (median of pairs)       {ratio:8.2f}x wall, {timing['cpu_ratio']:.2f}x CPU   "
          f"(target <= 1.5x: {'PASS' if ratio <= 1.5 else 'FAIL'})")
    return ratio


def bench_confusion(repeats: int, device: torch.device) -> float:
    from cnnviz.data import load_dataset

    test = load_dataset("fashion-mnist")
    torch.manual_seed(0)
    model = get_model("lenet5").to(device).eval()
    images, labels = test.test_images, test.test_labels

    def baseline():  # the bare forward passes, no softmax, no counting
        with torch.inference_mode():
            for start in range(0, len(images), 1000):
                model(images[start : start + 1000].to(device).float() / 255)

    def confusion():
        _, predictions = metrics.predict_dataset(model, images, batch_size=1000, device=device)
        metrics.confusion_matrix(predictions, labels, 10)

    baseline_s, baseline_min = _timings(baseline, max(3, repeats // 3), device)
    confusion_s, confusion_min = _timings(confusion, max(3, repeats // 3), device)
    print(f"LeNet-5, confusion matrix over {len(images):,} Fashion-MNIST test images on {device}:")
    print(f"  bare forward passes        {baseline_s:8.2f} s (median), {baseline_min:.2f} s fastest")
    print(f"  predict + confusion matrix {confusion_s:8.2f} s (median), {confusion_min:.2f} s fastest, "
          f"{confusion_s / baseline_s:.2f}x the bare passes")
    print(f"  target < 3 s on the CPU: {'PASS' if confusion_s < 3 else 'FAIL'}")
    return confusion_s


BASELINE_COMMIT = "47da565"  # the last commit whose figures were plotly objects


def _baseline_module(path: str):
    """The module at ``path`` as it was at BASELINE_COMMIT, imported under another name."""
    import subprocess
    import types

    source = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:{path}"], capture_output=True, text=True, check=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout
    module = types.ModuleType(f"baseline_{os.path.basename(path)[:-3]}")
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def _server_cost(figure) -> str:
    """What st.plotly_chart does with a figure (1.67: validate a dict into a Figure, to_dict, to_json)."""
    import plotly.io
    import plotly.tools

    spec = plotly.io.to_json(plotly.tools.return_figure_from_figure_or_data(figure, validate_figure=True), validate=False)
    return spec


def bench_figures(repeats: int) -> None:
    import numpy as np

    from cnnviz.figures import inside_figures, training_figures

    old_inside = _baseline_module("cnnviz/figures/inside_figures.py")
    old_training = _baseline_module("cnnviz/figures/training_figures.py")
    rng = np.random.default_rng(0)
    # LeNet-5 on a 28 x 28 image, as the page draws it: 12 steps, the first conv's 6 x 28 x 28 grid.
    overview = [(f"layer{i}", rng.random((28, 28) if i < 8 else (1, 84)).astype(np.float32)) for i in range(12)]
    kinds = ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Flatten", "Linear",
             "ReLU", "Linear"]
    maps = rng.random((6, 28, 28)).astype(np.float32)
    confusion = rng.integers(0, 1000, (10, 10))
    classes = [f"class {i}" for i in range(10)]
    steps = 600
    curves = {"step_x": list(np.linspace(0, 2, steps)), "step_loss": list(rng.random(steps)),
              "epoch_x": [1.0, 2.0], "train_loss": [0.6, 0.4], "test_loss": [0.5, 0.45],
              "train_accuracy": [0.8, 0.85], "test_accuracy": [0.82, 0.84]}
    kernels = rng.normal(size=(6, 1, 5, 5))
    cases = [
        ("Inside: activation_overview", lambda m: m.activation_overview(overview, kinds, selected="layer1"), old_inside),
        ("Inside: channel_grid", lambda m: m.channel_grid(maps), old_inside),
        ("Inside: confusion_heatmap", lambda m: m.confusion_heatmap(confusion, classes), old_inside),
        ("Training: loss_figure (live)", lambda m: m.loss_figure(curves), old_training),
        ("Training: kernel_figure (live)", lambda m: m.kernel_figure(kernels), old_training),
        ("Training: confusion_figure", lambda m: m.confusion_figure(confusion, classes), old_training),
    ]
    new_of = {id(old_inside): inside_figures, id(old_training): training_figures}
    print(f"Figures, medians of {repeats} (old = plotly objects at {BASELINE_COMMIT}, new = figure dicts):")
    print(f"  {'figure':32s} {'build old/new ms':>18s} {'ratio':>6s} {'server old/new ms':>19s} {'ratio':>6s} "
          f"{'JSON old/new KB':>17s}")
    for name, build, old in cases:
        new = new_of[id(old)]
        builds = [_timings(lambda m=m: build(m), repeats, torch.device("cpu"))[0] for m in (old, new)]
        totals = [_timings(lambda m=m: _server_cost(build(m)), repeats, torch.device("cpu"))[0] for m in (old, new)]
        sizes = [len(_server_cost(build(m))) / 1024 for m in (old, new)]
        print(f"  {name:32s} {builds[0] * 1e3:8.1f} /{builds[1] * 1e3:7.1f} {builds[0] / builds[1]:6.1f}x "
              f"{totals[0] * 1e3:8.1f} /{totals[1] * 1e3:8.1f} {totals[0] / totals[1]:6.1f}x "
              f"{sizes[0]:7.1f} /{sizes[1]:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--device", default="cpu", help='"cpu" (the targets are for the CPU), "auto" or "cuda"')
    parser.add_argument("--figures-only", action="store_true", help="only the figure builders (no torch work)")
    args = parser.parse_args()
    bench_figures(args.repeats)
    if args.figures_only:
        return
    device = pick_device(args.device)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    tuned = "MALLOC_TRIM_THRESHOLD_" in os.environ
    print(f"glibc malloc thresholds: {'raised by the environment' if tuned else 'default'}")
    bench_capture(args.repeats, device)
    bench_confusion(args.repeats, device)
    if not tuned:
        # Seen on the 2-core build machine: with glibc's defaults, freed activation memory goes back
        # to the OS after each pass, so every pass page-faults its buffers in again; keeping all
        # layer outputs alive makes a capture fault in more of them than a plain pass.
        print("Hint: compare with MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_MMAP_THRESHOLD_=268435456 "
              "in the environment (glibc then keeps freed memory for reuse).")


if __name__ == "__main__":
    main()
