"""Speed of Inside's "Test images that excite this channel most": the cold pass and the channel switch.

    python benchmarks/bench_dataset_examples.py [--repeats 3]

Every layer: what the page's cache does once per network on a CPU: all 10,000 Fashion-MNIST test
images through the shipped LeNet-5 with a hook on every layer, every channel of every layer ranked
(its top 8 by its maximum over positions) and the receptive fields; printed beside the one-layer
pass of each layer below (the pass stops at the layer), as a ratio to the deepest one. Warm: what a
new channel costs once cached: its 8 crops enlarged, captioned and counted (lesson.top_images_view).
Medians after one warm-up call.
"""

from __future__ import annotations

import argparse

import torch

from cnnviz import dataset_examples
from cnnviz.data import load_dataset
from cnnviz.lessons import inside as lesson
from cnnviz.models import load_checkpoint
from cnnviz.paths import PRETRAINED_DIR
from dashboard.testing.timing import median_seconds

LAYERS = ("features.c1", "features.c3", "features.act5", "classifier.f6")  # first conv to a flat layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dataset = load_dataset("fashion-mnist")
    model = load_checkpoint(PRETRAINED_DIR / "lenet5-fashion-mnist.pt", map_location="cpu").eval()
    print(f"Shipped LeNet-5, {len(dataset.test_labels):,} Fashion-MNIST test images, torch {torch.__version__} "
          f"on {torch.get_num_threads()} threads:")
    every = median_seconds(lambda: dataset_examples.every_layer_examples(model, dataset.test_images), args.repeats)
    deepest = median_seconds(lambda: dataset_examples.top_examples(model, dataset.test_images, LAYERS[-1]), args.repeats)
    print(f"  every layer in one pass: median {every:6.2f} s, {every / deepest:.2f}x the deepest layer alone "
          f"({LAYERS[-1]}: {deepest:.2f} s)")
    for layer in LAYERS:
        cold = median_seconds(lambda: dataset_examples.top_examples(model, dataset.test_images, layer), args.repeats)
        found = dataset_examples.top_examples(model, dataset.test_images, layer)

        def switch():
            for channel in range(found.channels):
                lesson.top_images_view(found, channel, dataset.test_images, dataset.test_labels, dataset.classes,
                                       quote=str)

        warm = median_seconds(switch, args.repeats) / found.channels
        print(f"  {layer:<15} {found.channels:>3} channels: cold median {cold:6.2f} s, "
              f"a channel switch median {warm * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
