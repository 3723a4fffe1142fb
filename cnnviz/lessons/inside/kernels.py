"""The Kernels view: a convolution layer's learned kernels beside the same layer untrained, the
sentence on the weights' shape, and the first layer's snapshots during training."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz import learned_kernels

KERNEL_NORMALISATIONS = {"per_kernel": "per kernel", "per_layer": "per layer", "symmetric": "symmetric around 0"}
NO_CONVOLUTION = "This network has no convolution layers."
NO_SNAPSHOTS = ("Networks trained on the Training page keep their first-layer kernels after each epoch; "
                "this one has none, so there is no epoch slider.")
UNTRAINED_TITLE = "The same layer, untrained (seed 0)"


def conv_layer_names(model) -> list[str]:
    """The network's convolution layers, in registration order: the kernel menu."""
    return [name for name, _ in learned_kernels.conv_layers(model)]


@dataclass(frozen=True)
class KernelView:
    """One convolution layer's kernels, trained and untrained.

    Attributes:
        description: the sentence on the weights' shape and how they are drawn (Markdown).
        trained, untrained: the layer's kernel pictures, in this network and freshly initialised.
        snapshots: [(label, weights)] of the first layer during training, when this is the first
            layer and the checkpoint kept them; else empty.
        no_snapshots: the caption saying why there is no epoch slider, or None.
    """

    description: str
    trained: learned_kernels.KernelPictures
    untrained: learned_kernels.KernelPictures
    snapshots: list
    no_snapshots: str | None

    @property
    def snapshot_labels(self) -> list[str]:
        """The epoch slider's stops, "before training" first when the checkpoint kept it."""
        return [label for label, _ in self.snapshots]

    def snapshot(self, label: str, normalisation: str) -> learned_kernels.KernelPictures:
        """The first layer's kernels at the snapshot called ``label``."""
        return learned_kernels.kernel_pictures(dict(self.snapshots)[label], normalisation)


def kernel_view(model, untrained_model, layer: str, normalisation: str, meta: dict) -> KernelView:
    """The kernels of convolution ``layer`` of ``model`` and of its untrained twin.

    Args:
        model, untrained_model: the network and the same architecture freshly initialised.
        layer: one of conv_layer_names(model).
        normalisation: one of KERNEL_NORMALISATIONS.
        meta: the checkpoint's meta ({} for a zoo network), for the first layer's snapshots.

    Returns:
        KernelView.
    """
    weight = dict(learned_kernels.conv_layers(model))[layer].weight  # (C_out, C_in/groups, F_h, F_w)
    twin = dict(learned_kernels.conv_layers(untrained_model))[layer].weight
    inputs = weight.shape[1]
    description = (
        f"`{layer}` has weights of shape {' x '.join(str(n) for n in weight.shape)} "
        "(output channels x input channels x height x width). "
        + ("Its input is colour, so each kernel is drawn as a small RGB picture." if inputs == 3 else
           "Its input has one channel, so each picture is one output channel's kernel." if inputs == 1 else
           "Each row is one output channel, each column one input channel.")
    )
    first = layer == conv_layer_names(model)[0]
    snapshots = learned_kernels.kernel_snapshots(meta) if first else []
    return KernelView(description, learned_kernels.kernel_pictures(weight, normalisation),
                      learned_kernels.kernel_pictures(twin, normalisation), snapshots,
                      NO_SNAPSHOTS if first and not snapshots else None)
