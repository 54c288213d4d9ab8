"""Recognise an artifact's format from its first bytes, never from its file name."""

from __future__ import annotations

import bz2
import io
import lzma
import pickletools  # nosec B403 - reads opcodes, never executes them
import zipfile
import zlib

from domain.registry.intake._stream import detect_codec

HEAD_BYTES = 1 << 16

# ModelProto field number -> protobuf wire type (0 varint, 2 length-delimited).
_ONNX_MODEL_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2}
_PROTO01_FIRST = b"(c}]"  # how protocol 0/1 pickles of containers and objects begin


def sniff_format(head: bytes) -> str | None:
    """``pickle``, ``joblib``, ``skops``, ``onnx`` or None, judged by content only.

    ``head`` is the start of the file (64 KiB is plenty). A ZIP that is too large to list from
    ``head`` alone is reported as ``skops``; :func:`inspect_artifact` then requires
    ``schema.json``. A compressed stream is ``joblib`` when its first decompressed bytes look like
    a pickle (bz2 releases nothing before a whole block, so it is trusted to the full scan).
    """
    if not head:
        return None
    if _looks_like_pickle(head):
        return "pickle"
    codec = detect_codec(head)
    if codec is not None:
        return "joblib" if _compressed_pickle(head, codec) else None
    if head[:4] == b"PK\x03\x04":
        return _sniff_zip(head)
    if _looks_like_onnx(head):
        return "onnx"
    return None


def _looks_like_pickle(head: bytes) -> bool:
    if head[0] == 0x80:
        return len(head) >= 2 and 2 <= head[1] <= 5
    if head[0] not in _PROTO01_FIRST:
        return False
    ops = 0
    last = 0
    try:
        for opcode, _arg, pos in pickletools.genops(io.BytesIO(head)):
            ops += 1
            last = pos or 0
            if opcode.name == "STOP" or ops >= 8:
                return True
    except ValueError:
        # Only a cut at the end of ``head`` is forgiven, not a bad opcode early on.
        return ops >= 2 and len(head) >= HEAD_BYTES and last > len(head) - 1024
    return False


def _compressed_pickle(head: bytes, codec: str) -> bool:
    try:
        if codec in ("zlib", "gzip"):
            out = zlib.decompressobj(wbits=31 if codec == "gzip" else 15).decompress(head, 4096)
        elif codec == "bz2":
            out = bz2.BZ2Decompressor().decompress(head, 4096)
        elif codec == "lz4":
            try:
                import lz4.frame
            except ImportError:
                return True  # the full check refuses it, naming the missing lz4 package
            out = lz4.frame.LZ4FrameDecompressor().decompress(head, 4096)
        else:
            fmt = lzma.FORMAT_XZ if codec == "xz" else lzma.FORMAT_ALONE
            out = lzma.LZMADecompressor(format=fmt).decompress(head, 4096)
    except (zlib.error, lzma.LZMAError, OSError, EOFError, RuntimeError):  # lz4: RuntimeError
        return False
    if not out:
        return codec == "bz2"
    return _looks_like_pickle(out)


def _sniff_zip(head: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(head)) as archive:
            return "skops" if "schema.json" in archive.namelist() else None
    except (zipfile.BadZipFile, ValueError, OSError):
        return "skops"  # only part of a larger ZIP: the full check decides


def _read_varint(data: bytes, pos: int) -> tuple[int, int] | None:
    value = 0
    for shift in range(0, 64, 7):
        if pos >= len(data):
            return None
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise ValueError("varint too long")


def _looks_like_onnx(head: bytes) -> bool:
    """Walk top-level protobuf fields; every one must be a ModelProto field of the right type."""
    pos = 0
    seen: set[int] = set()
    try:
        while pos < len(head):
            key = _read_varint(head, pos)
            if key is None:
                break
            tag, pos = key
            field, wire = tag >> 3, tag & 7
            if _ONNX_MODEL_FIELDS.get(field) != wire:
                return False
            seen.add(field)
            value = _read_varint(head, pos)
            if value is None:
                break
            length, pos = value
            if wire == 2:
                pos += length
    except ValueError:
        return False
    complete = pos == len(head)
    return 7 in seen if complete else bool(seen & {1, 7})
