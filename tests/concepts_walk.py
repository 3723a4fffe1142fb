"""Walk every idea docs/teaching.md teaches to where it lives on the dashboard, and photograph it.

    python tests/concepts_walk.py --out DIR [--width 1280 --height 720] [--present]

starts the dashboard (dashboard.testing.server's DashboardServer, on this checkout's data, so the
test set and the shipped networks are there) and headless Chromium, opens each idea's place as a
shared link would (its page and the settings that show it), scrolls the idea's heading or control
into view, and saves what the screen shows as DIR/NN-slug.png. It writes DIR/walk.md, a table of
idea | page, control | screenshot (what a lecturer preparing a lesson reads), and DIR/report.json
with each stop's url, seconds, the stException texts seen, a bad-link note if the link's settings
were refused, and walk errors. The exit status is 0 when every stop opened cleanly, 1 otherwise.

The stops are STOPS below, in the order the ideas are taught; an idea the dashboard does not yet
show is listed in NOT_YET with the reason, so the table says so rather than leaving it out.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from browser import CHROMIUM, CHROMIUM_ARGS, exceptions_on, wait_until_idle
from dashboard.testing.server import DashboardServer

STEP_TIMEOUT_MS = 180_000
ANCHOR_TIMEOUT_MS = 30_000  # the page has settled by then: an anchor not there by now is missing
# Scroll the element's scrolling ancestor so the element sits just under Streamlit's header.
SCROLL_TO_TOP = """(element) => {
    element.scrollIntoView({block: "start"});
    let box = element.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY))) {
        box = box.parentElement;
    }
    (box || document.scrollingElement).scrollBy(0, -70);
}"""
BAD_LINK = "This link asked for settings"  # the start of dashboard.links' note for refused values


@dataclass(frozen=True)
class Stop:
    """One idea and where it lives: a page (its URL path), the settings that show it, and the text
    on the page (a heading, a control's label, a formula's words) to scroll to before the picture."""

    slug: str
    idea: str
    where: str  # the page and control, as a lecturer would be told
    path: str
    query: dict = field(default_factory=dict)
    anchor: str = ""
    click: str = ""  # a text to click first (an expander's title, a button)
    exact: bool = True  # the anchor is an element's whole text (False: the start of a paragraph)
    button: str = ""  # a button to press first, by its label (where its word also appears in the text)


GRID = "convolution"
PHOTO = {"conv_source": "Photo", "conv_photo": "cat"}
RF = "receptive-fields"
INSIDE = "inside-a-network"
TRAIN = "train"
ATTACKS = "attacks"
LOOKS_FOR = "looks-for"

STOPS: tuple[Stop, ...] = (
    # Convolution
    Stop("cross-correlation", "Cross-correlation, and true convolution (the flipped kernel)",
         "Convolution lab, 2-D tab: \"True convolution (flip the kernel)\" and the player's sum",
         GRID, {"conv_flip": "true"}, "Step by step"),
    Stop("one-d", "The 1-D case y[n] = sum_m x[n+m] w[m]", "Convolution lab, tab \"1-D convolution\"",
         GRID, {"conv_tab": "1-D convolution"}, "1-D convolution"),
    Stop("worked-5x5", "The worked example: 5x5 input, 3x3 X kernel, stride 1 -> 3x3",
         "Convolution lab, input \"Numeric grid\" (the page opens on it)", GRID, {}, "Step by step"),
    Stop("kernels-as-features", "Kernels as feature extractors (Sobel, Laplacian, blur, sharpen, emboss)",
         "Convolution lab, input \"Photo\", kernel preset menu", GRID,
         {**PHOTO, "conv_kernel_photo_preset": "Sobel x"}, "Step by step"),
    Stop("output-size", "The output-size formula with stride and dilation, in the student's numbers",
         "Convolution lab, section \"Arithmetic\" (Stride S, Dilation D)", GRID,
         {"conv_grid_example": "Ramp", "conv_grid_size": "9", "conv_stride": "2", "conv_dilation": "2"}, "Arithmetic"),
    Stop("worked-sizes", "Worked sizes: 28, F=5, P=2 -> 28, then a 2x2 pool -> 14; 227, F=11, S=4 -> 55",
         "Convolution lab, section \"Worked sizes\", \"Layers\" LeNet-5: C1, then a 2x2 pool", GRID,
         {"conv_sizes_layers": "LeNet-5: C1, then a 2x2 pool"}, "Worked sizes"),
    Stop("same-padding", "'same' padding P = (F-1)/2, and 'valid'", "Convolution lab, \"Padding P\" = same",
         GRID, {"conv_kh": "5", "conv_kw": "5", "conv_padding": "same"}, "'same' padding"),
    Stop("padding-modes", "Padding modes: zeros, reflect, replicate, circular",
         "Convolution lab, \"Padding mode\" = reflect", GRID, {"conv_padding": "2", "conv_padding_mode": "reflect"},
         "Step by step"),
    Stop("dilation", "Dilation spaces the kernel taps", "Convolution lab, \"Dilation D\" = 2", GRID,
         {"conv_grid_example": "Ramp", "conv_grid_size": "9", "conv_dilation": "2"}, "Step by step"),
    Stop("groups", "groups: 1 (every channel feeds every map) to C_in (depthwise)",
         "Convolution lab on a photo, \"Groups\" = 3", GRID, {**PHOTO, "conv_groups": "3"}, "Step by step"),
    Stop("channels", "Channels: K kernels of C_in x F x F give K feature maps; the kernel tensor",
         "Convolution lab, section \"Several kernels: one feature map each\"", GRID, PHOTO,
         "Several kernels: one feature map each"),
    Stop("parameters", "Parameters C_out C_in F F + C_out: a 5x5 filter on 32x32x3 has 76",
         "Convolution lab, \"Worked sizes\", \"Layers\" One 5x5 filter on a 32x32x3 image", GRID,
         {"conv_sizes_layers": "One 5x5 filter on a 32x32x3 image"}, "Worked sizes"),
    Stop("one-by-one", "1x1 convolution mixes channels only (a linear layer at every pixel)",
         "Convolution lab, tab \"1x1 convolution\"", GRID, {"conv_tab": "1x1 convolution"}, "1x1 convolution"),
    Stop("transposed", "Transposed convolution (the inverse shape arithmetic)",
         "Convolution lab, \"Operation\" = Transposed convolution", GRID,
         {"conv_operation": "Transposed convolution", "conv_stride": "2"}, "Arithmetic"),
    Stop("im2col", "im2col: convolution as one matrix product",
         "Convolution lab, under \"Arithmetic\", the expander \"As one matrix product (im2col)\"", GRID, {},
         "As one matrix product (im2col)", click="As one matrix product (im2col)"),
    # Pooling
    Stop("pooling", "Max and average pooling, W2 = (W1 - F) / S + 1, no parameters",
         "Convolution lab, \"Operation\" = Max pooling", GRID,
         {"conv_operation": "Max pooling", "conv_kh": "2", "conv_kw": "2", "conv_stride": "2",
          "conv_grid_example": "Random digits", "conv_grid_size": "8"}, "Arithmetic"),
    # Receptive field
    Stop("field-on-image", "The receptive field drawn on a real image, layer by layer; the recurrences",
         "Receptive fields, tab \"Field on your image\": \"Network\", \"Layer (forward order)\"", RF, {},
         "Field size, layer by layer"),
    Stop("vgg-field", "Published values: VGG-16 r = 212, effective stride 32",
         "Receptive fields, \"Network\" VGG-16, its last layer", RF, {"rf_network": "zoo: VGG-16"}, "Field size, layer by layer"),
    Stop("stacked-3x3", "Three 3x3 layers see 7x7 with 27 C^2 weights; one 7x7 needs 49 C^2",
         "Receptive fields, tab \"Small kernels, stacked\", \"Channels C\"", RF,
         {"rf_tab": "Small kernels, stacked"}, "Channels C"),
    Stop("effective-field", "The effective receptive field is roughly Gaussian and smaller",
         "Receptive fields, \"Overlay the effective field (gradient)\"", RF, {"rf_effective": "true"},
         "Overlay the effective field (gradient)"),
    Stop("deeper-layers", "Deeper layers respond to larger, more abstract patterns",
         "Inside a network, Layer outputs, section \"From early to late layers\"", INSIDE, {},
         "From early to late layers"),
    # Networks
    Stop("cnn-pattern", "The pattern INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC",
         "Receptive fields, tab \"Build a stack\", section \"The CNN pattern\"", RF, {"rf_tab": "Build a stack"},
         "The CNN pattern"),
    Stop("lenet5", "LeNet-5 as published (sigmoid, average pooling) beside the modern variant",
         "Receptive fields, tab \"Count the networks\", \"Network\" LeNet-5 (1998)", RF,
         {"rf_tab": "Count the networks", "rf_count_network": "LeNet-5 (1998)"}, "Parameters"),
    Stop("cifar-cnn", "CifarCNN: 5,852,170 parameters, 22.33 MB", "Receptive fields, \"Count the networks\", CifarCNN",
         RF, {"rf_tab": "Count the networks", "rf_count_network": "CIFAR-10 CNN"}, "Parameters"),
    Stop("vgg16-count", "VGG-16: 138,357,544 parameters, most in the first FC layer; activation memory",
         "Receptive fields, \"Count the networks\", VGG-16", RF,
         {"rf_tab": "Count the networks", "rf_count_network": "VGG-16"}, "Parameters"),
    Stop("block-diagrams", "AlexNet, VGG-16, NiN, the Inception block, the residual block, drawn from the models",
         "Receptive fields, \"Count the networks\", section \"Block diagram\"", RF,
         {"rf_tab": "Count the networks", "rf_count_diagram": "GoogLeNet: one Inception block (3a)"}, "Block diagram"),
    # Training
    Stop("softmax", "Softmax, prediction = argmax, cross-entropy = -log p(true class)",
         "Training, tab \"One batch: softmax and loss\"", TRAIN, {"train_tab": "One batch: softmax and loss"},
         "One batch: softmax and loss"),
    Stop("learning-rate", "Learning rates compared: too high diverges, too low crawls; the seed recipe",
         "Training, tab \"Compare learning rates\"", TRAIN, {"train_tab": "Compare learning rates"}, "Learning rates"),
    Stop("over-underfitting", "Over- and underfitting: train and test curves side by side",
         "Training, \"Train a network\": \"Training images\" 500 and \"Model width\"", TRAIN, {"train_train_images": "500"},
         "Training images"),
    Stop("regularisation", "Regularisation: L2 with lambda, dropout on and off, augmentation previews",
         "Training, tab \"Regularisation\"", TRAIN, {"train_tab": "Regularisation"}, "Weight decay (L2)"),
    Stop("transfer-learning", "Transfer learning: reuse a trained network's early layers, retrain the last ones",
         "Training, tab \"Transfer learning\": \"Source network\", \"Training images\", Compare", TRAIN,
         {"train_tab": "Transfer learning"}, "Source network"),
    Stop("normalisation", "Normalisation with per-channel mean and std; the de-normalised image",
         "Inside a network, Layer outputs, \"Layer\" 1. Normalize", INSIDE, {"inside_layer": "1. Normalize normalize (1 x 28 x 28)"},
         "The network's first step standardises each channel", exact=False),
    Stop("confusion", "Evaluation: accuracy and the confusion matrix (actual vs predicted)",
         "Inside a network, \"Look at\" Confusion matrix", INSIDE, {"inside_view": "Confusion matrix"}, "Show"),
    # Seeing inside
    Stop("layer-outputs", "Every layer's feature maps for one image, and every channel of one layer",
         "Inside a network, \"Look at\" Layer outputs", INSIDE, {}, "Layer"),
    Stop("one-unit", "How one unit was computed, by hand, equal to the network's value",
         "Inside a network, Layer outputs, under the chosen channel", INSIDE, {}, "How one unit was computed"),
    Stop("dataset-examples", "The test images that excite a channel most, cropped to its receptive field",
         "Inside a network, Layer outputs, under the chosen channel", INSIDE, {}, "Test images that excite this channel most"),
    Stop("learned-kernels", "Learned kernels: first-layer filters look like edge detectors",
         "Inside a network, \"Look at\" Kernels", INSIDE, {"inside_view": "Kernels"}, "The same layer, untrained (seed 0)"),
    Stop("fgsm", "FGSM: x_adv = clip(x + eps sign(grad_x loss), 0, 1) flips a confident prediction",
         "Adversarial lab, \"Attack one image\": Attack FGSM and the eps slider", ATTACKS, {}, "Attack one image"),
    Stop("accuracy-vs-eps", "Accuracy against eps over the test set, beside the reference curve",
         "Adversarial lab, section \"Accuracy against eps over the test set\"", ATTACKS, {},
         "Accuracy against ε over the test set"),
    Stop("distribution-shift", "Distribution shift: accuracy falls on rotated, inverted, noisy test images",
         "Inside a network, \"Look at\" Distribution shift", INSIDE, {"inside_view": "Distribution shift"},
         "Change the test images"),
    Stop("attribution", "What the network looked at: saliency and Grad-CAM",
         "Inside a network, \"Look at\" Attribution", INSIDE, {"inside_view": "Attribution"}, "Method"),
    Stop("draw-your-own", "Draw your own input: the prediction and every layer follow the pen",
         "Inside a network, \"Image\" = Draw your own", INSIDE, {"inside_source": "Draw your own"}, "Image"),
    Stop("embeddings", "The penultimate layer's features: t-SNE and PCA, neighbours in feature and pixel space",
         "Inside a network, \"Look at\" Embeddings: \"Projection\", \"Neighbours\"", INSIDE,
         {"inside_view": "Embeddings"}, "Projection"),
    # What a network looks for (Run pressed; a run kept from an earlier visit shows at once)
    Stop("class-pictures", "Gradient ascent on the pixels: the picture each class score likes best, with the priors",
         "What a network looks for, \"Class or channel\", Every class, Run", LOOKS_FOR, {}, "Make larger", button="Run"),
    Stop("deepdream", "DeepDream: a layer's activations made larger on a photo",
         "What a network looks for, \"Method\" DeepDream, Run", LOOKS_FOR, {"fv_method": "DeepDream"}, "Photo from",
         button="Run"),
    Stop("feature-inversion", "Feature inversion: an image rebuilt from each layer's features, what each depth keeps",
         "What a network looks for, \"Method\" Feature inversion, Run", LOOKS_FOR, {"fv_method": "Feature inversion"},
         "Test image number", button="Run"),
)
NOT_YET: dict[str, str] = {}


@dataclass
class Visit:
    """What happened at one stop."""

    stop: Stop
    url: str
    screenshot: str = ""
    seconds: float = 0.0
    exceptions: list[str] = field(default_factory=list)
    bad_link: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.exceptions or self.bad_link or self.errors)


def visit(page, base_url: str, number: int, stop: Stop, out: Path, present: bool) -> Visit:
    """Open the stop's link, scroll its anchor into view and photograph the screen; errors are recorded."""
    query = {**stop.query, **({"present": "true"} if present else {})}
    url = f"{base_url}/{stop.path}" + (f"?{urlencode(query)}" if query else "")
    seen = Visit(stop, url)
    began = time.monotonic()
    try:
        page.goto(url)
        wait_until_idle(page, STEP_TIMEOUT_MS)
        if stop.click:
            page.get_by_text(stop.click, exact=True).first.click()
            wait_until_idle(page, STEP_TIMEOUT_MS)
        if stop.button:
            page.get_by_role("button", name=stop.button, exact=True).first.click()
            wait_until_idle(page, STEP_TIMEOUT_MS)
        if stop.anchor:
            # The first visible element whose whole text is the anchor (a heading, a label), put at
            # the top of the screen so the picture under it fills the shot.
            anchor = page.get_by_text(stop.anchor, exact=stop.exact).filter(visible=True).first
            anchor.wait_for(timeout=ANCHOR_TIMEOUT_MS)
            anchor.evaluate(SCROLL_TO_TOP)
            page.wait_for_timeout(600)
        seen.exceptions = exceptions_on(page)
        note = page.get_by_text(BAD_LINK)
        seen.bad_link = note.first.inner_text() if note.count() else ""
    except Exception as error:  # a timeout or a missing anchor: note it and walk on
        seen.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    try:
        name = f"{number:02d}-{stop.slug}.png"
        page.screenshot(path=str(out / name))
        seen.screenshot = name
    except Exception as error:
        seen.errors.append(f"screenshot: {type(error).__name__}")
    seen.seconds = time.monotonic() - began
    return seen


