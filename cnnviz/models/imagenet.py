"""torchvision's ImageNet classics (AlexNet, VGG-16, GoogLeNet, ResNet-18, ResNet-50) for [0, 1] pixels.

Each network is torchvision's own module, kept whole under ``net`` behind a ``normalize`` layer:

    model.normalize   Normalize(ImageNet mean, std)
    model.net         the torchvision model, so its names stay the ones users know:
                      net.features / net.classifier (AlexNet, VGG-16), net.inception5b / net.fc
                      (GoogLeNet), net.layer4 / net.fc (ResNets)

Wrapping (rather than subclassing) keeps torchvision's constructors and state_dict layout
untouched, so ImageNet weight files load into ``model.net`` as they are.

ImageNet weights are optional and never required: a lecture hall has no internet. With
``weights="imagenet"`` the file is taken from torch's hub cache if it is there, downloaded only
if download.pytorch.org answers within a few seconds, and otherwise ``WeightsUnavailable`` says
so in a sentence; the untrained network always builds.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from cnnviz.models import config_checks as check
from cnnviz.models.normalize import IMAGENET_MEAN, IMAGENET_STD, Normalize

# name -> (title for sentences, state_dict prefix of the last linear layer: the 1000-class head)
ARCHITECTURES: dict[str, tuple[str, str]] = {
    "alexnet": ("AlexNet", "classifier.6."),
    "vgg16": ("VGG-16", "classifier.6."),
    "googlenet": ("GoogLeNet", "fc."),
    "resnet18": ("ResNet-18", "fc."),
    "resnet50": ("ResNet-50", "fc."),
}
IMAGENET_NUM_CLASSES = 1000
# An offline machine refuses the connection or fails DNS at once; a firewall that drops packets
# would otherwise hang urllib (it has no timeout) until the OS gives up minutes later.
DOWNLOAD_PROBE_TIMEOUT_S = 3.0


class WeightsUnavailable(ValueError):
    """ImageNet weights were asked for but are neither cached on this machine nor downloadable."""


def _default_weights(name: str):
    """torchvision's recommended ImageNet weights enum member for architecture ``name``."""
    import torchvision

    return torchvision.models.get_model_weights(name).DEFAULT


def imagenet_weights_file(name: str) -> Path:
    """Where torch keeps (or would keep) the ImageNet weights of ``name``.

    It is ``<torch hub dir>/checkpoints/<file name in the download URL>``, e.g.
    ~/.cache/torch/hub/checkpoints/resnet18-f37072fd.pth; ``$TORCH_HOME`` moves it. Copying the
    file there before a lecture makes ``weights="imagenet"`` work offline.
    """
    if name not in ARCHITECTURES:
        raise ValueError(f"There are no ImageNet weights for {name!r}; choose one of {', '.join(ARCHITECTURES)}.")
    file_name = os.path.basename(urlparse(_default_weights(name).url).path)
    return Path(torch.hub.get_dir()) / "checkpoints" / file_name


