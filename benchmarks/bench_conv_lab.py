"""How long the convolution lab computes per rerun, on a 512x512 RGB photo with an 11x11 kernel.

Streamlit reruns the page on every click. The lab must
- recompute a changed setting in under 100 ms: convolution + building the output-map figure,
- step the animation recomputing nothing but the highlight: explain one cell + draw overlays,
- send little per Step: the player's figures whose JSON changed since the previous Step travel in
  full; an unchanged one is a reference to the browser's copy (Streamlit's message cache). Compared
  with the old player (whole pictures redrawn with the window at every Step), same process.

Prints medians over N runs and their ratio to a plain torch F.conv2d on the same tensors, measured
in the same process (so a busy machine slows both alike).

    .venv/bin/python benchmarks/bench_conv_lab.py [--runs 30] [--kernel 11] [--photo astronaut]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def median_ms(function, runs: int) -> float:
    function()  # warm-up: first-call allocations and lazy imports are not what a rerun pays
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--kernel", type=int, default=11)
    parser.add_argument("--photo", default="astronaut")
    args = parser.parse_args()

    import numpy as np
    import plotly.io
    import torch
    import torch.nn.functional as F

    from cnnviz import conv, images, kernels
    from cnnviz.figures import conv_figures

    torch.set_grad_enabled(False)
    picture = images.shrink_to(images.load_sample_image(args.photo).convert("RGB"), 512)
    x = images.to_tensor(picture)  # (1, 3, H, W)
    _, channels, height, width = x.shape
    k = args.kernel
    settings = conv.ConvSettings(kernel_size=k, padding="same", in_channels=channels, out_channels=1)
    per_channel = np.stack([kernels.make_kernel("Gaussian blur", k, k)] * channels)  # (3, k, k)
    weight = torch.from_numpy(conv.weight_from_channel_kernels(per_channel, settings))  # (1, 3, k, k)
    bias = torch.zeros(1)
    x_numpy = x[0].numpy()

    def baseline():
        F.conv2d(x, weight, bias, padding=k // 2)

    def rerun_output():
        output = conv.apply(x, weight, bias, settings)[0].numpy()  # (1, H, W)
        layer = conv_figures.photo_layer(output)
        conv_figures.photo_figure(layer, cell=(0, 0), clickable=True)

    def rerun_everything():
        rerun_output()
        grid, _ = conv.sliding_grid(x_numpy, settings)
        layer = conv_figures.photo_layer(grid)
        conv_figures.photo_figure(layer, input_box=(k // 2, k // 2, height, width))

    output = conv.apply(x, weight, bias, settings)[0].numpy()
    output_layer = conv_figures.photo_layer(output)
    input_layer = conv_figures.photo_layer(conv.sliding_grid(x_numpy, settings)[0])
    rng = np.random.default_rng(0)
    cells = [(int(r), int(c)) for r, c in rng.integers(0, [height, width], size=(64, 2))]
    step_index = iter(range(10**9))
    last_figures = []

    def step():
        row, col = cells[next(step_index) % len(cells)]
        cell = conv.explain_cell(x, weight, bias, settings, 0, row, col)
        last_figures[:] = [
            conv_figures.photo_figure(input_layer, window=(cell.grid_rows, cell.grid_cols),
                                      input_box=(k // 2, k // 2, height, width)),
            conv_figures.photo_figure(output_layer, cell=(row, col), clickable=True),
            conv_figures.window_figure(cell.window, cell.kernel, cell.products, kinds=cell.kinds, channel_names="RGB"),
        ]

    def serialise():
        for figure in last_figures:
            plotly.io.to_json(figure, validate=False)

    # The page's own cached path: a rerun where nothing the convolution depends on changed.
    from streamlit import logger

    logger.set_log_level("error")  # quiet the "no runtime" notes that cache_data prints outside a server
    from cnnviz.lessons import conv_lab as lesson
    from dashboard.caches import conv_lab as conv_lab_cache

    lab_settings = lesson.Settings(conv_source="Photo", conv_photo=args.photo, conv_kh=k, conv_kw=k, conv_padding="same")
    shared_kernel = (tuple(map(tuple, per_channel[0].tolist())),)  # the page's one kernel editor

    def cached_rerun():
        conv_lab_cache.result(lab_settings, "photo", args.photo, None, shared_kernel)

    # Stepping in reading order, the old way and the page's way: bytes sent and time per Step.
    result = lesson.compute(lab_settings, lesson.photo_input(images.load_sample_image(args.photo), False),
                            shared_kernel)
    start = lesson.position_of(height // 2, width // 2, width)
    sent = {"old": [], "new": []}
    last_json = {"old": {}, "new": {}}
    positions = {"old": iter(range(start, 10**9)), "new": iter(range(start, 10**9))}

    def send(way, figures):
        """Bytes Streamlit sends for these figures: in full where changed, else a ~100-byte reference."""
        total = 0
        for key, figure in figures.items():
            text = plotly.io.to_json(figure, validate=False)
            total += len(text) if last_json[way].get(key) != text else 100
            last_json[way][key] = text
        sent[way].append(total)

    def old_step():
        view = lesson.cell_view(result, next(positions["old"]))
        window = (view.window.grid_rows, view.window.grid_cols)
        cell = view.explanation
        send("old", {
            "input": conv_figures.photo_figure(result.input_layer, title=view.grid_title, input_box=view.input_box,
                                               window=window),
            "output": conv_figures.photo_figure(result.output_layer, title=view.texts.output_title,
                                                cell=(view.cell.row, view.cell.col), clickable=True),
            "window": conv_figures.window_figure(cell.window, cell.kernel, cell.products, kinds=cell.kinds,
                                                 channel_names=view.channel_names, title=view.texts.patch_title)})

    def new_step():
        figures = lesson.player_figures(result, lesson.cell_view(result, next(positions["new"])))
        send("new", {name: getattr(figures, name) for name in ("input", "output", "window", "input_zoom",
                                                              "output_zoom")})

    runs = args.runs
    old_ms, new_ms = median_ms(old_step, runs), median_ms(new_step, runs)
    old_kb, new_kb = (statistics.median(sent[way][1:]) / 1000 for way in ("old", "new"))
    old_mean, new_mean = (statistics.mean(sent[way][1:]) / 1000 for way in ("old", "new"))  # tile changes too
    cached = median_ms(cached_rerun, runs)
    base = median_ms(baseline, runs)
    compute = median_ms(rerun_output, runs)
    everything = median_ms(rerun_everything, runs)
    stepping = median_ms(step, runs)
    shipping = median_ms(serialise, runs)

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"photo {args.photo} {width}x{height} RGB, kernel {k}x{k}, 'same' padding, "
          f"{torch.get_num_threads()} torch threads, {os.cpu_count()} CPUs, load average {load}, {runs} runs (medians)")
    print(f"  baseline F.conv2d                               {base:8.1f} ms")
    print(f"  rerun: convolution + output-map figure          {compute:8.1f} ms   x{compute / base:.2f} baseline")
    print(f"  rerun after a padding change (+ input picture)  {everything:8.1f} ms   x{everything / base:.2f} baseline")
    print(f"  step: explain one cell + highlight figures      {stepping:8.1f} ms   x{stepping / base:.2f} baseline")
    print(f"  rerun with nothing to recompute (cache hit)     {cached:8.1f} ms   x{cached / base:.2f} baseline")
    print(f"  (Streamlit then serialises the step's figures:  {shipping:8.1f} ms)")
    print(f"  Step, old player (whole pictures redrawn)       {old_ms:8.1f} ms   {old_kb:8.1f} KB sent")
    print(f"  Step, zoomed player (whole pictures unchanged)  {new_ms:8.1f} ms   {new_kb:8.1f} KB sent"
          f"   x{new_ms / old_ms:.2f} time, x{new_kb / old_kb:.3f} bytes of the old player")
    print(f"  mean KB per Step, tile changes included: old {old_mean:.1f}, zoomed {new_mean:.1f}"
          f"   x{new_mean / old_mean:.3f}")
    print(f"  target: rerun < 100 ms -> {'met' if compute < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
