"""What the page's controls ask for, as one hashable Plan, and running it.

A Plan names everything that decides the pictures (network, method, targets, steps, priors, the
image), so equal plans make equal pictures on the CPU (the jitter and the start noise are
seeded) and a finished run can be kept for everyone who asks for the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from cnnviz import feature_vis
from cnnviz.feature_vis import Ascent, Regularisation

STEP_CHOICES = (32, 64, 128, 256, 512)  # the Steps slider
DEFAULT_STEPS = 256
MAX_PICTURES = 16  # at most this many pictures in one batch: every class or channel beyond is left out
MAX_EVERY_CLASS = 16  # "Every class" is offered up to this many classes (ImageNet's 1,000 get one at a time)
TARGET_KINDS = {"class": "Class score", "channel": "Channel"}
EVERY_CLASS = "Every class"
EVERY_CHANNEL = f"Every channel (the first {MAX_PICTURES})"
JITTER_CHOICES = (0, 1, 2, 3, 4)  # pixels
L2_CHOICES = (0.0, 0.001, 0.01, 0.1)
BLUR_CHOICES = (0, 2, 4, 8)  # blur every this many steps; 0: never
DEFAULT_JITTER, DEFAULT_L2, DEFAULT_BLUR = 1, 0.01, 4
BLUR_SIGMA = 0.5
INVERSION_TV = 1e-3  # total variation weight for inversion (pictures with smooth regions)
DREAM_JITTER = 2
LEARNING_RATES = {"maximise": 0.05, "dream": 0.001, "invert": 0.05}  # Adam's step, in pixel units
DREAM_SCALE, DREAM_LARGEST = 4, 224  # the photo is dreamt on at 4 x the network's side, at most 224 px
MAX_INVERTED_LAYERS = 8
SEED = 0
# The steps whose output the next layer reads, for inversion (a convolution's raw output is the
# same as the ReLU's input, so only one of the two is shown).
READ_KINDS = frozenset({"ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"})


@dataclass(frozen=True)
class Plan:
    """One feature visualization, as the page's controls chose it.

    Attributes:
        method: "maximise", "dream" or "invert" (texts.METHODS).
        layer: the layer of a channel or a dream ("" for class scores and inversion).
        targets: class indices or channel indices (maximise), the inverted layers (invert), or
            one channel index or nothing (dream: the whole layer).
        steps: Adam steps.
        regularisation: the priors.
        image: the hash of the photo or image (dream and invert), "" otherwise.
    """

    method: str
    layer: str
    targets: tuple
    steps: int
    regularisation: Regularisation
    image: str = ""

    @property
    def kind(self) -> str:
        """"class", "channel", "dream" or "invert"."""
        if self.method == "maximise":
            return "channel" if self.layer else "class"
        return self.method


def maximise_regularisation(regularise: bool, jitter: int, l2: float, blur_every: int) -> Regularisation:
    """The priors for class and channel pictures from the page's controls (none when unticked)."""
    if not regularise:
        return Regularisation.none()
    return Regularisation(jitter=int(jitter), l2=float(l2), blur_every=int(blur_every), blur_sigma=BLUR_SIGMA)


def method_regularisation(method: str, regularise: bool) -> Regularisation:
    """The fixed priors of DeepDream (jitter) and inversion (total variation)."""
    if not regularise:
        return Regularisation.none()
    if method == "dream":
        return Regularisation(jitter=DREAM_JITTER, l2=0.0, blur_every=0, blur_sigma=0.0)
    return Regularisation(jitter=0, l2=0.0, blur_every=0, blur_sigma=0.0, tv=INVERSION_TV)


def class_options(classes: Sequence[str]) -> list[str]:
    """The class menu: "Every class" first when there are few enough, then each class."""
    return ([EVERY_CLASS] if len(classes) <= MAX_EVERY_CLASS else []) + list(classes)


def chosen_classes(choice: str, classes: Sequence[str]) -> tuple[int, ...]:
    """The class indices a menu entry means."""
    if choice == EVERY_CLASS:
        return tuple(range(min(len(classes), MAX_PICTURES)))
    return (list(classes).index(choice),)


def channel_options(channels: int) -> list[str]:
    """The channel menu: every channel first, then each channel's number."""
    return [EVERY_CHANNEL] + [str(c) for c in range(channels)]


