"""The cnnviz model zoo: small CNNs and torchvision's ImageNet classics, plus checkpoints.

Every model takes float images in [0, 1] as (N, C, H, W); its first child, ``normalize``,
standardises them. Small models name their parts ``features`` and ``classifier``; ImageNet
models keep torchvision's module under ``net`` (``net.layer4``, ``net.fc``, ...). Every model
carries ``config`` (``get_model(**model.config)`` rebuilds it), ``input_shape`` (C, H, W) and
``num_classes``.

Example:
    >>> from cnnviz.models import get_model, count_parameters
    >>> count_parameters(get_model("cifar_cnn"))
    5852170
"""

from cnnviz.models.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from cnnviz.models.imagenet import (
    ImageNetClassifier,
    WeightsUnavailable,
    imagenet_classes,
    imagenet_weights_file,
)
from cnnviz.models.normalize import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    IMAGENET_MEAN,
    IMAGENET_STD,
    Normalize,
)
from cnnviz.models.registry import ModelSpec, get_model, list_models, model_spec
from cnnviz.models.size import count_parameters, model_size_bytes
from cnnviz.models.small import CifarCNN, LeNet5, SmallCNN, TinyVGG

__all__ = [
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "CheckpointError",
    "CifarCNN",
    "FASHION_MNIST_MEAN",
    "FASHION_MNIST_STD",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ImageNetClassifier",
    "LeNet5",
    "ModelSpec",
    "Normalize",
    "SmallCNN",
    "TinyVGG",
    "WeightsUnavailable",
    "count_parameters",
    "get_model",
    "imagenet_classes",
    "imagenet_weights_file",
    "list_models",
    "load_checkpoint",
    "model_size_bytes",
    "model_spec",
    "save_checkpoint",
]
