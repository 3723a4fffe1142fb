"""Hostile uploads: over a thousand bad files (tests/fuzz_files.py) thrown at every upload path.

Each file must either decode into a small, sane picture or be refused with one short message a
student can act on; nothing may raise anything else, blow up memory, show a traceback on a page
or take the server down. The same files (and crafted checkpoints) go through the Home page's
checkpoint upload, a sample of the nastiest through the Convolution lab with AppTest, and ten of
them through the real server in Chromium.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import random
import re
import struct
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fuzz_files
from cnnviz import images
from cnnviz.images import MAX_PIXELS, ImageError, decode_image, prepare_for_model

FILES = fuzz_files.hostile_files(seed=0)
BY_FAMILY = {family: [f for f in FILES if f.family == family] for family in fuzz_files.FAMILIES}
REPO = Path(__file__).resolve().parent.parent
REAL_CHECKPOINT = REPO / "pretrained" / "lenet5-fashion-mnist.pt"

# The input shapes of the shipped models: LeNet-5 on Fashion-MNIST (1x28x28) and the CIFAR-sized
# colour networks (3x32x32).
MODEL_INPUTS = ((1, (28, 28)), (3, (32, 32)))
# Decoding plus preparing one upload may raise the process's peak memory by at most this much.
# A 40-megapixel RGBA picture is 160 MB in Pillow; three full-size copies would break the bound.
MEMORY_BOUND_BYTES = 500 * 2**20

NOT_AN_IMAGE = "This file is not an image cnnviz can read"
CORRUPT = re.compile(r"^The (PNG |JPEG |GIF |BMP |TIFF |WebP )?image file is truncated or corrupt")
TOO_BIG = re.compile(r"^This image is .*megapixels\)?; the limit is 40 megapixels\. Resize it first\.$")


# ---------------------------------------------------------------------------------------------
# What a refusal must look like
# ---------------------------------------------------------------------------------------------

# Words that betray a raw exception reaching the student.
_RAW = re.compile(
    r"Traceback|File \"|\bline \d+|Error\b|Exception|Warning\b|struct\.|PIL\.|torch\.|\b0x[0-9a-f]+|<_io\.|BytesIO"
)


def assert_student_message(message: str) -> None:
    """One short line in plain words: no traceback, no exception class, a full stop at the end."""
    assert message, "an empty message"
    assert message == message.strip() and "\n" not in message and "\t" not in message, repr(message)
    assert len(message) < 300, f"too long ({len(message)} characters): {message}"
    assert message[0].isupper() and message.endswith("."), repr(message)
    assert not _RAW.search(message), f"raw exception text in: {message}"


@pytest.mark.parametrize(
    "message",
    [
        "Traceback (most recent call last):",
        "cannot identify image file <_io.BytesIO object at 0x7f00>",
        "UnidentifiedImageError: cannot identify image file.",
        "The image is broken.\nSee above.",
        "Image file is truncated (3 bytes not processed)",
        "DecompressionBombError: Image size (400000000 pixels) exceeds limit.",
        "OSError.",
        "",
        "x" * 300 + ".",
    ],
)
def test_the_message_check_rejects_raw_exception_text(message):
    with pytest.raises(AssertionError):
        assert_student_message(message)


# ---------------------------------------------------------------------------------------------
# The fuzz set itself
# ---------------------------------------------------------------------------------------------


def test_the_fuzz_set_has_over_a_thousand_distinct_small_files_in_every_family():
    assert len(FILES) >= 1000
    assert len({(f.filename.rsplit(".", 1)[1], f.data) for f in FILES}) == len(FILES)
    for family, members in BY_FAMILY.items():
        assert members, f"no file in the family {family!r}"
    assert len(BY_FAMILY["random bytes"]) >= 100 and len(BY_FAMILY["truncated"]) >= 200
    assert len(BY_FAMILY["corrupt"]) >= 200
    assert max(len(f.data) for f in FILES) < 3 * 2**20
    assert {len(f.data) for f in BY_FAMILY["random bytes"]} >= {1, 2, 64}
    assert b"" in {f.data for f in BY_FAMILY["empty"]}
    # Every name passes the upload widgets' extension filter, as a renamed file would.
    assert all(f.filename.rsplit(".", 1)[1] in images.UPLOAD_EXTENSIONS for f in FILES)


def test_the_fuzz_set_is_seeded():
    again = fuzz_files.hostile_files(seed=0)
    assert [(f.label, f.data) for f in again] == [(f.label, f.data) for f in FILES]
    other = fuzz_files.random_bytes(random.Random(1))
    assert {f.data for f in other} != {f.data for f in BY_FAMILY["random bytes"]}


def test_the_bombs_are_genuine():
    """The PNG bombs really inflate to their size, so the decoder is tested against real ones."""
    import zlib

    bomb = next(f for f in BY_FAMILY["decompression bomb"] if f.label.startswith("png 20000 x 20000"))
    assert len(bomb.data) < 500_000
    stream = bomb.data[bomb.data.index(b"IDAT") + 4 : -16]  # IDAT payload, before its CRC and IEND
    inflated = zlib.decompressobj().decompress(stream, 2**20)
    assert inflated == bytes(2**20)  # zeros, as far as we care to look
    assert struct.unpack(">II", bomb.data[16:24]) == (20000, 20000)  # IHDR: width, height
    small = fuzz_files.zeros_deflate(3 * 1000, 1000)
    assert zlib.decompress(small) == bytes(3000)  # the checksum is right too


# ---------------------------------------------------------------------------------------------
# decode_image and prepare_for_model
# ---------------------------------------------------------------------------------------------


class PeakMemory:
    """Peak resident memory of this process since the last reset (Linux: VmHWM)."""

    available = os.path.exists("/proc/self/clear_refs") and os.access("/proc/self/clear_refs", os.W_OK)

    @staticmethod
    def _status(field: str) -> int:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise LookupError(field)

    def reset(self) -> int:
        """Reset the peak to the current size; returns the current size in bytes."""
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # "5": reset the peak resident set size
        return self._status("VmRSS")

    def peak(self) -> int:
        return self._status("VmHWM")


def outcome(data: bytes) -> Image.Image | ImageError:
    """decode_image's answer, with Pillow's warnings silenced (they go to a log, not a student)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return decode_image(data)
        except ImageError as error:
            return error


