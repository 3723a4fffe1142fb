"""The 2-D tab's controls: what each widget offers (declared once, read by the page's widgets and
walked by the tests), which controls an operation offers, and the frozen Settings holding one
field per URL parameter, turned into the layer's keyword arguments."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz import conv, images, kernels

# The page's widgets read these, and the tests walk every value. Ranges are (lowest, highest), both
# offered.

SOURCES = ("Numeric grid", "Photo", "Upload")
OPERATIONS = {
    "Convolution": "conv",
    "Transposed convolution": "transposed",
    "Max pooling": "max_pool",
    "Average pooling": "avg_pool",
}
GRID_SIZES = (5, 6, 7, 8, 9)
KERNEL_SIDES = (1, kernels.MAX_KERNEL_SIDE)
STRIDES = (1, 5)
PADDINGS = ("0", "1", "2", "3", "4", "5", "same", "valid")
DILATIONS = (1, 4)
GROUPS = (1, 2, 3)
GROUP_CAPTIONS = ("all channels -> 1 map", "2 maps", "depthwise")
OUTPUT_PADDINGS = (0, 4)
BIASES = (-10.0, 10.0)
BIAS_STEP = 0.1
PHOTO_INDEX = 1  # the photo menu opens on the second bundled photo
FALLBACK_PHOTO = "astronaut"  # shown while no upload is there, or when it cannot be read
GRID_PRESET = "Classic X (worked example)"  # the kernel the grid opens with (its worked example)
PHOTO_PRESET = "Sobel x"


def is_pool(operation: str) -> bool:
    """Pooling (an OPERATIONS value) has no kernel to edit, no bias and no groups."""
    return operation in ("max_pool", "avg_pool")


def offers_groups(operation: str, channels: int) -> bool:
    """Groups are offered for (transposed) convolution of an RGB input only."""
    return not is_pool(operation) and channels == 3


def offers_per_channel(operation: str, channels: int) -> bool:
    """A kernel per colour channel is offered where there are weights and three channels."""
    return not is_pool(operation) and channels == 3


def default_preset(source: str) -> str:
    """The kernel preset the editors open with: the worked example on the grid, edges on photos."""
    return GRID_PRESET if source == SOURCES[0] else PHOTO_PRESET



@dataclass(frozen=True)
class Settings:
    """The 2-D lab's controls: one field per URL parameter, named as it (= the widget key).

    A field whose widget the page does not show for these settings (groups on one channel, output
    padding outside transposed convolution, a padding mode outside convolution) is ignored, as the
    page ignores it.
    """

    conv_source: str = SOURCES[0]
    conv_grid_example: str = kernels.GRID_EXAMPLES[0]
    conv_grid_size: int = GRID_SIZES[0]
    conv_photo: str = images.sample_image_names()[PHOTO_INDEX]
    conv_grey: bool = False
    conv_operation: str = next(iter(OPERATIONS))
    conv_kh: int = 3
    conv_kw: int = 3
    conv_per_channel: bool = False
    conv_bias: float = 0.0
    conv_flip: bool = False
    conv_stride: int = STRIDES[0]
    conv_padding: str = PADDINGS[0]
    conv_padding_mode: str = conv.PADDING_MODES[0]
    conv_dilation: int = DILATIONS[0]
    conv_groups: int = GROUPS[0]
    conv_output_padding: int = OUTPUT_PADDINGS[0]

    @property
    def operation(self) -> str:
        """The operation as cnnviz.conv names it ("conv", "transposed", "max_pool", "avg_pool")."""
        return OPERATIONS[self.conv_operation]

    @property
    def is_grid(self) -> bool:
        return self.conv_source == SOURCES[0]

    @property
    def kernel_size(self) -> tuple[int, int]:
        """(F_h, F_w)."""
        return int(self.conv_kh), int(self.conv_kw)

    def layer_kwargs(self, channels: int) -> dict:
        """ConvSettings keyword arguments (kernel size and operation apart) for `channels` inputs."""
        operation = self.operation
        groups = int(self.conv_groups) if offers_groups(operation, channels) else 1
        output_padding = int(self.conv_output_padding) if operation == "transposed" else 0
        return settings_kwargs(operation, channels, int(self.conv_stride), self.conv_padding,
                               self.conv_padding_mode, int(self.conv_dilation), groups, output_padding)


DEFAULT = Settings()  # what the widgets open with


def settings_kwargs(operation: str, channels: int, stride: int, padding_choice: str, mode: str, dilation: int,
                    groups: int, output_padding: int) -> dict:
    """The lab's control values -> ConvSettings keyword arguments (kernel size and operation apart).

    Args:
        operation: one of conv.OPERATIONS.
        channels: input channels (1 or 3).
        stride, dilation, groups, output_padding: as the controls give them.
        padding_choice: a padding entry: a whole number as text, "same" or "valid".
        mode: the padding mode; only convolution uses it (the others pad with zeros).

    Returns:
        dict for conv.ConvSettings(operation=..., kernel_size=..., **kwargs).
    """
    padding = padding_choice if padding_choice in ("same", "valid") else int(padding_choice)
    return dict(stride=stride, padding=padding, padding_mode=mode if operation == "conv" else "zeros",
                dilation=dilation, groups=groups, output_padding=output_padding,
                in_channels=channels, out_channels=1 if groups == 1 else groups)
