"""Tests for cnnviz.images: every input is built in memory with Pillow, small and fast."""

from __future__ import annotations

import dataclasses
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnviz import images
from cnnviz.images import (
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    SAMPLE_IMAGES,
    ImageError,
    PreparedImage,
    decode_image,
    load_sample_image,
    prepare_for_model,
    sample_image_names,
    shrink_to,
    to_array,
    to_tensor,
)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A ~70-byte PNG whose header claims width x height grayscale pixels (data is a stub)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def noise_rgb(width: int = 64, height: int = 48, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# decode_image: formats and modes
# ---------------------------------------------------------------------------------------------


def test_limits_are_the_documented_ones():
    assert MAX_UPLOAD_BYTES == 25 * 1024 * 1024
    assert MAX_PIXELS == 40_000_000


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF"])
def test_lossless_rgb_formats_round_trip_exactly(fmt):
    original = noise_rgb()
    decoded = decode_image(encode(original, fmt))
    assert decoded.mode == "RGB"
    assert decoded.size == (64, 48)
    np.testing.assert_array_equal(pixels(decoded), pixels(original))


def test_lossless_webp_round_trips_exactly():
    original = noise_rgb()
    decoded = decode_image(encode(original, "WEBP", lossless=True))
    assert decoded.mode == "RGB"
    np.testing.assert_array_equal(pixels(decoded), pixels(original))


def test_jpeg_colour_and_grayscale():
    left_red = Image.new("RGB", (32, 16), (220, 30, 40))
    left_red.paste((20, 40, 200), (16, 0, 32, 16))  # right half blue
    decoded = decode_image(encode(left_red, "JPEG", quality=95))
    assert decoded.mode == "RGB" and decoded.size == (32, 16)
    np.testing.assert_allclose(pixels(decoded)[8, 4], (220, 30, 40), atol=6)
    np.testing.assert_allclose(pixels(decoded)[8, 28], (20, 40, 200), atol=6)

    gray = Image.new("L", (16, 16), 90)
    decoded_gray = decode_image(encode(gray, "JPEG"))
    assert decoded_gray.mode == "L"
    np.testing.assert_allclose(pixels(decoded_gray), 90, atol=2)


def test_decoded_image_is_loaded_and_detached_from_the_file():
    decoded = decode_image(encode(noise_rgb(), "PNG"))
    assert type(decoded) is Image.Image  # not an ImageFile still holding the upload open
    assert decoded.getpixel((0, 0)) == noise_rgb().getpixel((0, 0))


def test_accepts_bytearray_and_rejects_non_bytes():
    data = encode(Image.new("L", (4, 4), 7), "PNG")
    assert decode_image(bytearray(data)).getpixel((0, 0)) == 7
    assert decode_image(memoryview(data)).getpixel((0, 0)) == 7
    with pytest.raises(ImageError, match=r"^This file is not an image cnnviz can read \(it looks like a PDF\)\. Upload a JPEG, PNG, WebP, BMP, GIF or TIFF\.$"):
        decode_image(memoryview(b"%PDF-1.4\n"))
    with pytest.raises(TypeError):
        decode_image("not bytes")  # type: ignore[arg-type]


# 16-bit values chosen to tell scaling (v / 257) from clipping (min(v, 255)) apart.
SIXTEEN_BIT = np.array(
    [
        [0, 1, 128, 129, 255, 256, 257, 1000],
        [20000, 32767, 32768, 40000, 65000, 65278, 65279, 65535],
    ],
    dtype=np.uint16,
)
SIXTEEN_BIT_AS_8 = np.array(
    [[0, 0, 0, 1, 1, 1, 1, 4], [78, 127, 128, 156, 253, 254, 254, 255]], dtype=np.int64
)


def test_sixteen_bit_scaling_table_is_round_of_v_over_257():
    np.testing.assert_array_equal(np.rint(SIXTEEN_BIT / 257.0).astype(np.int64), SIXTEEN_BIT_AS_8)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_grayscale_is_scaled_not_clipped(fmt):
    source = Image.fromarray(SIXTEEN_BIT)
    assert source.mode == "I;16"
    decoded = decode_image(encode(source, fmt))
    assert decoded.mode == "L"
    np.testing.assert_array_equal(pixels(decoded), SIXTEEN_BIT_AS_8)


def test_sixteen_bit_gradient_spans_the_full_8_bit_range():
    gradient = np.linspace(0, 65535, 256 * 4).astype(np.uint16).reshape(4, 256)
    decoded = decode_image(encode(Image.fromarray(gradient), "PNG"))
    values = pixels(decoded)
    assert values.min() == 0 and values.max() == 255
    np.testing.assert_array_equal(values, np.rint(gradient / 257.0))


def test_big_endian_sixteen_bit_is_scaled_like_little_endian():
    big_endian = Image.fromarray(SIXTEEN_BIT.astype(">u2"))
    assert big_endian.mode == "I;16B"
    decoded = images._to_rgb_or_l(big_endian)
    np.testing.assert_array_equal(pixels(decoded), SIXTEEN_BIT_AS_8)


def test_mode_i_within_16_bits_is_scaled_as_16_bit():
    source = Image.fromarray(SIXTEEN_BIT.astype(np.int32))
    assert source.mode == "I"
    decoded = decode_image(encode(source, "TIFF"))
    np.testing.assert_array_equal(pixels(decoded), SIXTEEN_BIT_AS_8)


def test_mode_i_beyond_16_bits_is_stretched_over_its_own_range():
    values = np.array([[-100_000, 0, 100_000]], dtype=np.int32)
    decoded = decode_image(encode(Image.fromarray(values), "TIFF"))
    np.testing.assert_array_equal(pixels(decoded), [[0, 128, 255]])  # 0 sits at 127.5 -> 128


def test_float_tiff_in_unit_range_maps_to_0_255():
    values = np.array([[0.0, 0.25, 0.5, 1.0]], dtype=np.float32)
    source = Image.fromarray(values)
    assert source.mode == "F"
    decoded = decode_image(encode(source, "TIFF"))
    assert decoded.mode == "L"
    np.testing.assert_array_equal(pixels(decoded), [[0, 64, 128, 255]])  # rint(63.75), rint(127.5)


def test_float_tiff_outside_unit_range_is_stretched():
    values = np.array([[-2.0, 0.0, 2.0, 6.0]], dtype=np.float32)
    decoded = decode_image(encode(Image.fromarray(values), "TIFF"))
    np.testing.assert_array_equal(pixels(decoded), [[0, 64, 128, 255]])


def test_palette_png_with_transparency_shows_white_where_transparent():
    palette_image = Image.new("P", (4, 2), 0)
    palette_image.putpalette([200, 10, 20, 0, 0, 255] + [0, 0, 0] * 254)
    palette_image.putpixel((3, 1), 1)  # palette entry 1 (blue) is the transparent one
    decoded = decode_image(encode(palette_image, "PNG", transparency=1))
    assert decoded.mode == "RGB"
    assert decoded.getpixel((0, 0)) == (200, 10, 20)
    assert decoded.getpixel((3, 1)) == (255, 255, 255)


def test_palette_png_without_transparency_becomes_rgb():
    palette_image = Image.new("P", (3, 3), 1)
    palette_image.putpalette([0, 0, 0, 10, 120, 230] + [0, 0, 0] * 254)
    decoded = decode_image(encode(palette_image, "PNG"))
    assert decoded.mode == "RGB"
    assert decoded.getpixel((1, 1)) == (10, 120, 230)


def test_rgba_is_composited_on_white():
    colour = np.array([200, 100, 0])
    alphas = np.array([0, 64, 128, 191, 255])
    rgba = np.zeros((1, len(alphas), 4), dtype=np.uint8)
    rgba[0, :, :3] = colour
    rgba[0, :, 3] = alphas
    decoded = decode_image(encode(Image.fromarray(rgba), "PNG"))
    assert decoded.mode == "RGB"
    a = alphas[:, None] / 255.0
    expected = colour * a + 255 * (1 - a)  # (5, 3)
    np.testing.assert_allclose(pixels(decoded)[0], expected, atol=1)
    assert decoded.getpixel((0, 0)) == (255, 255, 255)
    assert decoded.getpixel((4, 0)) == (200, 100, 0)


def test_la_is_composited_on_white_and_stays_grayscale():
    la = Image.new("LA", (3, 1))
    la.putdata([(50, 0), (50, 128), (50, 255)])
    decoded = decode_image(encode(la, "PNG"))
    assert decoded.mode == "L"
    expected = [255, 50 * 128 / 255 + 255 * 127 / 255, 50]
    np.testing.assert_allclose(pixels(decoded)[0], expected, atol=1)


def test_one_bit_becomes_black_and_white_l():
    checker = np.indices((6, 6)).sum(axis=0) % 2 == 0
    decoded = decode_image(encode(Image.fromarray(checker), "PNG"))
    assert decoded.mode == "L"
    np.testing.assert_array_equal(pixels(decoded), checker * 255)


def test_cmyk_becomes_rgb():
    cmyk = Image.new("CMYK", (4, 4), (255, 0, 0, 0))  # pure cyan ink
    cmyk.paste((0, 0, 0, 255), (0, 0, 2, 4))  # left half pure black ink
    decoded = decode_image(encode(cmyk, "TIFF"))
    assert decoded.mode == "RGB"
    assert decoded.getpixel((3, 0)) == (0, 255, 255)
    assert decoded.getpixel((0, 0)) == (0, 0, 0)


def test_ycbcr_and_other_colour_spaces_become_rgb():
    ycbcr = Image.new("RGB", (2, 2), (10, 200, 60)).convert("YCbCr")
    converted = images._to_rgb_or_l(ycbcr)
    assert converted.mode == "RGB"
    np.testing.assert_allclose(converted.getpixel((0, 0)), (10, 200, 60), atol=2)


def test_animated_gif_gives_its_first_frame():
    red = Image.new("RGB", (8, 8), (255, 0, 0))
    blue = Image.new("RGB", (8, 8), (0, 0, 255))
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=100, loop=0)
    with Image.open(io.BytesIO(data)) as check:  # the file really holds two different frames
        assert check.n_frames == 2
        check.seek(1)
        assert check.convert("RGB").getpixel((0, 0)) == (0, 0, 255)
    decoded = decode_image(data)
    assert decoded.mode == "RGB"
    assert {decoded.getpixel((x, y)) for x in range(8) for y in range(8)} == {(255, 0, 0)}