@dataclass(frozen=True)
class Decoded:
    """What decode_image made of a file, without keeping its pixels: mode, size, corner pixel."""

    mode: str
    size: tuple[int, int]
    corner: int | tuple[int, ...]  # the bottom-right pixel


_ANSWERS: dict[bytes, Decoded | str] = {}  # sha256 of a file -> its Decoded, or the refusal


def remember(data: bytes, result: Image.Image | ImageError) -> Decoded | str:
    if isinstance(result, ImageError):
        summary: Decoded | str = str(result)  # not the exception: its traceback holds the pixels
    else:
        summary = Decoded(result.mode, result.size, result.getpixel((result.width - 1, result.height - 1)))
    _ANSWERS[hashlib.sha256(data).digest()] = summary
    return summary


def answer(data: bytes) -> Decoded | str:
    """A Decoded summary, or the refusal's message; each file is decoded once per test session."""
    known = _ANSWERS.get(hashlib.sha256(data).digest())
    return known if known is not None else remember(data, outcome(data))


def check_one(file: fuzz_files.HostileFile, memory: PeakMemory | None) -> str | None:
    """Decode (and prepare) one file; a description of what went wrong, or None."""
    start = memory.reset() if memory else 0
    try:
        result = outcome(file.data)
        remember(file.data, result)
        if isinstance(result, ImageError):
            assert_student_message(str(result))
        else:
            assert type(result) is Image.Image and result.mode in ("RGB", "L"), result
            assert 1 <= result.width * result.height <= MAX_PIXELS
            for channels, size in MODEL_INPUTS:
                prepared = prepare_for_model(result, channels=channels, size=size, invert="auto")
                assert tuple(prepared.tensor.shape) == (1, channels, *size)
                values = prepared.tensor.numpy()
                assert np.isfinite(values).all() and values.min() >= 0.0 and values.max() <= 1.0
                assert_student_message(prepared.note)
    except AssertionError as failure:
        return f"{file!r}: {failure}"
    except Exception as error:  # the point of the test: nothing but ImageError may escape
        return f"{file!r}: uncaught {type(error).__name__}: {error}"
    if memory:
        grown = memory.peak() - start
        if grown > MEMORY_BOUND_BYTES:
            return f"{file!r}: peak memory grew by {grown / 2**20:.0f} MB"
    return None


