"""Speed of Inside's "Embeddings" view: the cold computation for the shipped LeNet-5 and the warm rerun.

    python benchmarks/bench_embeddings.py [--repeats 5] [--page-repeats 9]

Cold (issue 15.3: "cached per model"): what the caches do once per network on a CPU, each step
timed alone and medians printed: the penultimate features of the 1,000-image sample, PCA, t-SNE,
and the k-NN class agreement in both spaces. Warm: the whole Inside page rerun through AppTest with
the Embeddings view open and every cache filled (what a student waits for after a widget that
changes nothing cached), beside the per-rerun part the caches leave (the current image's
neighbours and their tiles); and the page's first opening of the view, cold.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from cnnviz import embeddings
from cnnviz.data import load_dataset, to_float
from cnnviz.lessons import inside as lesson
from cnnviz.models import load_checkpoint
from cnnviz.paths import PRETRAINED_DIR
from dashboard.testing.timing import median_seconds

APP = Path(__file__).resolve().parent.parent / "app.py"


def bench_cold(repeats: int) -> None:
    dataset = load_dataset("fashion-mnist")
    model = load_checkpoint(PRETRAINED_DIR / "lenet5-fashion-mnist.pt", map_location="cpu").eval()
    sample = embeddings.feature_sample(model, dataset.test_images, dataset.test_labels)
    larger = embeddings.feature_sample(model, dataset.test_images, dataset.test_labels, size=2000)
    steps = {
        "features of the sample": lambda: embeddings.feature_sample(model, dataset.test_images, dataset.test_labels),
        "PCA": lambda: embeddings.project(sample.features, "pca"),
        "t-SNE": lambda: embeddings.project(sample.features, "tsne"),
        "k-NN agreement (k = 8)": lambda: embeddings.sample_agreement(sample, 8),
    }
    print(f"Cold, shipped LeNet-5, {len(sample.indices):,} Fashion-MNIST test images, "
          f"{sample.features.shape[1]} features, torch {torch.__version__} on {torch.get_num_threads()} threads:")
    total = 0.0
    for name, step in steps.items():
        seconds = median_seconds(step, repeats)
        total += seconds
        print(f"  {name:<26} median {seconds * 1000:8.1f} ms")
    print(f"  {'all four (a cold t-SNE view)':<26}        {total * 1000:8.1f} ms")
    # Issue 15's target is stated for 2,000 embeddings (under 15 s cold); the page shows 1,000.
    seconds = median_seconds(lambda: embeddings.project(larger.features, "tsne"), repeats)
    print(f"  {'t-SNE of 2,000 (the issue)':<26} median {seconds * 1000:8.1f} ms")
    projection, agreement = embeddings.project(sample.features, "pca"), embeddings.sample_agreement(sample, 8)
    image = to_float(dataset.test_images[0])
    features = embeddings.penultimate_features(model, image)[0]
    probabilities = torch.softmax(model(image.unsqueeze(0)), 1)[0].detach().numpy()

    def view():
        lesson.embedding_view(sample, projection, agreement, features, image, probabilities, int(dataset.test_labels[0]),
                              0, dataset.test_images, dataset.classes, "Fashion-MNIST", quote=str)

    print(f"  per rerun, not cached: neighbours + 16 tiles   median {median_seconds(view, repeats * 4) * 1000:8.1f} ms")


def bench_warm_page(repeats: int) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    at.switch_page("pages/inside.py")
    at.run()
    start = time.perf_counter()
    at = at.radio(key="inside_view").set_value("Embeddings").run()  # features and t-SNE computed here
    print(f"Page (AppTest), shipped LeNet-5: opening Embeddings cold (features + t-SNE) {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    at = at.radio(key="inside_embed_method").set_value("pca").run()  # the sample cached: PCA only
    print(f"  switching to PCA the first time                 {(time.perf_counter() - start) * 1000:8.1f} ms")
    at = at.radio(key="inside_embed_method").set_value("tsne").run()
    times = []
    for _ in range(repeats):  # every cache filled: what any widget that changes nothing cached costs
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    assert not at.exception, at.exception
    print(f"  warm rerun of the whole page, Embeddings open   median {statistics.median(times) * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--page-repeats", type=int, default=9)
    args = parser.parse_args()
    bench_cold(args.repeats)
    bench_warm_page(args.page_repeats)


if __name__ == "__main__":
    main()