def test_gif_with_transparent_background_is_composited_on_white():
    frame = Image.new("P", (4, 4), 0)
    frame.putpalette([0, 0, 0, 0, 128, 0] + [0, 0, 0] * 254)
    frame.putpixel((1, 1), 1)
    decoded = decode_image(encode(frame, "GIF", transparency=0))
    assert decoded.getpixel((0, 0)) == (255, 255, 255)
    assert decoded.getpixel((1, 1)) == (0, 128, 0)


def test_multipage_tiff_gives_its_first_page():
    first, second = Image.new("L", (5, 5), 10), Image.new("L", (7, 3), 200)
    data = encode(first, "TIFF", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(data)) as check:
        assert check.n_frames == 2
    decoded = decode_image(data)
    assert decoded.mode == "L" and decoded.size == (5, 5)
    np.testing.assert_array_equal(pixels(decoded), np.full((5, 5), 10))


def test_mpo_gives_its_first_frame():
    first, second = Image.new("RGB", (16, 16), (250, 0, 0)), Image.new("RGB", (16, 16), (0, 0, 250))
    data = encode(first, "MPO", save_all=True, append_images=[second])
    decoded = decode_image(data)
    np.testing.assert_allclose(decoded.getpixel((8, 8)), (250, 0, 0), atol=6)


