"""Save and load trained models as cnnviz checkpoints, safely.

A checkpoint is one ``torch.save`` file holding a plain dict:

    {"state_dict": {name: tensor},  # the learned weights, on the CPU
     "config": model.config,        # {"name": "lenet5", ...}: enough to rebuild the network
     "classes": ["T-shirt/top", ...],
     "meta": {"dataset": ..., "test_accuracy": ..., ...}}  # JSON values only

Loading uses ``torch.load(..., weights_only=True)``: the unpickler then builds only tensors and
plain containers, so a file with code in it (a pickled ``__reduce__`` that runs a command, or a
whole pickled model from ``torch.save(model)``) is refused before anything in it runs. Files
come from students' uploads, so this is the line of defence, not a nicety.

Keys beyond the four are ignored on load, so that a later cnnviz can add some (an optimizer
state, say) without older copies refusing the file.

Before ``torch.load`` sees a file, its zip directory is checked (checkpoint_limits): a few
stored entries of bounded size, nothing compressed. Files in torch's legacy format (before
PyTorch 1.6, not a zip) are refused: they have no directory to check, and their reader
allocates each tensor at the size the file claims and unpacks tar archives to disk before
anything is verified. Nothing cnnviz or a current PyTorch writes is in that format.
"""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import re
from pathlib import Path
from typing import Any, BinaryIO, Sequence

import torch
from torch import nn

from cnnviz.models import checkpoint_limits as limits
from cnnviz.models.checkpoint_limits import MAX_PARAMETERS, UNREADABLE
from cnnviz.models.registry import get_model, list_models
from cnnviz.paths import atomic_path

REQUIRED_KEYS = ("state_dict", "config", "classes", "meta")


class CheckpointError(ValueError):
    """A checkpoint could not be written or read; the message says why in one sentence."""


def _plain_json(value: Any, where: str) -> Any:
    """A copy of ``value`` made of plain bool/int/float/str/None/list/dict, or CheckpointError.

    numpy scalars pass isinstance(x, float) but would be pickled as numpy objects, which
    weights_only loading refuses; converting here keeps every saved checkpoint loadable.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain_json(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise CheckpointError(f"The keys of {where} must be strings.")
        return {key: _plain_json(item, f"{where}[{key!r}]") for key, item in value.items()}
    hint = " (use .tolist() to turn a tensor or array into numbers)" if hasattr(value, "tolist") else ""
    raise CheckpointError(
        f"{where} holds a {type(value).__name__}; checkpoints may only hold numbers, strings, "
        f"booleans, lists and dicts there{hint}."
    )


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    *,
    classes: Sequence[str],
    meta: dict | None = None,
) -> Path:
    """Write ``model`` as a cnnviz checkpoint, atomically (a crash leaves the old file or none).

    Args:
        path: file to write, usually ending in .pt; parent folders are created.
        model: a model from ``get_model`` (it carries ``config`` and ``num_classes``).
        classes: one name per output logit, in logit order.
        meta: JSON values about the run, e.g. {"dataset": "fashion_mnist", "test_accuracy": 0.93,
            "epochs": 5, "trained_at": "2025-01-31T10:00:00", "history": {"loss": [...]}}.

    Returns:
        The path written.

    Raises:
        CheckpointError: not a cnnviz model, classes that do not match the logits, meta that is
            not JSON values, or the file could not be written.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, dict) or config.get("name") not in list_models():
        raise CheckpointError("Only models built with cnnviz's get_model can be saved as cnnviz checkpoints.")
    classes = list(classes)
    if not all(isinstance(name, str) for name in classes) or len(classes) != model.num_classes:
        raise CheckpointError(
            f"A {config['name']} with {model.num_classes} outputs needs {model.num_classes} class names "
            f"(strings); got {len(classes)}."
        )
    payload = {
        # detach().cpu(): the file must load on a machine without the GPU it was trained on.
        "state_dict": {key: tensor.detach().cpu() for key, tensor in model.state_dict().items()},
        "config": _plain_json(config, "config"),
        "classes": classes,
        "meta": _plain_json(meta or {}, "meta"),
    }
    try:
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
    except OSError as error:
        raise CheckpointError(f"The checkpoint could not be written to {path}: {error.strerror or error}.") from error
    return Path(path)


def _code_refusal(culprit: str) -> CheckpointError:
    """The sentence for a file whose pickle refers to ``culprit`` (e.g. "builtins.exec")."""
    # A network class (torch's, torchvision's, ours or a script's own) means torch.save(model).
    whole_model = culprit.startswith(("torch.nn.", "torchvision.", "cnnviz.", "__main__."))
    reason = (
        "it is a whole pickled model, as torch.save(model) writes; save it with "
        "cnnviz's save_checkpoint instead"
        if whole_model
        else f"it refers to {limits.short(culprit)}, which could run code on this machine"
    )
    return CheckpointError(f"This checkpoint holds code or objects cnnviz refuses to load for safety ({reason}).")