@pytest.fixture(scope="module")
def memory():
    return PeakMemory() if PeakMemory.available else None


def test_the_memory_probe_sees_a_big_allocation(memory):
    if memory is None:
        pytest.skip("needs Linux's /proc/self/clear_refs to measure peak memory")
    start = memory.reset()
    block = np.ones(200 * 2**20, dtype=np.uint8)  # 200 MB, touched
    assert memory.peak() - start >= 190 * 2**20
    del block


@pytest.mark.parametrize("family", fuzz_files.FAMILIES)
def test_every_hostile_file_decodes_or_is_refused_with_one_sentence(family, memory, one_torch_thread):
    problems = [problem for file in BY_FAMILY[family] if (problem := check_one(file, memory))]
    assert not problems, f"{len(problems)} of {len(BY_FAMILY[family])} failed:\n" + "\n".join(problems[:20])


def refusals(family: str) -> dict[str, str]:
    """label -> message for the files of one family that decode_image refuses."""
    return {f.label: str(r) for f in BY_FAMILY[family] if isinstance(r := answer(f.data), str)}


@pytest.mark.parametrize("family", ["random bytes", "svg", "executable", "script or html", "archive or document", "pickle"])
def test_files_that_are_not_images_are_all_refused_as_such(family):
    messages = refusals(family)
    assert len(messages) == len(BY_FAMILY[family])  # none decodes
    for label, message in messages.items():
        assert message.startswith(NOT_AN_IMAGE) and message.endswith("Upload a JPEG, PNG, WebP, BMP, GIF or TIFF."), (
            label, message)


def test_the_refusals_name_what_the_file_looks_like():
    named = {f.label: answer(f.data) for f in FILES if f.family in ("svg", "archive or document", "script or html")}
    assert "(it looks like an SVG drawing)" in named["svg external entity"]
    assert "(it looks like an SVG drawing)" in named["svg billion laughs"]
    assert "(it looks like a gzip archive)" in named["gzipped svg (svgz)"]
    assert "(it looks like a ZIP archive" in named["a zip bomb (20 MB of zeros)"]
    assert "(it looks like a PDF)" in named["a PDF"]
    assert "(it looks like a web page (HTML))" in named["HTML with a script"]
    assert "(it looks like a HEIC photo" in named["a HEIC photo header"]
    # Random bytes are not "a text file", even when no byte happens to be zero (from 16 bytes on,
    # random bytes that happen to be printable UTF-8 are vanishingly rare).
    for file in BY_FAMILY["random bytes"]:
        if len(file.data) >= 16:
            assert "text file" not in answer(file.data), file


def test_empty_files_are_called_empty():
    for file in BY_FAMILY["empty"]:
        message = answer(file.data)
        if file.data == b"":
            assert message == "The file is empty."
        else:
            assert message.startswith(NOT_AN_IMAGE), (file, message)


def test_garbage_after_an_allowed_magic_number_is_corrupt_in_that_format():
    names = {"png": "PNG", "jpg": "JPEG", "mpo": "JPEG", "gif": "GIF", "gif87": "GIF", "bmp": "BMP", "tif": "TIFF",
             "tiff": "TIFF", "bigtiff": "TIFF", "webp": "WebP", "webpx": "WebP"}
    for file in BY_FAMILY["magic then garbage"]:
        magic = file.label.split(" magic")[0]
        message = answer(file.data)
        # Garbage where the sizes belong can also claim a huge picture.
        assert message.startswith(f"The {names[magic]} image file is truncated or corrupt") or TOO_BIG.match(message), (
            file, message)


def test_truncated_files_decode_or_are_called_truncated():
    for file in BY_FAMILY["truncated"]:
        message = answer(file.data)
        if isinstance(message, str):
            # Cut inside the magic number, a file can no longer be recognised at all.
            assert CORRUPT.match(message) or (len(file.data) < 12 and message.startswith(NOT_AN_IMAGE)), (file, message)


