"""The sample images that ship inside installed libraries, so the pages work offline."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from cnnviz.images.error import ImageError


SAMPLE_IMAGES: dict[str, str] = {
    "cat": "Chelsea the cat, a colour photo (scikit-image, 451 x 300).",
    "astronaut": "Astronaut Eileen Collins, a colour portrait (scikit-image, 512 x 512).",
    "coffee": "A cup of coffee on a saucer, colour (scikit-image, 600 x 400).",
    "camera": "The cameraman, a classic grayscale test photo (scikit-image, 512 x 512).",
    "coins": "Old coins on a dark background, grayscale (scikit-image, 384 x 303).",
    "rocket": "A rocket on its launch pad, colour (scikit-image, 640 x 427).",
    "horse": "A black horse silhouette on white, black and white (scikit-image, 400 x 328).",
    "china": "A Chinese temple, colour (scikit-learn, 640 x 427).",
    "flower": "A flower close-up, colour (scikit-learn, 640 x 427).",
}

# name -> (library, function or file name); all ship inside the wheels, so no download.
_SAMPLE_SOURCES = {
    "cat": ("skimage", "chelsea"),
    "astronaut": ("skimage", "astronaut"),
    "coffee": ("skimage", "coffee"),
    "camera": ("skimage", "camera"),
    "coins": ("skimage", "coins"),
    "rocket": ("skimage", "rocket"),
    "horse": ("skimage", "horse"),
    "china": ("sklearn", "china.jpg"),
    "flower": ("sklearn", "flower.jpg"),
}


def sample_image_names() -> list[str]:
    """Names accepted by ``load_sample_image``, in display order."""
    return list(SAMPLE_IMAGES)


def load_sample_image(name: str) -> Image.Image:
    """One of the bundled sample images, offline, as an "RGB" or "L" PIL image.

    Args:
        name: one of ``sample_image_names()``.

    Returns:
        A fresh copy (callers may draw on it without changing the cache).

    Raises:
        ImageError: unknown name.
    """
    if name not in _SAMPLE_SOURCES:
        raise ImageError(
            f"There is no sample image called {name!r}. Choose one of: "
            + ", ".join(sample_image_names())
            + "."
        )
    return _load_sample_cached(name).copy()


@functools.lru_cache(maxsize=None)
def _load_sample_cached(name: str) -> Image.Image:
    library, item = _SAMPLE_SOURCES[name]
    if library == "skimage":
        from skimage import data

        pixels = getattr(data, item)()
    else:
        from sklearn.datasets import load_sample_image as sklearn_sample

        pixels = sklearn_sample(item)
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255  # binary mask -> black 0 / white 255
    return Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