# The legacy format starts with a pickled magic number (15 bytes), and a raw pickle with code
# names it in its first few opcodes; a longer head would only cost parsing time.
_LEGACY_HEAD_BYTES = 64 * 1024
_INT_OPCODES = {"INT", "LONG", "LONG1", "LONG4", "BININT", "BININT1", "BININT2"}
_CODE_OPCODES = {"REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4"}


def _non_zip_refusal(stream: BinaryIO) -> CheckpointError:
    """Why a file that is not a zip is refused: legacy torch.save format, code, or not PyTorch.

    Its first pickle is parsed opcode by opcode (pickletools builds no objects and imports
    nothing), only to choose the sentence.
    """
    head = stream.read(_LEGACY_HEAD_BYTES)
    strings: list[str] = []
    try:
        for opcode, argument, _ in pickletools.genops(io.BytesIO(head)):
            if opcode.name == "GLOBAL":
                return _code_refusal(str(argument).replace("__builtin__ ", "builtins ").replace(" ", "."))
            if opcode.name == "STACK_GLOBAL":
                return _code_refusal(".".join(strings[-2:]) if len(strings) >= 2 else "a Python object")
            if opcode.name in _CODE_OPCODES:
                return _code_refusal("a Python object")
            if isinstance(argument, str):
                strings.append(argument)
            if opcode.name in _INT_OPCODES and argument == torch.serialization.MAGIC_NUMBER:
                return CheckpointError(
                    "This checkpoint is in PyTorch's old file format (from before version 1.6), which "
                    "cnnviz does not open; load it in a current PyTorch and save it again."
                )
    except Exception:  # not a pickle at all: pickletools raises ValueError and others on garbage
        pass
    return CheckpointError(UNREADABLE)


def _read(source: str | Path | bytes | BinaryIO, map_location: str | torch.device) -> Any:
    """torch.load(weights_only=True) of a zip that passed the limits; every failure -> CheckpointError."""
    is_path = isinstance(source, (str, os.PathLike))
    if is_path and not Path(source).is_file():
        raise CheckpointError(f"There is no checkpoint file at {source}.")
    stream: Any = None
    try:
        if is_path:
            stream = open(source, "rb")
        elif isinstance(source, (bytes, bytearray, memoryview)):
            stream = io.BytesIO(bytes(source))
        elif source.seekable():
            stream = source
        else:
            # One byte past the limit, so that an endless stream is refused, not kept.
            stream = io.BytesIO(source.read(limits.MAX_ARCHIVE_BYTES + 1))
        start = stream.tell()
        is_zip = stream.read(4) == b"PK\x03\x04"  # torch.load's own test for its zip format
        stream.seek(start)
        if not is_zip:
            raise _non_zip_refusal(stream)
        problem = limits.archive_problem(stream)
        if problem is not None:
            raise CheckpointError(problem)
        return torch.load(stream, map_location=map_location, weights_only=True)
    except CheckpointError:
        raise
    except pickle.UnpicklingError as error:
        refused = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if refused is None:
            raise CheckpointError(UNREADABLE) from error
        raise _code_refusal(refused.group(1)) from error
    except Exception as error:  # torch raises RuntimeError, EOFError, ValueError... for damaged files
        raise CheckpointError(UNREADABLE) from error
    finally:
        if is_path and stream is not None:
            stream.close()


def _first_mismatch(expected: dict[str, torch.Tensor], found: dict[str, Any]) -> str | None:
    """One short clause naming the first weight that does not fit, or None if all fit."""
    for key, tensor in expected.items():
        if key not in found:
            return f"the weight '{key}' is missing"
        value = found[key]
        if not isinstance(value, torch.Tensor):
            return f"'{key}' is not a tensor"
        if value.shape != tensor.shape:
            return f"'{key}' has shape {tuple(value.shape)} where the model needs {tuple(tensor.shape)}"
    for key in found:
        if key not in expected:
            # The file's own key: quoted short, as it may be anything.
            if not isinstance(key, str):
                return "it has a weight whose name is not text"
            return f"it has a weight '{limits.short(key)}' that the model does not have"
    return None


def _refuse(problem: str | None) -> None:
    """Raise CheckpointError(problem) when a check found one."""
    if problem is not None:
        raise CheckpointError(problem)