def table(visits: list[Visit], out: Path, size: str) -> str:
    """The walk as markdown: idea | page, control | screenshot (| problems, where any)."""
    lines = [f"# Where each idea lives ({size})", "", "| idea | page, control | screenshot |", "| --- | --- | --- |"]
    for seen in visits:
        problems = "; ".join(seen.exceptions + seen.errors + ([seen.bad_link] if seen.bad_link else []))
        shot = str(out / seen.screenshot) if seen.screenshot else "(none)"
        lines.append(f"| {seen.stop.idea} | {seen.stop.where} | {shot}{' **' + problems + '**' if problems else ''} |")
    lines += [f"| {idea} | {why} | (none) |" for idea, why in NOT_YET.items()]
    return "\n".join(lines) + "\n"


def walk(out: Path, width: int, height: int, present: bool, only: str = "") -> list[Visit]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    stops = [s for s in STOPS if not only or only in s.slug]
    server = DashboardServer()
    visits: list[Visit] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            for number, stop in enumerate(stops, start=1):
                visits.append(seen := visit(page, server.url, number, stop, out, present))
                print(f"{number:02d} {stop.slug}: {seen.seconds:.1f} s{'' if seen.clean else ' PROBLEM'}", flush=True)
            browser.close()
    finally:
        server.stop()
    size = f"{width}x{height}{', presentation mode' if present else ''}"
    (out / "walk.md").write_text(table(visits, out, size))
    report = [{**asdict(v), "stop": asdict(v.stop), "clean": v.clean} for v in visits]
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return visits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the screenshots, walk.md and report.json")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--present", action="store_true", help="open every link with ?present=true")
    parser.add_argument("--only", default="", help="walk only the stops whose slug contains this")
    args = parser.parse_args(argv)
    visits = walk(args.out, args.width, args.height, args.present, args.only)
    problems = [v for v in visits if not v.clean]
    print(f"{len(visits) - len(problems)} of {len(visits)} stops clean; table in {args.out / 'walk.md'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
