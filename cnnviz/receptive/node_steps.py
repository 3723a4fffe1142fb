"""Reading one graph node: which layer or function it is, and what it does to the field."""

from __future__ import annotations

from cnnviz.receptive.fields import ReceptiveFieldError, _conv_padding, _NodeField, _pair, _whole, _window_layer


_FLATTENING = {"flatten", "view", "reshape", "squeeze", "unsqueeze"}  # keep the field, lose the grid
_MERGE_NAMES = {"add": "add", "iadd": "add", "sub": "subtract", "mul": "multiply", "cat": "concat"}


def _op_name(node) -> str:
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def _sliding_settings(kind: str, kernel, stride, padding, dilation=(1, 1), ceil_mode=False):
    settings = [("kernel", kernel), ("stride", stride), ("padding", padding)]
    if dilation != (1, 1):
        settings.append(("dilation", dilation))
    if ceil_mode:
        settings.append(("ceil_mode", True))
    return kind, tuple(settings)


def _module_step(module, field: _NodeField, in_shape, out_shape):
    """(new field, kind, settings) for a leaf nn.Module, or None when it leaves geometry alone."""
    from torch import nn

    if isinstance(module, nn.Conv2d):
        kernel, stride, dilation = _pair(module.kernel_size), _pair(module.stride), _pair(module.dilation)
        padding = _conv_padding(module.padding, kernel, dilation)
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings("conv", kernel, stride, padding, dilation))
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kernel = _pair(module.kernel_size)
        stride = _pair(module.stride if module.stride not in (None, ()) else module.kernel_size)
        padding = _pair(module.padding)
        dilation = _pair(getattr(module, "dilation", 1))
        kind = "max pool" if isinstance(module, nn.MaxPool2d) else "avg pool"
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings(kind, kernel, stride, padding, dilation, module.ceil_mode))
    if isinstance(module, nn.LPPool2d):
        kernel = _pair(module.kernel_size)
        stride = _pair(module.stride if module.stride is not None else module.kernel_size)
        return (_window_layer(field, kernel, stride, (0, 0)), *_sliding_settings("lp pool", kernel, stride, (0, 0)))
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return (_adaptive(field, in_shape, out_shape), "adaptive pool", (("output_size", tuple(out_shape[-2:])),))
    if isinstance(module, (nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d, nn.CircularPad2d)):
        left, _, top, _ = module.padding  # torch stores (left, right, top, bottom)
        return (_window_layer(field, (1, 1), (1, 1), (top, left)), "pad", (("padding", tuple(module.padding)),))
    if isinstance(module, nn.Linear):
        return _whole(field), "linear", (("features", (module.in_features, module.out_features)),)
    if isinstance(module, nn.Flatten):
        return _NodeField(field.rows, field.cols, field.whole_input, spatial=False), None, ()
    if isinstance(module, (nn.ConvTranspose2d, nn.Upsample, nn.PixelShuffle, nn.Fold, nn.Unfold)):
        raise ReceptiveFieldError(
            f"cnnviz computes receptive fields for networks that only shrink or keep the image; "
            f"a {type(module).__name__} layer enlarges it."
        )
    return None


def _adaptive(field: _NodeField, in_shape, out_shape) -> _NodeField:
    """Adaptive pooling: exact when the windows are regular, otherwise it sees the whole input."""
    if field.whole_input or len(in_shape) < 4:
        return _whole(field)
    (h_in, w_in), (h_out, w_out) = in_shape[-2:], out_shape[-2:]
    if h_in == h_out and w_in == w_out:
        return field  # e.g. VGG's 7x7 -> 7x7 avgpool at 224x224: no change at all
    if h_out > 1 and w_out > 1 and h_in % h_out == 0 and w_in % w_out == 0:
        kernel = (h_in // h_out, w_in // w_out)
        return _window_layer(field, kernel, kernel, (0, 0))
    # Global pooling, or windows of varying size that no single (size, stride) describes.
    return _whole(field)


def _function_step(node, kwargs: dict, field: _NodeField, in_shape, out_shape):
    """(new field, kind, settings) for a torch.nn.functional sliding-window call, or None."""
    name = _op_name(node)
    if name in ("conv2d",):
        weight_shape = kwargs.get("_weight_shape")
        kernel = tuple(weight_shape[-2:]) if weight_shape else (1, 1)
        stride, dilation = _pair(kwargs.get("stride", 1)), _pair(kwargs.get("dilation", 1))
        padding = _conv_padding(kwargs.get("padding", 0), kernel, dilation)
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings("conv", kernel, stride, padding, dilation))
    if name in ("max_pool2d", "avg_pool2d", "max_pool2d_with_indices", "_max_pool2d"):
        kernel = _pair(kwargs["kernel_size"])
        stride = kwargs.get("stride")
        stride = _pair(stride if stride not in (None, [], ()) else kernel)
        padding, dilation = _pair(kwargs.get("padding", 0)), _pair(kwargs.get("dilation", 1))
        kind = "avg pool" if name.startswith("avg") else "max pool"
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings(kind, kernel, stride, padding, dilation, bool(kwargs.get("ceil_mode", False))))
    if name in ("adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices"):
        return _adaptive(field, in_shape, out_shape), "adaptive pool", (("output_size", tuple(out_shape[-2:])),)
    if name == "pad":
        pad = list(kwargs.get("pad", ()))
        left, top = (pad + [0, 0, 0, 0])[0], (pad + [0, 0, 0, 0])[2]
        return _window_layer(field, (1, 1), (1, 1), (top, left)), "pad", (("padding", tuple(pad)),)
    if name == "linear":
        return _whole(field), "linear", ()
    return None
