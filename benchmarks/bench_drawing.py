"""Speed of "Draw your own" (Inside a network): from the grid a stroke sends to the prediction.

    python benchmarks/bench_drawing.py [--repeats 50]

Issue 15 asks for draw-to-prediction under 0.2 s. What the server does per stroke before the
prediction can be drawn: check the canvas's 784 values (lessons.inside.drawn_pixels), prepare the
picture for the model (drawn_input), run it through every layer with the hooks the page uses
(activations.capture_layer_outputs) and take the softmax. Printed as medians beside the plain-torch
baseline measured in the same run (the model on the same tensor, no hooks, no checks), for the
shipped LeNet-5 and small CNN. The browser's own part (the rerun message, drawing the bars) is
measured in Chromium by tests/test_browser.py's walk, not here.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from cnnviz.activations import capture_layer_outputs
from cnnviz.lessons import inside as lesson
from cnnviz.models import load_checkpoint
from cnnviz.paths import PRETRAINED_DIR
from dashboard.testing.timing import median_seconds


def _stroke() -> list[int]:
    pixels = np.zeros((28, 28), np.uint8)
    pixels[4:24, 12:16] = 255
    return pixels.ravel().tolist()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a shared server gives each rerun about one core
    sent = _stroke()
    print(f"{'network':28s} {'stroke -> prediction':>22s} {'plain torch':>12s} {'ratio':>7s}")
    for name in ("lenet5-fashion-mnist.pt", "small-cnn-fashion-mnist.pt"):
        model = load_checkpoint(PRETRAINED_DIR / name, map_location="cpu").eval()
        tensor = lesson.drawn_input(lesson.drawn_pixels(sent), model.input_shape, True).prepared.tensor

        def stroke_to_prediction():
            drawn = lesson.drawn_input(lesson.drawn_pixels(sent), model.input_shape, True)
            return capture_layer_outputs(model, drawn.prepared.tensor).probabilities()

        def plain():
            with torch.no_grad():
                return torch.softmax(model(tensor), 1)

        ours, base = median_seconds(stroke_to_prediction, args.repeats), median_seconds(plain, args.repeats)
        print(f"{name:28s} {ours * 1000:19.2f} ms {base * 1000:9.2f} ms {ours / base:6.1f}x")


if __name__ == "__main__":
    main()
