"""Images in, model inputs out: decode what a student uploads, offer offline samples, and prepare
a picture exactly as a model will see it.

Uploads are untrusted. ``decode_image`` accepts a short allow-list of formats, reads the image
size from the header and refuses a huge one *before* any pixel is decoded (a few kilobytes of
PNG can claim gigapixels: a "decompression bomb"), and turns every decoder failure into one
``ImageError`` whose message a student can act on. Whatever the file held (16-bit, palette,
transparency, CMYK, an animation, a rotated phone photo), it returns a plain 8-bit "RGB" or "L"
picture, so the rest of cnnviz only ever meets those two modes.

``prepare_for_model`` then converts, fits, resizes and (optionally) inverts that picture, and
returns both the tensor the model receives and a picture of exactly that tensor, so that what
the page shows is what the network saw.

The package is read as one module (cnnviz.images.X); each idea lives in its own file:

    error    ImageError, and what Pillow raises on a malformed file
    decode   the upload's checks and decoding, and the sentences for a refused file
    modes    any decoded picture turned into 8-bit "RGB" or "L"
    arrays   resizing, pixels as an array or a tensor, float arrays back as pictures
    prepare  a picture prepared for a model, with its note
    samples  the bundled offline sample images
"""

from __future__ import annotations

from cnnviz.images.arrays import from_unit_floats, shrink_to, stretched_grey, to_array, to_tensor
from cnnviz.images.decode import ALLOWED_FORMATS, MAX_PIXELS, MAX_UPLOAD_BYTES, UPLOAD_EXTENSIONS, decode_image
from cnnviz.images.error import ImageError
from cnnviz.images.modes import _to_rgb_or_l  # the tests convert odd modes with it directly
from cnnviz.images.prepare import PreparedImage, prepare_for_model
from cnnviz.images.samples import SAMPLE_IMAGES, load_sample_image, sample_image_names

__all__ = [
    "ALLOWED_FORMATS", "MAX_PIXELS", "MAX_UPLOAD_BYTES", "SAMPLE_IMAGES", "UPLOAD_EXTENSIONS",
    "ImageError", "PreparedImage",
    "decode_image", "load_sample_image", "prepare_for_model", "sample_image_names", "shrink_to",
    "from_unit_floats", "stretched_grey", "to_array", "to_tensor",
]