def _server_answers(url: str, timeout_s: float = DOWNLOAD_PROBE_TIMEOUT_S) -> bool:
    """True if a TCP connection to the server of ``url`` opens within ``timeout_s`` seconds."""
    parts = urlparse(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    answered: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((parts.hostname, port), timeout=timeout_s):
                answered.append(True)
        except OSError:
            answered.append(False)

    # A thread bounds the DNS lookup too, which create_connection's timeout does not cover.
    probe = threading.Thread(target=connect, daemon=True)
    probe.start()
    probe.join(timeout_s + 1.0)
    return bool(answered and answered[0])


def load_imagenet_state_dict(name: str) -> dict[str, torch.Tensor]:
    """torchvision's ImageNet state_dict for ``name``: from the cache, else a quick download.

    Raises:
        WeightsUnavailable: the file is not cached and cannot be downloaded, or cannot be read.
    """
    title = ARCHITECTURES[name][0]
    path = imagenet_weights_file(name)
    url = _default_weights(name).url
    if not path.exists() and not _server_answers(url):
        raise WeightsUnavailable(
            f"ImageNet weights for {title} are not on this machine and cannot be downloaded "
            f"(no internet). The network is available untrained. To use the weights offline, "
            f"copy {path.name} into {path.parent}."
        )
    try:
        return torch.hub.load_state_dict_from_url(
            url, progress=False, check_hash=True, map_location="cpu", weights_only=True
        )
    except Exception as error:  # network drop, bad hash, damaged cache file: all mean "not usable"
        raise WeightsUnavailable(
            f"ImageNet weights for {title} could not be loaded from {path} ({type(error).__name__}). "
            f"The network is available untrained; delete the file and try again to re-download it."
        ) from error


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet class names in logit order ("tench", "goldfish", ...); no download needed."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


class ImageNetClassifier(nn.Module):
    """A torchvision ImageNet architecture that takes [0, 1] pixels: normalize -> net.

    Args:
        arch: "alexnet", "vgg16", "googlenet", "resnet18" or "resnet50".
        num_classes: logits of the last layer. With ImageNet weights and a number other than
            1000, every layer but that head gets the ImageNet weights (transfer learning) and
            the head starts fresh.
        weights: None (untrained, torchvision's initialisation) or "imagenet" (torchvision's
            recommended ImageNet weights for the architecture).
        transform_input: GoogLeNet only. Its ImageNet weights came from a network fed
            (x - 0.5) / 0.5, and torchvision re-maps the input inside the network when this is
            True. None means "True exactly when weights are ImageNet's"; the resolved value is
            kept in ``config`` so that a fine-tuned copy rebuilds the same way.

    Shapes:
        input (N, 3, 224, 224) floats in [0, 1] (other sizes from about 64 up work too);
        output logits (N, num_classes).

    In-place ReLUs are switched off (same numbers) so that hooks see every activation intact.
    GoogLeNet is built without its auxiliary training heads (aux_logits=False) and, when
    untrained, with its own initialisation (init_weights=True).
    """

    def __init__(
        self,
        arch: str,
        *,
        num_classes: int = IMAGENET_NUM_CLASSES,
        weights: str | None = None,
        transform_input: bool | None = None,
    ) -> None:
        super().__init__()
        import torchvision

        if arch not in ARCHITECTURES:
            raise ValueError(f"There is no ImageNet architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}.")
        num_classes = check.positive_int(arch, "num_classes", num_classes)
        weights = check.choice(arch, "weights", weights, (None, "imagenet"))
        options: dict[str, object] = {}
        if arch == "googlenet":
            transform_input = weights == "imagenet" if transform_input is None else transform_input
            options["transform_input"] = check.flag(arch, "transform_input", transform_input)
        elif transform_input is not None:
            raise ValueError(f"{arch}: 'transform_input' is a GoogLeNet setting only.")

        # Fetch weights before building, so an offline request fails before any big allocation.
        state_dict = load_imagenet_state_dict(arch) if weights == "imagenet" else None
        # GoogLeNet's own initialisation (truncated normal) is slow; skip it, as torchvision does,
        # when the ImageNet weights will overwrite it anyway.
        extra = {"aux_logits": False, "init_weights": state_dict is None} if arch == "googlenet" else {}
        self.normalize = Normalize(IMAGENET_MEAN, IMAGENET_STD)
        self.net = torchvision.models.get_model(arch, weights=None, num_classes=num_classes, **extra, **options)
        for module in self.net.modules():
            if isinstance(module, nn.ReLU):
                module.inplace = False
        if state_dict is not None:
            self._load_imagenet(arch, state_dict, keep_head=num_classes == IMAGENET_NUM_CLASSES)

        self.config = {"name": arch, "num_classes": num_classes, "weights": weights, **options}
        self.input_shape = (3, 224, 224)
        self.num_classes = num_classes

    def _load_imagenet(self, arch: str, state_dict: dict[str, torch.Tensor], *, keep_head: bool) -> None:
        head = ARCHITECTURES[arch][1]
        # GoogLeNet's file also holds the auxiliary heads, which this network leaves out.
        skipped = ("aux1.", "aux2.") + (() if keep_head else (head,))
        wanted = {key: value for key, value in state_dict.items() if not key.startswith(skipped)}
        try:
            result = self.net.load_state_dict(wanted, strict=False)
            ok = not result.unexpected_keys and all(key.startswith(head) for key in result.missing_keys)
            ok = ok and (not keep_head or not result.missing_keys)
        except RuntimeError:  # a tensor of the wrong shape
            ok = False
        if not ok:
            raise WeightsUnavailable(
                f"The cached ImageNet weights file for {ARCHITECTURES[arch][0]} does not fit the "
                f"network; delete {imagenet_weights_file(arch)} and try again to re-download it."
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x (N, 3, H, W) floats in [0, 1]. Returns: logits (N, num_classes)."""
        return self.net(self.normalize(x))
