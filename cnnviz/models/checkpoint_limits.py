"""What a checkpoint may cost the server, checked before it costs anything.

Checkpoints are students' uploads and every page opens them, so a file must not be able to
describe more work than the largest network in the registry: a 3 KB file can ask for a network
whose one forward pass keeps 14 GB of activations, and a 4 MB zip can unpack to 4 GiB inside
``torch.load``. Each check reads only what is already small (the zip's directory, the settings,
a meta-device skeleton, the unpickled class names and meta) and returns the one sentence that
refuses the file, or None when the file is fine; ``load_checkpoint`` raises it.

Every limit sits just above the largest network in the registry at its default settings, so
all of them, and every checkpoint trained here, load.
"""

from __future__ import annotations

import math
import struct
import zipfile
from typing import Any, BinaryIO

import torch
from torch import nn

UNREADABLE = "This file is not a cnnviz checkpoint (it could not be read as a PyTorch file)."

# VGG-16 has 138 M parameters, the most in the registry.
MAX_PARAMETERS = 200_000_000
# ResNet-50 keeps 32.2 M values when every layer's output for one image is kept, as the Inside
# page does (VGG-16: 28.8 M); 40 M fp32 values are 160 MB.
MAX_ACTIVATION_VALUES = 40_000_000
# VGG-16 needs 15.5 billion multiply-adds per 224 x 224 image, the most in the registry.
MAX_MULT_ADDS = 20_000_000_000
# The ImageNet networks take 224 px; the datasets here are 28 to 64 px.
MAX_INPUT_SIZE = 512
# Images are grey (1) or colour (3); a few more leave room for experiments.
MAX_INPUT_CHANNELS = 16
# VGG-16's fully connected layers are 4,096 wide, the widest layer in the registry.
MAX_WIDTH = 4096
# ImageNet's 1,000 classes, the most of any dataset the networks here are built for.
MAX_CLASSES = 1000
MAX_NAME_CHARS = 60  # class names and the dataset name: ImageNet's longest has 30 characters

# The zip that torch.save writes: one entry per tensor and a few more (ResNet-50 has 320 tensors),
# every entry stored uncompressed, so the bytes torch.load reads are the bytes of the file.
MAX_ARCHIVE_ENTRIES = 2000
MAX_ENTRY_BYTES = MAX_PARAMETERS * 4  # all the fp32 weights of the largest network allowed
# data.pkl (settings, class names, meta) is unpickled in pure Python at up to 2 us a byte (a
# pickle of tensor views), so its size bounds the time torch.load takes: 4 MB, about 8 s. The
# shipped ones take 40 KB, a 50-epoch run on the Training page under 0.5 MB.
MAX_PICKLE_BYTES = 4 * 2**20
# The weights, data.pkl, and room for the zip's own headers and small entries.
MAX_ARCHIVE_BYTES = MAX_ENTRY_BYTES + 64 * 2**20

# config and meta are JSON values. Meta's biggest legitimate part is one kernel snapshot per
# epoch (51 x 864 numbers for a 50-epoch run of the CIFAR-10 CNN); counting visits, not objects,
# also bounds a list that holds the same list a million times over (a few bytes of pickle).
MAX_CONFIG_VALUES = 200
MAX_META_VALUES = 2_000_000
MAX_NESTING = 16  # the shipped metas nest 7 deep
MAX_META_CHARS = 1000  # any one string in meta or config (the shipped ones have at most 25)
MAX_META_INT = 10**15  # an int of thousands of digits cannot even be printed
MAX_EPOCHS = 100_000

_EOCD = struct.Struct("<4s4H2LH")  # zip end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_MAX_COMMENT = 65535


def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size < 2**30 else f"{size / 2**30:,.1f} GB"


