"""Speed of "Receptive fields": fields and the architecture table, and one unit's effective field.

    python benchmarks/bench_receptive.py [--repeats 9] [--device cpu]

    python benchmarks/bench_receptive.py --switch-only   # only the network switch (issue 14)

Targets (issue 4): receptive fields plus the architecture table for ResNet-50 at 224 x 224 in
under a second on the CPU; the effective field of one ResNet-18 unit in under two. Each is set
against a plain forward pass of the same network, run in the same process and interleaved with
it, so that a busy machine slows both alike; medians printed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from cnnviz.architecture import architecture_table
from cnnviz.devices import pick_device
from cnnviz.effective_field import effective_field
from cnnviz.models import get_model
from cnnviz.receptive import receptive_fields


def _seconds(function, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    function()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _interleaved_medians(first, second, repeats: int, device: torch.device) -> tuple[float, float]:
    first(), second()  # warm-up: allocator, kernels, lazy imports
    a, b = [], []
    for _ in range(repeats):
        a.append(_seconds(first, device))
        b.append(_seconds(second, device))
    return statistics.median(a), statistics.median(b)


def bench_fields_and_table(repeats: int, device: torch.device) -> None:
    torch.manual_seed(0)
    model = get_model("resnet50").to(device).eval()
    image = torch.rand(1, 3, 224, 224, device=device)

    def forward():
        with torch.inference_mode():
            model(image)

    def fields_and_table():
        receptive_fields(model, (3, 224, 224))
        architecture_table(model, (3, 224, 224))

    forward_s, counting_s = _interleaved_medians(forward, fields_and_table, repeats, device)
    rows = receptive_fields(model, (3, 224, 224))
    print(f"ResNet-50 at 224 x 224 on {device}: {len(rows)} field rows")
    print(f"  plain forward pass            median {forward_s * 1000:8.1f} ms")
    print(f"  receptive fields + table      median {counting_s * 1000:8.1f} ms   "
          f"ratio {counting_s / forward_s:.2f}x forward   target < 1000 ms: {'met' if counting_s < 1 else 'MISSED'}")


def bench_effective_field(repeats: int, device: torch.device) -> None:
    torch.manual_seed(0)
    model = get_model("resnet18").to(device).eval()
    image = torch.rand(1, 3, 224, 224, device=device)

    def forward():
        with torch.inference_mode():
            model(image)

    print(f"ResNet-18 effective field for one unit at 224 x 224 on {device}:")
    for layer, unit in [("net.layer1.0", (28, 28)), ("net.layer4.1", (3, 3))]:
        forward_s, field_s = _interleaved_medians(
            forward, lambda: effective_field(model, image, layer, unit), repeats, device
        )
        print(f"  {layer:14s} unit {unit}: median {field_s * 1000:8.1f} ms   "
              f"plain forward {forward_s * 1000:7.1f} ms   ratio {field_s / forward_s:.2f}x   "
              f"target < 2000 ms: {'met' if field_s < 2 else 'MISSED'}")


def bench_network_switch(repeats: int, name: str = "vgg16") -> None:
    """What the Field tab computes when the menu switches to an untrained ImageNet network: its
    fields and the effective field of the default layer's centre unit. Baseline (before issue 14):
    the real network built, deep-copied, probed. Now: the meta structure, weights for the layers
    before the probed one only."""
    import copy

    from cnnviz.effective_field import materialized_prefix
    from cnnviz.lessons.receptive_fields import _centre, chosen_layer, layer_menu
    from cnnviz.models.registry import get_structure

    shape = (3, 224, 224)
    image = torch.rand(1, *shape)
    rows = receptive_fields(get_structure(name), shape)
    chosen = chosen_layer(rows, layer_menu(rows).default)
    layer, unit = chosen.row.module, _centre(chosen.row)

    def before():
        torch.manual_seed(0)
        receptive_fields(get_structure(name), shape)
        effective_field(copy.deepcopy(get_model(name).eval()), image, layer, unit)

    def after():
        structure = get_structure(name)
        receptive_fields(structure, shape)
        effective_field(materialized_prefix(structure, layer, shape), image, layer, unit)

    before_s, after_s = _interleaved_medians(before, after, repeats, torch.device("cpu"))
    print(f"Switching the Field tab to untrained {name} (layer {layer}, unit {unit}), CPU:")
    print(f"  before: real weights + deep copy   median {before_s * 1000:8.1f} ms")
    print(f"  after:  meta + prefix weights      median {after_s * 1000:8.1f} ms   "
          f"ratio {after_s / before_s:.2f}x baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--device", default="cpu", help="cpu (the target), cuda, mps or auto")
    parser.add_argument("--switch-only", action="store_true", help="only the network switch")
    args = parser.parse_args()
    bench_network_switch(max(3, args.repeats // 3))
    if args.switch_only:
        return
    device = pick_device(args.device)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    bench_fields_and_table(args.repeats, device)
    bench_effective_field(args.repeats, device)


if __name__ == "__main__":
    main()