def _build(name: str, settings: dict, device: torch.device) -> nn.Module:
    """get_model(name, **settings) on `device`; settings that cannot build a network -> CheckpointError."""
    try:
        with device:
            return get_model(name, **settings)
    except (ValueError, TypeError, OverflowError, RuntimeError) as error:
        raise CheckpointError(f"This checkpoint's settings for {name} are invalid: {error}") from error


def load_checkpoint(
    source: str | Path | bytes | BinaryIO,
    *,
    map_location: str | torch.device = "cpu",
) -> nn.Module:
    """Rebuild a model from a cnnviz checkpoint, without running anything stored in the file.

    Args:
        source: a file path, the file's bytes, or an open binary file (e.g. an upload).
        map_location: device for the weights and the returned model.

    Returns:
        The model in eval mode on ``map_location``, with ``classes`` (list of str) and ``meta``
        (dict) attributes added. Its ``config`` is the resolved config of the rebuilt network,
        equal to the file's for files that save_checkpoint wrote.

    Raises:
        CheckpointError: with one sentence for an unreadable, compressed or legacy-format file,
            a file holding code, an unknown model, bad settings, a network too costly to open
            (see checkpoint_limits), wrong or overlong class names, absurd meta, or weights that
            do not fit or are not finite.
    """
    payload = _read(source, map_location)
    if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
        raise CheckpointError(
            "This file holds bare weights (a state_dict) without the model's settings and class "
            "names; cnnviz needs a checkpoint written by save_checkpoint."
        )
    if not isinstance(payload, dict) or any(key not in payload for key in REQUIRED_KEYS):
        raise CheckpointError(
            f"This PyTorch file is not a cnnviz checkpoint: it needs a dict with the keys {', '.join(REQUIRED_KEYS)}."
        )
    config, classes, meta, state_dict = (payload[key] for key in ("config", "classes", "meta", "state_dict"))
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise CheckpointError("This checkpoint's config does not name a model.")
    # Bounded before any of it is quoted in a sentence or handed to a constructor.
    _refuse(limits.json_problem(config, "config", max_values=limits.MAX_CONFIG_VALUES))
    name = config["name"]
    if name not in list_models():
        raise CheckpointError(
            f"The checkpoint names an unknown model {name!r}; cnnviz knows {', '.join(list_models())}."
        )
    if not isinstance(meta, dict):
        raise CheckpointError("This checkpoint's meta is not a dict.")
    if not isinstance(state_dict, dict):
        raise CheckpointError(f"This checkpoint is for {name} but its weights are not a dict of tensors.")

    settings = {key: value for key, value in config.items() if key != "name"}
    # The weights come from the file, so never fetch ImageNet weights only to overwrite them.
    if settings.get("weights") is not None:
        settings["weights"] = None
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise CheckpointError("This checkpoint's classes are not a list of names.")
    _refuse(limits.classes_problem(classes))
    _refuse(limits.meta_problem(meta))
    # Sizes first, from the settings alone: an input_size of 2**30 must never reach a constructor.
    _refuse(limits.settings_problem(name, settings, len(classes)))
    # Then the settings on a skeleton (the meta device holds shapes, no memory): a file asking
    # for 2**40 outputs must get a sentence, not allocate the server out of memory.
    skeleton = _build(name, settings, torch.device("meta"))
    if len(classes) != skeleton.num_classes:
        raise CheckpointError(
            f"This checkpoint names {len(classes)} classes but its {name} has {skeleton.num_classes} outputs."
        )
    parameters = sum(p.numel() for p in skeleton.parameters())
    if parameters > MAX_PARAMETERS:
        raise CheckpointError(
            f"This checkpoint's {name} would have {parameters:,} parameters; cnnviz opens networks of up "
            f"to {MAX_PARAMETERS:,} (VGG-16 has 138 million)."
        )
    # A few parameters can still mean a huge forward pass (an 8192 px input, one channel).
    _refuse(limits.cost_problem(name, skeleton))
    mismatch = _first_mismatch(skeleton.state_dict(), state_dict)
    if mismatch is not None:
        raise CheckpointError(f"This checkpoint is for {name} but its weights do not fit: {mismatch}.")
    _refuse(limits.weights_problem(state_dict))
    model = _build(name, settings, torch.device("cpu"))
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:  # e.g. a dtype that cannot be copied; shapes were checked above
        raise CheckpointError(f"This checkpoint is for {name} but its weights do not fit: {error}") from error

    # Keep the rebuilt (canonical) config, but say which weights the network started from.
    if "weights" in config:
        model.config["weights"] = config["weights"]
    model.classes = list(classes)
    model.meta = meta
    if isinstance(map_location, (str, torch.device)):
        model.to(map_location)
    return model.eval()