def short(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """``text`` cut to ``limit`` characters with unprintable ones replaced, for quoting in a sentence."""
    text = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _directory_counts(stream: BinaryIO, start: int, end: int) -> tuple[int, int] | None:
    """(entries, central directory bytes) from the zip's end records, or None without them.

    Read before ``zipfile`` parses the directory: a 25 MB file can list half a million entries,
    and zipfile builds an object for each. The zip64 record wins when there is one, as it does
    for zipfile and for torch's reader.
    """
    tail_at = max(start, end - _EOCD.size - _MAX_COMMENT)
    stream.seek(tail_at)
    tail = stream.read(end - tail_at)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        return None
    record = _EOCD.unpack_from(tail, at)
    entries, directory_bytes = record[4], record[5]
    locator_at = tail_at + at - _ZIP64_LOCATOR.size
    if locator_at >= start:
        stream.seek(locator_at)
        locator = _ZIP64_LOCATOR.unpack(stream.read(_ZIP64_LOCATOR.size))
        if locator[0] == b"PK\x06\x07":
            stream.seek(start + locator[2])
            raw = stream.read(_ZIP64_EOCD.size)
            if len(raw) < _ZIP64_EOCD.size or not raw.startswith(b"PK\x06\x06"):
                return None
            zip64 = _ZIP64_EOCD.unpack(raw)
            entries, directory_bytes = zip64[7], zip64[8]
    return entries, directory_bytes


def archive_problem(stream: BinaryIO) -> str | None:
    """Why the zip in ``stream`` must not reach torch.load, read from its directory alone.

    torch.load unpacks each entry whole before it checks anything, and its reader inflates
    DEFLATE entries although torch.save never writes them: a 4 MB file of compressed zeros
    claiming 4 GiB raised the server's peak memory by 4 GB. Nothing here decompresses or reads
    an entry.

    Args:
        stream: a seekable binary file holding a zip (it starts with b"PK\\x03\\x04"); its
            position is restored.

    Returns:
        A sentence refusing the file, or None when its entries are few, stored uncompressed,
        disjoint and small enough.
    """
    start = stream.tell()
    try:
        end = stream.seek(0, 2)
        size = end - start
        if size > MAX_ARCHIVE_BYTES:
            return (f"This checkpoint file is {_mb(size)}; cnnviz opens checkpoints of up to "
                    f"{_mb(MAX_ARCHIVE_BYTES)} (VGG-16's is 528 MB).")
        counts = _directory_counts(stream, start, end)
        if counts is None:
            return UNREADABLE
        entries, directory_bytes = counts
        # 1 KB per entry is far more than a name like "archive/data/123" and its header need.
        if entries > MAX_ARCHIVE_ENTRIES or directory_bytes > MAX_ARCHIVE_ENTRIES * 1024:
            return (f"This checkpoint file lists {entries:,} parts; a cnnviz checkpoint has at most "
                    f"{MAX_ARCHIVE_ENTRIES:,}, so cnnviz refuses it.")
        stream.seek(start)
        try:
            infos = zipfile.ZipFile(stream).infolist()
        except Exception:  # zipfile raises BadZipFile, ValueError, EOFError... on a damaged directory
            return UNREADABLE
        return _entries_problem(infos, size)
    finally:
        stream.seek(start)


def _entries_problem(infos: list[zipfile.ZipInfo], size: int) -> str | None:
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        return (f"This checkpoint file lists {len(infos):,} parts; a cnnviz checkpoint has at most "
                f"{MAX_ARCHIVE_ENTRIES:,}, so cnnviz refuses it.")
    unpacked = sum(info.file_size for info in infos)
    biggest = max(infos, key=lambda info: info.file_size, default=None)
    if unpacked > MAX_ARCHIVE_BYTES or (biggest is not None and biggest.file_size > MAX_ENTRY_BYTES):
        return (f"This checkpoint file would unpack to {_mb(unpacked)}; cnnviz opens checkpoints of "
                f"up to {_mb(MAX_ARCHIVE_BYTES)} (VGG-16's is 528 MB).")
    pickles = [info for info in infos if info.filename.endswith("data.pkl")]
    if any(info.file_size > MAX_PICKLE_BYTES for info in pickles):
        return (f"This checkpoint's settings, class names and notes take over {MAX_PICKLE_BYTES / 2**20:g} MB; "
                f"cnnviz opens checkpoints whose notes are smaller (the shipped ones take 40 KB).")
    # A stored entry's data is its bytes in the file, so the ratio of every entry is 1: anything
    # compressed (any ratio) was not written by torch.save, and only compression makes bombs.
    if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
        return ("This checkpoint file has compressed parts, which torch's own save never writes "
                "(a compressed part can unpack to gigabytes), so cnnviz refuses it.")
    if any(info.compress_size != info.file_size for info in infos):
        return UNREADABLE
    # Entries that overlap would let one file's bytes be read many times over.
    if unpacked > size or any(info.header_offset + info.compress_size > size for info in infos):
        return UNREADABLE
    return None


def json_problem(value: Any, where: str, *, max_values: int) -> str | None:
    """Why ``value`` (config or meta) is not small plain JSON, or None.

    Counts every value visited, so a list holding the same list many times (a pickle can do
    that in a few bytes per reference) counts as big as it would print.
    """
    budget = [max_values]

    def walk(item: Any, depth: int) -> str | None:
        budget[0] -= 1
        if budget[0] < 0:
            return f"This checkpoint's {where} holds more than {max_values:,} values; cnnviz refuses it."
        if depth > MAX_NESTING:
            return f"This checkpoint's {where} is nested more than {MAX_NESTING} deep; cnnviz refuses it."
        if item is None or isinstance(item, (bool, float)):
            return None
        if isinstance(item, int):
            if abs(item) > MAX_META_INT:
                return f"This checkpoint's {where} holds a number too large to show; cnnviz refuses it."
            return None
        if isinstance(item, str):
            if len(item) > MAX_META_CHARS:
                return (f"This checkpoint's {where} holds a text of {len(item):,} characters; cnnviz "
                        f"opens ones of up to {MAX_META_CHARS:,}.")
            return None
        if isinstance(item, (list, tuple)):
            children = item
        elif isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return f"This checkpoint's {where} has a key that is not text; cnnviz refuses it."
            children = [*item.keys(), *item.values()]
        else:
            return (f"This checkpoint's {where} holds a {short(type(item).__name__)}; checkpoints hold "
                    f"only numbers, text, true/false, lists and dicts there.")
        for child in children:
            problem = walk(child, depth + 1)
            if problem is not None:
                return problem
        return None

    return walk(value, 1)


def _number_in(value: Any, low: float, high: float) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value) and low <= value <= high)