def test_headers_claiming_too_many_pixels_are_refused_by_size():
    claims = 0
    for file in BY_FAMILY["huge dimensions"] + BY_FAMILY["decompression bomb"]:
        found = re.search(r"(?:claiming |png |tiff )(\d+) x (\d+)", file.label)
        if not found or int(found.group(1)) * int(found.group(2)) <= MAX_PIXELS:
            continue
        claims += 1
        message = answer(file.data)
        assert isinstance(message, str), file
        # PNG headers are authoritative: the refusal names the size. Elsewhere a header can also
        # contradict the rest of the file (a WebP canvas bigger than its only frame): corrupt.
        if file.filename.endswith(".png"):
            assert TOO_BIG.match(message), (file, message)
        else:
            assert TOO_BIG.match(message) or CORRUPT.match(message), (file, message)
    assert claims >= 40


def test_headers_claiming_zero_pixels_are_refused():
    for file in BY_FAMILY["huge dimensions"]:
        # (A GIF's screen size is only a hint: a 0 x 0 screen around an 8 x 8 frame is 8 x 8.)
        if re.search(r"claiming (0 x \d+|\d+ x 0)$", file.label) and not file.label.startswith("gif screen"):
            message = answer(file.data)
            assert CORRUPT.match(message) or message.startswith(NOT_AN_IMAGE), (file, message)


def test_bombs_under_the_limit_decode_for_real_and_over_it_are_refused():
    expected = {
        "png 6000 x 6600 grayscale of zeros (39.6 MP)": ("L", (6000, 6600)),
        "png 5000 x 7000 RGBA of zeros (35 MP)": ("RGB", (5000, 7000)),
        "png 16-bit 6000 x 6000 of zeros (36 MP)": ("L", (6000, 6000)),
        "tiff 6000 x 6000 deflate of zeros (36 MP)": ("L", (6000, 6000)),
    }
    bombs = {f.label: f for f in BY_FAMILY["decompression bomb"]}
    for label, (mode, size) in expected.items():
        decoded = answer(bombs[label].data)
        assert decoded == Decoded(mode, size, (255, 255, 255) if "RGBA" in label else 0), label
        # (RGBA zeros are transparent black, flattened onto white; opaque zeros stay black.)
    for label in ("png zTXt chunk inflating to 64 MB", "png iCCP chunk inflating to 64 MB", "png with 10000 tEXt chunks",
                  "png IDAT inflating to 64 MB for an 8 x 8 image", "gif of 4000 frames"):
        result = answer(bombs[label].data)
        assert isinstance(result, Decoded) or CORRUPT.match(result), (label, result)


def test_odd_modes_shapes_and_animations_all_decode():
    for file in BY_FAMILY["odd mode"] + BY_FAMILY["odd shape"] + BY_FAMILY["animation or pages"]:
        decoded = answer(file.data)
        assert isinstance(decoded, Decoded), (file, decoded)
    shapes = {f.label: answer(f.data).size for f in BY_FAMILY["odd shape"]}
    assert shapes["png 60000 x 1"] == (60000, 1) and shapes["png 1 x 60000"] == (1, 60000)
    grey = {f.label: answer(f.data).mode for f in BY_FAMILY["odd mode"]}
    for label in ("png I;16", "tiff I;16B", "tiff F with NaN and infinities", "tiff I (32-bit signed, negative)", "png 1-bit"):
        assert grey[label] == "L", label
    for label in ("tiff CMYK", "jpeg CMYK", "tiff YCbCr", "tiff LAB", "png P with transparency", "png 16-bit RGBA"):
        assert grey[label] == "RGB", label


def test_an_extreme_aspect_ratio_still_gives_a_full_model_input():
    line = outcome(next(f for f in BY_FAMILY["odd shape"] if f.label == "png 60000 x 1").data)
    for fit in ("pad", "crop", "stretch"):
        prepared = prepare_for_model(line, channels=1, size=(28, 28), fit=fit)
        assert tuple(prepared.tensor.shape) == (1, 1, 28, 28)
    # The 60000 x 1 line of grey 200 padded with its own (grey 200) border: one flat grey.
    padded = prepare_for_model(line, channels=1, size=(28, 28), fit="pad").tensor
    assert float(padded.min()) == float(padded.max()) == pytest.approx(200 / 255)


