"""A read-only byte stream over an artifact, transparently decompressing joblib's codecs.

Every byte handed out counts against a cap, so a small compressed file cannot expand without
bound (``decompression_bomb``), and running out of input in the middle of a read is reported as
``truncated``.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import BinaryIO, Protocol

from domain.errors import ModelRejected

CODECS = ("zlib", "gzip", "bz2", "xz", "lzma", "lz4")
LZ4_MAGIC = b"\x04\x22\x4d\x18"
_IN_CHUNK = 1 << 16
_OUT_CHUNK = 1 << 20


class _Decompressor(Protocol):
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


def _new_decompressor(codec: str) -> _Decompressor:
    """A streaming decompressor for one of joblib's container formats."""
    if codec == "zlib":
        return zlib.decompressobj()
    if codec == "gzip":
        return zlib.decompressobj(wbits=31)
    if codec == "bz2":
        return bz2.BZ2Decompressor()
    if codec == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    if codec == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    if codec == "lz4":
        try:
            import lz4.frame
        except ImportError:
            raise ModelRejected(
                "unknown_format",
                "The file is an lz4-compressed joblib file and this server has no lz4 package "
                "(pip install lz4), so it cannot read it.",
            ) from None
        return lz4.frame.LZ4FrameDecompressor()
    raise ValueError(f"unknown codec {codec!r}")


def truncated(what: str = "the artifact") -> ModelRejected:
    return ModelRejected("truncated", f"The file ends in the middle of {what}.")


class CappedStream:
    """``read``/``readline``/``skip`` over a raw file, decompressing ``codec`` when given."""

    def __init__(self, raw: BinaryIO, *, codec: str | None, limit: int) -> None:
        self._raw = raw
        self._codec = codec
        self._dec = _new_decompressor(codec) if codec else None
        self._limit = limit
        self._buf = bytearray()
        self._pending = b""  # zlib input not consumed yet because of max_length
        self._eof = False
        self.produced = 0  # bytes handed out so far (the decompressed position)

    @property
    def codec(self) -> str | None:
        return self._codec

    def _count(self, n: int) -> None:
        self.produced += n
        if self.produced > self._limit:
            raise ModelRejected(
                "decompression_bomb",
                f"The artifact expands to more than {self._limit} bytes.",
            )

    def _fill(self) -> bool:
        """Append more decompressed (or raw) bytes to the buffer; False at end of input."""
        if self._eof:
            return False
        if self._dec is None:
            chunk = self._raw.read(_IN_CHUNK)
            if not chunk:
                self._eof = True
                return False
            self._buf += chunk
            return True
        try:
            out = self._decompress_step()
        except (
            zlib.error,
            lzma.LZMAError,
            OSError,
            EOFError,
            RuntimeError,
        ) as exc:  # lz4: RuntimeError
            raise ModelRejected("corrupt", f"The {self._codec} stream is corrupt: {exc}") from None
        if out is None:
            self._eof = True
            return False
        self._buf += out
        return True

    def _decompress_step(self) -> bytes | None:
        dec = self._dec
        assert dec is not None
        stalled = False
        while True:
            if getattr(dec, "eof", False) and not self._pending:
                return None
            if self._codec in ("zlib", "gzip"):
                data = self._pending or self._raw.read(_IN_CHUNK)
                if not data:
                    return None
                out = dec.decompress(data, _OUT_CHUNK)
                self._pending = dec.unconsumed_tail  # type: ignore[attr-defined]
                if getattr(dec, "eof", False):
                    self._pending = b""
            else:
                data = b""
                if getattr(dec, "needs_input", True) or stalled:
                    data = self._raw.read(_IN_CHUNK)
                    if not data:
                        return None
                out = dec.decompress(data, _OUT_CHUNK)
                stalled = not out and not data
            if out:
                return out

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes, or fewer only at the end of the stream."""
        while len(self._buf) < n and self._fill():
            pass
        out = bytes(self._buf[:n])
        del self._buf[:n]
        self._count(len(out))
        return out

    def read_exact(self, n: int, what: str) -> bytes:
        data = self.read(n)
        if len(data) < n:
            raise truncated(what)
        return data

    def readline(self, limit: int = -1) -> bytes:
        """Up to and including the next newline (at most ``limit`` bytes when limit >= 0)."""
        start = 0
        while True:
            i = self._buf.find(b"\n", start)
            if i >= 0:
                n = i + 1
                break
            if 0 <= limit <= len(self._buf):
                n = limit
                break
            start = len(self._buf)
            if not self._fill():
                n = len(self._buf)
                break
        if limit >= 0:
            n = min(n, limit)
        out = bytes(self._buf[:n])
        del self._buf[:n]
        self._count(len(out))
        return out

    def skip(self, n: int, what: str) -> None:
        """Discard exactly ``n`` bytes without keeping them."""
        while n > 0:
            if not self._buf and not self._fill():
                raise truncated(what)
            take = min(n, len(self._buf))
            del self._buf[:take]
            self._count(take)
            n -= take


def detect_codec(head: bytes) -> str | None:
    """The joblib compression codec whose magic starts ``head``, if any."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:3] == b"\x5d\x00\x00":
        return "lzma"
    if head[:4] == LZ4_MAGIC:
        return "lz4"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    return None


def open_stream(raw: BinaryIO, *, limit: int) -> CappedStream:
    """A capped stream over ``raw`` (positioned at its start), decompressing if needed."""
    head = raw.read(8)
    raw.seek(0)
    return CappedStream(raw, codec=detect_codec(head), limit=limit)