def meta_problem(meta: dict) -> str | None:
    """Why ``meta`` must be refused: too big, or a field that pages show out of its range.

    Fields that nothing shows (a diverged run's NaN test_loss, say) are left as they are.
    """
    problem = json_problem(meta, "meta", max_values=MAX_META_VALUES)
    if problem is not None:
        return problem
    accuracy = meta.get("test_accuracy")
    if accuracy is not None and not _number_in(accuracy, 0, 1):
        return "This checkpoint's meta gives a test accuracy that is not a number from 0 to 1; cnnviz refuses it."
    epochs = meta.get("epochs")
    if epochs is not None and not _number_in(epochs, 0, MAX_EPOCHS):
        return (f"This checkpoint's meta gives a number of epochs that is not a number from 0 to "
                f"{MAX_EPOCHS:,}; cnnviz refuses it.")
    dataset = meta.get("dataset")
    if dataset is not None and not (isinstance(dataset, str) and len(dataset) <= MAX_NAME_CHARS):
        return (f"This checkpoint's meta names its dataset with something other than a text of up to "
                f"{MAX_NAME_CHARS} characters.")
    return None


def classes_problem(classes: list[str]) -> str | None:
    """Why these class names (a list of str) cannot be shown: one is too long (their count is
    checked against the network's outputs)."""
    longest = max(classes, key=len, default="")
    if len(longest) > MAX_NAME_CHARS:
        return (f"This checkpoint has a class name of {len(longest):,} characters; cnnviz shows names of "
                f"up to {MAX_NAME_CHARS}.")
    return None