def test_polyglots_give_the_picture_they_start_with_or_are_refused():
    for file in BY_FAMILY["polyglot"]:
        result = answer(file.data)
        if isinstance(result, Decoded):
            assert result.size == (16, 16), file  # the image part, the rest ignored
        else:
            assert result.startswith(NOT_AN_IMAGE) or CORRUPT.match(result), (file, result)
    decoded = {f.label for f in BY_FAMILY["polyglot"] if isinstance(answer(f.data), Decoded)}
    assert "a GIF with a zip appended (GIFAR)" in decoded and "a PNG with PHP after IEND" in decoded


# ---------------------------------------------------------------------------------------------
# The Home page's checkpoint upload
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def home_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    return tmp_path


def test_hostile_files_uploaded_as_checkpoints_are_refused_with_one_sentence(home_dir):
    from cnnviz import catalog
    from cnnviz.models import CheckpointError

    # Every third file of the big families, every file of the small ones.
    sample = [f for family, members in BY_FAMILY.items()
              for f in (members[::3] if len(members) > 100 else members)]
    assert len(sample) > 400
    problems, stored = [], []
    for file in sample:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stored.append((file, catalog.store_upload(file.data)))
        except CheckpointError as error:
            try:
                assert_student_message(str(error))
            except AssertionError as failure:
                problems.append(f"{file!r}: {failure}")
        except Exception as error:
            problems.append(f"{file!r}: uncaught {type(error).__name__}: {error}")
    assert not problems, "\n".join(problems[:20])
    # Only the real checkpoint renamed photo.jpg is one.
    assert [file.label for file, _ in stored] == ["a real cnnviz checkpoint"]
    assert [path.name for path in (home_dir / "uploads").iterdir()] == [stored[0][1].name]


def test_crafted_checkpoints_are_refused_with_one_sentence_or_loaded(home_dir):
    from cnnviz import catalog
    from cnnviz.models import CheckpointError

    crafted = fuzz_files.checkpoint_payloads(REAL_CHECKPOINT.read_bytes())
    loaded, refused, problems = [], {}, []
    for file in crafted:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                path = catalog.store_upload(file.data)
            assert path.read_bytes() == file.data
            loaded.append(file.label)
        except CheckpointError as error:
            refused[file.label] = str(error)
            try:
                assert_student_message(str(error))
            except AssertionError as failure:
                problems.append(f"{file!r}: {failure}")
        except Exception as error:
            problems.append(f"{file!r}: uncaught {type(error).__name__}: {error}")
    assert not problems, "\n".join(problems)
    # Still checkpoints: other numbers in the weights, other dtypes.
    assert "checkpoint with float64 weights" in loaded
    # NaN weights give NaN predictions; the legacy format has no zip directory to check first.
    assert refused["checkpoint with NaN weights"].startswith("This checkpoint's weight 'features.c1.weight' holds")
    assert refused["the real checkpoint in the legacy (non-zip) format"].startswith(
        "This checkpoint is in PyTorch's old file format")
    # Not checkpoints: every cut file and every broken structure.
    assert all(label in refused for label in (f.label for f in crafted) if " cut at byte " in label)
    assert refused["checkpoint with an unknown model"].startswith("The checkpoint names an unknown model 'skynet'")
    assert refused["checkpoint with 3 classes for 10 outputs"] == (
        "This checkpoint names 3 classes but its lenet5 has 10 outputs.")
    assert "'num_classes' must be at least 1, not 0" in refused["checkpoint with num_classes 0"]
    assert refused["checkpoint with a weight that is a list"].endswith("'features.c1.weight' is not a tensor.")
    assert refused["real checkpoint whose data.pkl is random bytes"] == (
        "This file is not a cnnviz checkpoint (it could not be read as a PyTorch file).")