def chosen_channels(choice: str, channels: int) -> tuple[int, ...]:
    """The channel indices a menu entry means (a number past the layer's channels: the last one)."""
    if choice == EVERY_CHANNEL:
        return tuple(range(min(channels, MAX_PICTURES)))
    return (min(int(choice), channels - 1),)


def spatial_layers(kinds: Mapping[str, tuple[str, tuple[int, ...]]]) -> dict[str, int]:
    """{label: channels} of the layers whose output is feature maps (C, H, W): those whose channels
    can be pictured or dreamt with (feature_vis.layer_kinds gives ``kinds``)."""
    return {label: shape[0] for label, (_, shape) in kinds.items() if len(shape) == 3}


ALL_CHANNELS = "All channels"


def dream_channel_options(channels: int) -> list[str]:
    """The dream's channel menu: the whole layer first, then each channel's number."""
    return [ALL_CHANNELS] + [str(c) for c in range(channels)]


def dream_channel(choice: str, channels: int) -> tuple[int, ...]:
    """A dream plan's targets: () for the whole layer, else the one channel."""
    return () if choice == ALL_CHANNELS else (min(int(choice), channels - 1),)


def first_dream_layer(kinds: Mapping[str, tuple[str, tuple[int, ...]]]) -> int:
    """Where in spatial_layers(kinds) a layer menu starts: the middle activation (edges early, parts
    late). An activation, because squaring a convolution's raw output also rewards strongly negative
    responses, which the ReLU after it throws away."""
    layers = list(spatial_layers(kinds))
    activations = [label for label in layers if kinds[label][0] in READ_KINDS and "Pool" not in kinds[label][0]]
    return layers.index(activations[len(activations) // 2]) if activations else len(layers) // 2


def inverted_layers(kinds: Mapping[str, tuple[str, tuple[int, ...]]]) -> tuple[str, ...]:
    """The layers an image is rebuilt from, early to late, ending at the logits: each activation or
    pooling output (what the next layer reads), at most MAX_INVERTED_LAYERS, evenly spaced."""
    read = [label for label, (kind, _) in kinds.items() if kind in READ_KINDS]
    chosen = read + [feature_vis.LOGITS]
    if len(chosen) > MAX_INVERTED_LAYERS:
        last = len(chosen) - 1
        chosen = [chosen[round(i * last / (MAX_INVERTED_LAYERS - 1))] for i in range(MAX_INVERTED_LAYERS)]
    return tuple(dict.fromkeys(chosen))


def dream_side(input_side: int) -> int:
    """The side, in pixels, of the square a photo is dreamt on."""
    return min(DREAM_SCALE * input_side, max(DREAM_LARGEST, input_side))


def run(model: nn.Module, plan: Plan, image: torch.Tensor | None = None, *, start: torch.Tensor | None = None,
        steps: int | None = None, on_progress: Callable[[int, torch.Tensor], None] | None = None,
        should_stop: Callable[[], bool] | None = None) -> Ascent:
    """The pictures ``plan`` asks for.

    Args:
        model: the network (a private copy: hooks are added while it runs).
        plan: what to make.
        image: (1, C, H, W) in [0, 1]: the photo to dream on, or the image to invert.
        start: pictures to start from instead of the plan's own start (a stopped run's pictures,
            measured with steps=0).
        steps: instead of plan.steps.

    Raises:
        cnnviz.feature_vis.FeatureVisError: a target or image the network cannot take.
    """
    options = {"steps": plan.steps if steps is None else steps, "lr": LEARNING_RATES[plan.method],
               "regularisation": plan.regularisation, "seed": SEED, "on_progress": on_progress,
               "should_stop": should_stop, "start": start}
    if plan.kind == "class":
        return feature_vis.maximise_classes(model, plan.targets, **options)
    if plan.kind == "channel":
        return feature_vis.maximise_channels(model, plan.layer, plan.targets, **options)
    if image is None:
        raise feature_vis.FeatureVisError("This method needs an image.")
    if plan.kind == "dream":
        options.pop("start")
        photo = image if start is None else start
        return feature_vis.deep_dream(model, photo, plan.layer, plan.targets[0] if plan.targets else None, **options)
    return feature_vis.invert(model, image, plan.targets, **options)