def test_exif_orientation_6_rotates_90_degrees_clockwise():
    stored = Image.new("RGB", (40, 20), (255, 255, 255))
    stored.paste((0, 0, 0), (0, 0, 8, 8))  # mark the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    decoded = decode_image(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert decoded.size == (20, 40)
    values = pixels(decoded.convert("L"))
    # Rotating clockwise carries the top-left corner to the top-right.
    assert values[:6, -6:].mean() < 30
    assert values[:6, :6].mean() > 225
    assert values[-6:, -6:].mean() > 225


# ---------------------------------------------------------------------------------------------
# decode_image: refusals
# ---------------------------------------------------------------------------------------------


def test_empty_file():
    with pytest.raises(ImageError, match="The file is empty"):
        decode_image(b"")


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


@pytest.mark.parametrize(
    "data, looks_like",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF"),
        (b"Dear student,\nthis is a text file, not a picture.\n", "a text file"),
        (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><rect width="10" height="10"/></svg>',
            "an SVG drawing",
        ),
        (b"PK\x03\x04" + b"\x00" * 40, "a ZIP archive"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "a HEIC photo"),
    ],
)
def test_files_that_are_not_images_are_named(data, looks_like):
    with pytest.raises(ImageError) as caught:
        decode_image(data)
    message = str(caught.value)
    assert message.startswith("This file is not an image cnnviz can read")
    assert f"(it looks like {looks_like}" in message
    assert "Upload a JPEG, PNG, WebP, BMP, GIF or TIFF." in message