def test_a_checkpoint_claiming_a_gigantic_network_is_refused_before_it_is_built(home_dir):
    import torch

    from cnnviz import catalog
    from cnnviz.models import CheckpointError

    payload = torch.load(REAL_CHECKPOINT, weights_only=True)
    payload["config"] = {**payload["config"], "num_classes": 2**40}  # 369 TB of weights: fails at once
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(CheckpointError) as caught:
        catalog.store_upload(buffer.getvalue())
    assert_student_message(str(caught.value))
    assert str(caught.value) == f"This checkpoint names 10 classes but its lenet5 has {2**40} outputs."


# ---------------------------------------------------------------------------------------------
# Through the Convolution lab's uploader (AppTest)
# ---------------------------------------------------------------------------------------------


def mime_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def test_the_convolution_lab_shows_a_sentence_for_each_nasty_upload(app_test, home_dir):
    nasty = fuzz_files.nastiest(FILES)
    assert len(nasty) >= 30 and {f.family for f in nasty} == set(fuzz_files.FAMILIES)
    at = app_test
    at.switch_page("pages/conv_lab.py")
    at.run()
    at.radio(key="conv_source").set_value("Upload").run()
    assert not at.exception
    for file in nasty:
        at.file_uploader(key="conv_upload").set_value((file.filename, file.data, mime_type(file.filename))).run()
        assert not at.exception, (file, [e.value for e in at.exception])
        errors = [e.value for e in at.error]
        expected = answer(file.data)
        if isinstance(expected, str):
            assert expected in errors, (file, errors)
            # The page fell back to the astronaut (512 x 512 in the lab): 3x3 kernel -> 510 x 510.
            assert any(m.value == "1x510x510" for m in at.metric), file
        else:
            for error in errors:  # a picture too thin for the 3x3 kernel gets the lab's own sentence
                assert error.startswith("No output: the kernel spans"), (file, error)
                assert_student_message(error)


# ---------------------------------------------------------------------------------------------
# The real server stays up (Chromium)
# ---------------------------------------------------------------------------------------------

BROWSER_SAMPLE = (
    "png 20000 x 20000 of zeros (400 MP)",
    "png 6000 x 6600 grayscale of zeros (39.6 MP)",
    "png claiming 100000 x 100000",
    "svg billion laughs",
    "the bytes of /bin/ls",
    "zero bytes",
    "jpeg baseline cut at byte",
    "20 random bytes",
    "a zip bomb (20 MB of zeros)",
    "tiff F with NaN and infinities",
)


@pytest.mark.browser
def test_the_server_survives_nasty_uploads_in_a_real_browser(tmp_path):
    from browser import CHROMIUM, CHROMIUM_ARGS, exceptions_on, upload, wait_until_idle
    from dashboard.testing.server import DashboardServer

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    chosen = []
    for prefix in BROWSER_SAMPLE:
        matches = [f for f in FILES if f.label.startswith(prefix) and (prefix != "zero bytes" or f.filename.endswith(".jpg"))]
        chosen.append(matches[len(matches) // 2])
    server = DashboardServer(env={"CNNVIZ_HOME": str(tmp_path / "home")})
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{server.url}/convolution")
            wait_until_idle(page)
            page.get_by_text("Upload", exact=True).first.click()
            wait_until_idle(page)
            for index, file in enumerate(chosen):
                path = tmp_path / f"{index}-{file.filename}"
                path.write_bytes(file.data)
                upload(page, path)
                assert exceptions_on(page) == [], file
                expected = answer(file.data)
                if isinstance(expected, str):
                    page.locator('[data-testid="stAlert"]').filter(has_text=expected).first.wait_for(timeout=30_000)
                else:
                    assert page.locator('[data-testid="stAlert"]').filter(has_text="image file").count() == 0, file
            # Any name at all: the uploader does not filter on extensions (Streamlit would refuse a
            # filtered-out name with an exception), so an SVG reaches the decoder and gets its sentence.
            svg = tmp_path / "drawing.svg"
            svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
            upload(page, svg)
            assert exceptions_on(page) == []
            page.locator('[data-testid="stAlert"]').filter(has_text=answer(svg.read_bytes())).first.wait_for(timeout=30_000)
            browser.close()
        assert server.process.poll() is None, "the server process died"
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as response:
            assert response.read() == b"ok"
    finally:
        server.stop()