def _plain_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def settings_problem(name: str, settings: dict, class_count: int) -> str | None:
    """Why the size settings of ``name`` ask for too much, checked before anything is built.

    Only plain ints are checked here; anything else is left to the constructor's own sentence.

    Args:
        name: registry name from the checkpoint.
        settings: its config without "name".
        class_count: how many class names the checkpoint has.
    """
    size = _plain_int(settings.get("input_size"))
    if size is not None and size > MAX_INPUT_SIZE:
        return (f"This checkpoint's {name} takes {size:,} x {size:,} pixel images; cnnviz opens networks "
                f"whose input is at most {MAX_INPUT_SIZE} px a side.")
    channels = _plain_int(settings.get("in_channels"))
    if channels is not None and channels > MAX_INPUT_CHANNELS:
        return (f"This checkpoint's {name} takes images with {channels:,} channels; cnnviz opens networks "
                f"whose input has at most {MAX_INPUT_CHANNELS}.")
    widths = settings.get("channels")
    widths = list(widths) if isinstance(widths, (list, tuple)) else []
    widths.append(settings.get("hidden"))
    widest = max((w for w in map(_plain_int, widths) if w is not None), default=0)
    if widest > MAX_WIDTH:
        return (f"This checkpoint's {name} has a layer {widest:,} channels wide; cnnviz opens networks "
                f"whose layers are at most {MAX_WIDTH:,} wide (VGG-16's widest).")
    outputs = _plain_int(settings.get("num_classes"))
    if outputs is not None and outputs > MAX_CLASSES:
        if outputs != class_count:
            return f"This checkpoint names {class_count} classes but its {name} has {outputs} outputs."
        return (f"This checkpoint's {name} has {outputs:,} classes; cnnviz opens networks with at most "
                f"{MAX_CLASSES:,} (ImageNet's).")
    return None


def cost_problem(name: str, skeleton: nn.Module) -> str | None:
    """Why one forward pass of ``skeleton`` (a meta-device network) costs too much, or None.

    Shapes flow through the skeleton with no arithmetic and no memory, so an absurd network is
    measured in milliseconds.
    """
    from cnnviz.architecture import ArchitectureError, architecture_table

    try:
        table = architecture_table(skeleton)
    except ArchitectureError:
        return f"This checkpoint's {name} cannot run on images of the size its settings give."
    values = sum(math.prod(row.output_shape) for row in table.rows)
    if values > MAX_ACTIVATION_VALUES:
        return (f"This checkpoint's {name} would keep {values:,} activation values for one image "
                f"({_mb(values * 4)}); cnnviz opens networks of up to {MAX_ACTIVATION_VALUES:,} "
                f"(ResNet-50 keeps 32 million).")
    if table.total_mult_adds > MAX_MULT_ADDS:
        return (f"This checkpoint's {name} would need {table.total_mult_adds:,} multiply-adds per image; "
                f"cnnviz opens networks of up to {MAX_MULT_ADDS:,} (VGG-16 needs 15.5 billion).")
    return None


def weights_problem(state_dict: dict[str, torch.Tensor]) -> str | None:
    """Why these weights cannot give predictions: a NaN or infinite value in a float tensor.

    Checked in slices so that VGG-16's 103 M-value layer needs no second copy of itself.
    """
    for key, tensor in state_dict.items():
        if not (tensor.is_floating_point() or tensor.is_complex()):
            continue
        flat = tensor.detach().reshape(-1)
        if not all(bool(torch.isfinite(part).all()) for part in flat.split(1 << 22)):
            return (f"This checkpoint's weight '{short(key)}' holds values that are not numbers (NaN or "
                    f"infinite), as a diverged training run leaves; cnnviz opens only finite weights.")
    return None