def test_random_bytes():
    data = np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    with pytest.raises(ImageError, match="not an image cnnviz can read"):
        decode_image(data)


@pytest.mark.parametrize("fmt, hint", [("ICO", " (it looks like an icon (ICO) file)"), ("TGA", ""), ("PCX", "")])
def test_formats_pillow_reads_but_cnnviz_does_not_allow_are_refused(fmt, hint):
    data = encode(Image.new("RGB", (16, 16), (1, 2, 3)), fmt)
    assert Image.open(io.BytesIO(data)).format == fmt  # Pillow itself would decode it
    with pytest.raises(ImageError) as caught:
        decode_image(data)
    assert str(caught.value) == (
        f"This file is not an image cnnviz can read{hint}. Upload a JPEG, PNG, WebP, BMP, GIF or TIFF.")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "TIFF", "WEBP"])
def test_truncated_file_is_reported_as_corrupt(fmt):
    data = encode(noise_rgb(96, 96), fmt)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode_image(data[: len(data) // 2])


def test_file_cut_inside_its_header_is_corrupt_not_foreign():
    data = encode(noise_rgb(), "PNG")
    with pytest.raises(ImageError, match="The PNG image file is truncated or corrupt"):
        decode_image(data[:20])


def test_huge_header_is_refused_before_decoding():
    bomb = png_claiming(30000, 30000)
    assert len(bomb) < 100
    limit_before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageError, match="900 megapixels; the limit is 40 megapixels"):
        decode_image(bomb)
    assert Image.MAX_IMAGE_PIXELS == limit_before  # the global guard was not touched


def test_huge_header_is_refused_even_with_pillows_guard_switched_off(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(ImageError) as caught:
        decode_image(png_claiming(30000, 30000))
    assert str(caught.value) == (
        "This image is 30000 x 30000 pixels (900 megapixels); the limit is 40 megapixels. "
        "Resize it first."
    )


def test_header_over_our_limit_but_under_pillows_gives_exact_size():
    with pytest.raises(ImageError, match=r"8000 x 6000 pixels \(48 megapixels\)"):
        decode_image(png_claiming(8000, 6000))


def test_pillow_bomb_warning_becomes_an_error_even_with_a_raised_limit():
    # 100 MP is between Pillow's warning (89 MP) and error (179 MP) thresholds.
    with pytest.raises(ImageError, match="about 100 megapixels"):
        decode_image(png_claiming(10000, 10000), max_pixels=500_000_000)


def test_max_pixels_override():
    data = encode(Image.new("L", (100, 100), 5), "PNG")
    assert decode_image(data, max_pixels=10_000).size == (100, 100)
    with pytest.raises(ImageError, match=r"100 x 100 pixels \(0.01 megapixels\)"):
        decode_image(data, max_pixels=9_999)


def test_over_max_bytes():
    data = encode(noise_rgb(), "PNG")
    assert decode_image(data, max_bytes=len(data)).size == (64, 48)
    with pytest.raises(ImageError, match=r"^This file is [0-9.]+ MB; the limit is [0-9.]+ MB\. Resize or compress it first\.$"):
        decode_image(data, max_bytes=len(data) - 1)


def test_default_byte_limit_message_in_megabytes():
    with pytest.raises(ImageError, match="This file is 26 MB; the limit is 25 MB"):
        decode_image(b"\x89PNG" + bytes(26 * 1024 * 1024 - 4))


# ---------------------------------------------------------------------------------------------
# shrink_to
# ---------------------------------------------------------------------------------------------


def test_shrink_keeps_aspect_and_longest_side():
    wide = Image.new("RGB", (3000, 1500), (40, 80, 120))
    small = shrink_to(wide, 1024)
    assert small.size == (1024, 512)
    assert small.mode == "RGB"
    np.testing.assert_allclose(pixels(small).mean(axis=(0, 1)), (40, 80, 120), atol=1)

    tall = Image.new("L", (300, 901))
    assert shrink_to(tall, 100).size == (33, 100)


def test_shrink_never_upscales_and_returns_the_same_image():
    image = Image.new("RGB", (100, 50))
    assert shrink_to(image, 1024) is image
    assert shrink_to(image, 100) is image


def test_shrink_antialiases_a_fine_stripe_pattern_to_grey():
    stripes = np.tile(np.array([0, 255], dtype=np.uint8), (64, 64))  # 1-pixel columns, (64, 128)
    small = shrink_to(Image.fromarray(stripes), 16)
    # Nearest-neighbour would give 0 or 255; an antialiased filter gives the mean grey.
    np.testing.assert_allclose(pixels(small), 127.5, atol=3)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_shrink_rejects_bad_max_side(bad):
    with pytest.raises(ValueError, match=rf"^max_side must be a whole number of pixels >= 1, not {bad}\.$"):
        shrink_to(Image.new("L", (10, 10)), bad)


# ---------------------------------------------------------------------------------------------
# Sample images
# ---------------------------------------------------------------------------------------------

EXPECTED_SAMPLES = {
    # name: (mode, (width, height))
    "cat": ("RGB", (451, 300)),
    "astronaut": ("RGB", (512, 512)),
    "coffee": ("RGB", (600, 400)),
    "camera": ("L", (512, 512)),
    "coins": ("L", (384, 303)),
    "rocket": ("RGB", (640, 427)),
    "horse": ("L", (400, 328)),
    "china": ("RGB", (640, 427)),
    "flower": ("RGB", (640, 427)),
}


def test_sample_names_and_descriptions():
    assert sample_image_names() == list(SAMPLE_IMAGES) == list(EXPECTED_SAMPLES)
    for description in SAMPLE_IMAGES.values():
        assert description and "\n" not in description


@pytest.mark.parametrize("name", list(EXPECTED_SAMPLES))
def test_every_sample_loads_offline(name):
    image = load_sample_image(name)
    mode, size = EXPECTED_SAMPLES[name]
    assert image.mode == mode
    assert image.size == size
    assert pixels(image).std() > 10  # a real picture, not a blank


def test_samples_are_the_library_pixels():
    from skimage import data
    from sklearn.datasets import load_sample_image as sklearn_sample

    np.testing.assert_array_equal(np.asarray(load_sample_image("camera")), data.camera())
    np.testing.assert_array_equal(np.asarray(load_sample_image("cat")), data.chelsea())
    flower = sklearn_sample("flower.jpg")
    np.testing.assert_array_equal(np.asarray(load_sample_image("flower")), flower)


def test_binary_horse_becomes_0_and_255():
    from skimage import data

    horse = pixels(load_sample_image("horse"))
    assert set(np.unique(horse)) == {0, 255}
    np.testing.assert_array_equal(horse, data.horse().astype(np.int64) * 255)


def test_sample_cache_hands_out_copies():
    first = load_sample_image("coins")
    original = first.getpixel((0, 0))
    first.putpixel((0, 0), 255 - original)
    assert load_sample_image("coins").getpixel((0, 0)) == original
    assert load_sample_image("coins") is not load_sample_image("coins")


def test_unknown_sample_lists_the_names():
    with pytest.raises(ImageError, match="cat, astronaut, coffee, camera, coins, rocket, horse"):
        load_sample_image("dog")


# ---------------------------------------------------------------------------------------------
# to_array / to_tensor
# ---------------------------------------------------------------------------------------------


def test_to_array_grayscale_and_rgb():
    gray = Image.fromarray(np.array([[0, 51, 255], [102, 204, 1]], dtype=np.uint8))
    array = to_array(gray)
    assert array.dtype == np.float32 and array.shape == (2, 3)
    np.testing.assert_allclose(array, [[0, 0.2, 1], [0.4, 0.8, 1 / 255]], rtol=1e-6)

    rgb = noise_rgb(5, 4)
    array = to_array(rgb)
    assert array.shape == (4, 5, 3)
    assert 0.0 <= array.min() and array.max() <= 1.0
    np.testing.assert_allclose(array * 255, pixels(rgb), atol=1e-4)


def test_to_array_rejects_other_modes():
    with pytest.raises(ValueError, match=r"^to_array expects an 'L' or 'RGB' image, not mode 'RGBA'; decode it with decode_image first\.$"):
        to_array(Image.new("RGBA", (2, 2)))


def test_to_tensor_shapes_and_layout():
    import torch

    rgb = noise_rgb(5, 4)
    tensor = to_tensor(rgb)
    assert tensor.shape == (1, 3, 4, 5) and tensor.dtype == torch.float32
    assert tensor.is_contiguous()
    # channel c of pixel (x=2, y=1) is that pixel's byte / 255
    for channel, byte in enumerate(rgb.getpixel((2, 1))):
        assert tensor[0, channel, 1, 2].item() == pytest.approx(byte / 255)

    gray = Image.new("L", (7, 3), 255)
    gray_tensor = to_tensor(gray)
    assert gray_tensor.shape == (1, 1, 3, 7)
    assert torch.equal(gray_tensor, torch.ones(1, 1, 3, 7))


# ---------------------------------------------------------------------------------------------
# prepare_for_model
# ---------------------------------------------------------------------------------------------


def dark_square_on_white(size: tuple[int, int] = (60, 40)) -> Image.Image:
    image = Image.new("RGB", size, (250, 250, 250))
    width, height = size
    image.paste((20, 20, 20), (width // 3, height // 3, 2 * width // 3, 2 * height // 3))
    return image


def assert_image_matches_tensor(prepared: PreparedImage):
    tensor = prepared.tensor[0].numpy()  # (C, H, W)
    image = pixels(prepared.image)
    image = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)  # -> (C, H, W)
    np.testing.assert_array_equal(np.rint(tensor * 255), image)


@pytest.mark.parametrize("fit", ["pad", "crop", "stretch"])
@pytest.mark.parametrize("channels, size", [(1, (28, 28)), (3, (32, 48)), (3, (224, 224))])
def test_prepared_shape_range_and_picture(fit, channels, size):
    prepared = prepare_for_model(noise_rgb(64, 48), channels=channels, size=size, fit=fit)
    assert isinstance(prepared, PreparedImage)
    assert tuple(prepared.tensor.shape) == (1, channels, *size)
    assert str(prepared.tensor.dtype) == "torch.float32"
    assert 0.0 <= prepared.tensor.min().item() and prepared.tensor.max().item() <= 1.0
    assert prepared.image.mode == ("L" if channels == 1 else "RGB")
    assert prepared.image.size == (size[1], size[0])
    assert_image_matches_tensor(prepared)


def test_auto_invert_flips_dark_on_white():
    prepared = prepare_for_model(dark_square_on_white(), channels=1, size=(28, 28), invert="auto")
    assert prepared.inverted is True
    values = pixels(prepared.image)
    assert values[14, 14] > 220  # the dark object is now light
    assert values[0, 0] < 10 and values[-1, -1] < 10  # the white page is now black
    assert "inverted" in prepared.note
    assert_image_matches_tensor(prepared)


def test_auto_invert_leaves_light_on_dark_alone():
    light_on_dark = Image.new("L", (40, 40), 0)
    light_on_dark.paste(230, (10, 10, 30, 30))
    prepared = prepare_for_model(light_on_dark, channels=1, size=(20, 20), invert="auto")
    assert prepared.inverted is False
    values = pixels(prepared.image)
    assert values[10, 10] > 220 and values[0, 0] == 0
    assert "inverted" not in prepared.note


def test_invert_true_and_false_are_obeyed():
    light_on_dark = Image.new("L", (8, 8), 0)
    light_on_dark.paste(200, (2, 2, 6, 6))
    flipped = prepare_for_model(light_on_dark, channels=1, size=(8, 8), invert=True)
    kept = prepare_for_model(dark_square_on_white((8, 8)), channels=1, size=(8, 8), invert=False)
    assert flipped.inverted and not kept.inverted
    np.testing.assert_array_equal(pixels(flipped.image), 255 - pixels(light_on_dark))
    assert flipped.tensor[0, 0, 0, 0].item() == 1.0
    assert kept.tensor[0, 0, 0, 0].item() == pytest.approx(250 / 255)


def test_auto_invert_threshold_is_mean_border_luminance_half():
    just_bright = Image.new("L", (10, 10), 128)  # 128 / 255 > 0.5
    just_dark = Image.new("L", (10, 10), 127)  # 127 / 255 < 0.5
    assert prepare_for_model(just_bright, channels=1, size=(10, 10), invert="auto").inverted
    assert not prepare_for_model(just_dark, channels=1, size=(10, 10), invert="auto").inverted


def test_pad_uses_the_median_border_colour():
    border = (10, 200, 30)
    image = Image.new("RGB", (40, 20), border)
    image.paste((250, 0, 250), (10, 5, 30, 15))  # a different centre
    image.putpixel((0, 0), (255, 0, 0))  # one odd border pixel must not sway the median
    prepared = prepare_for_model(image, channels=3, size=(32, 32), fit="pad")
    values = pixels(prepared.image)
    # 40 x 20 fits 32 wide as 32 x 16: 8 rows of padding above and below
    np.testing.assert_array_equal(values[:7].reshape(-1, 3), np.tile(border, (7 * 32, 1)))
    np.testing.assert_array_equal(values[-7:].reshape(-1, 3), np.tile(border, (7 * 32, 1)))
    np.testing.assert_allclose(values[16, 16], (250, 0, 250), atol=3)  # content kept, centred
    assert prepared.note == "Padded with its border colour to a square and resized to 32 x 32."


def test_pad_keeps_the_whole_image_and_crop_keeps_the_centre():
    # Green middle, red and blue 8-pixel edges. The centre square (x 15..45) is all green, with
    # margins wider than Lanczos's reach (3 taps x 30/16 ~ 6 px) so no red or blue can leak in.
    stripes = Image.new("RGB", (60, 30), (0, 255, 0))
    stripes.paste((255, 0, 0), (0, 0, 8, 30))
    stripes.paste((0, 0, 255), (52, 0, 60, 30))

    padded = pixels(prepare_for_model(stripes, channels=3, size=(30, 30), fit="pad").image)
    assert padded[15, 0, 0] > 200 and padded[15, -1, 2] > 200  # red and blue edges kept

    cropped = pixels(prepare_for_model(stripes, channels=3, size=(16, 16), fit="crop").image)
    np.testing.assert_array_equal(cropped.reshape(-1, 3), np.tile((0, 255, 0), (256, 1)))

    stretched = prepare_for_model(stripes, channels=3, size=(10, 40), fit="stretch")
    assert stretched.image.size == (40, 10)
    assert pixels(stretched.image)[5, 0, 0] > 200 and pixels(stretched.image)[5, -1, 2] > 200


def test_channels_follow_the_model():
    red = Image.new("RGB", (4, 4), (255, 0, 0))
    gray = prepare_for_model(red, channels=1, size=(4, 4))
    assert gray.tensor.shape == (1, 1, 4, 4)
    assert gray.tensor[0, 0, 0, 0].item() == pytest.approx(76 / 255)  # 0.299 * 255 (ITU-R 601)
    assert gray.note == "Converted to grayscale."

    colour = prepare_for_model(Image.new("L", (4, 4), 90), channels=3, size=(4, 4))
    assert colour.tensor.shape == (1, 3, 4, 4)
    assert (colour.tensor == 90 / 255).all()  # the one grey copied into R, G and B


def test_other_modes_are_normalised_first():
    transparent = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    prepared = prepare_for_model(transparent, channels=3, size=(4, 4))
    assert (prepared.tensor == 1.0).all()  # fully transparent -> white page


def test_note_reads_as_one_sentence():
    prepared = prepare_for_model(dark_square_on_white(), channels=1, size=(28, 28), invert="auto")
    assert prepared.note.startswith(
        "Converted to grayscale, padded with its border colour to a square, resized to 28 x 28 and "
        "inverted"
    )
    assert prepared.note.endswith(".") and prepared.note.count(".") == 1
    untouched = prepare_for_model(Image.new("L", (28, 28)), channels=1, size=(28, 28))
    assert untouched.note == "Used as it is (already 28 x 28 grayscale)."


def test_prepared_image_is_frozen():
    prepared = prepare_for_model(Image.new("L", (4, 4)), channels=1, size=(4, 4))
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.inverted = True  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"channels": 2, "size": (28, 28)}, "channels"),
        ({"channels": True, "size": (28, 28)}, "channels"),
        ({"channels": 1, "size": (0, 28)}, "size"),
        ({"channels": 1, "size": (28,)}, "size"),
        ({"channels": 1, "size": "28"}, "size"),
        ({"channels": 1, "size": (28.0, 28)}, "size"),
        ({"channels": 1, "size": (28, 28), "invert": "yes"}, "invert"),
        ({"channels": 1, "size": (28, 28), "invert": 1}, "invert"),
        ({"channels": 1, "size": (28, 28), "fit": "zoom"}, "fit"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, word):
    with pytest.raises(ValueError, match=word):
        prepare_for_model(Image.new("L", (8, 8)), **kwargs)


def test_prepare_refuses_something_that_is_not_an_image():
    with pytest.raises(ValueError, match=r"^prepare_for_model expects a PIL image, not ndarray\.$"):
        prepare_for_model(np.zeros((8, 8)), channels=1, size=(8, 8))  # type: ignore[arg-type]
