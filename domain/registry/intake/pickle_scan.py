"""Static scan of a pickle or joblib stream: what it would import, without running any of it.

The scanner is a symbolic copy of ``pickle._Unpickler`` (the pure-Python unpickler that joblib's
``NumpyUnpickler`` extends, and that the sandbox uses): same opcodes, same framing, same stack and
memo, but values are symbols and nothing is ever called. That lets it

* resolve every ``GLOBAL``/``INST``/``STACK_GLOBAL`` to a ``(module, name)`` pair (after the same
  protocol<3 name mapping ``find_class`` applies) and check it against the allow-list;
* refuse what cannot be resolved: ``STACK_GLOBAL`` operands that are not literal strings,
  persistent ids, extension codes, out-of-band buffers;
* refuse calls (``REDUCE``, ``NEWOBJ``, ``OBJ``) of anything but an allow-listed global, and
  ``BUILD``/``APPEND``/``SETITEM`` aimed at a global (which would patch a class);
* follow joblib's layout: after the ``BUILD`` of a ``NumpyArrayWrapper`` the raw array bytes (after
  an alignment pad) or a nested pickle (object arrays) follow in the file itself, outside any
  frame. Their length is computed from the wrapper's shape and dtype exactly as numpy would, and
  anything unusual about a wrapper is refused rather than guessed.

Bulk data (long strings and bytes) is skipped, not kept, so the scan's memory stays small.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import io
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domain.errors import ModelRejected
from domain.registry.intake._stream import CappedStream, truncated
from domain.registry.intake.allowlist import denial_reason, require_framework

KEEP_BYTES = 4096  # longer str/bytes values are skipped and kept as a Blob
FRAME_LIMIT = 16 << 20  # CPython frames hold ~64 KiB; large items are written outside frames
MEMO_LIMIT = 1_000_000
STACK_LIMIT = 1_000_000
DICT_KEEP = 256  # items remembered per dict (joblib wrapper states have six)
OPS_LIMIT = 20_000_000  # a big forest is a few hundred thousand opcodes

WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_DTYPE = ("numpy", "dtype")
_NDARRAY = ("numpy", "ndarray")
_RECONSTRUCTOR = ("copyreg", "_reconstructor")
_OBJECT = ("builtins", "object")
_TYPESTR = re.compile(r"([biufcmMOSUV])(\d+)")
_FIXED_SIZES = {
    "b": {1},
    "i": {1, 2, 4, 8},
    "u": {1, 2, 4, 8},
    "f": {2, 4, 8, 16},
    "c": {8, 16, 32},
    "m": {8},
    "M": {8},
    "O": {8},
}


class _Stop(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass(eq=False, slots=True)
class Global:
    module: str
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.name)


@dataclass(eq=False, slots=True)
class Instance:
    """The result of calling an allowed global; ``attrs`` is tracked for joblib wrappers only."""

    cls: Global
    args: tuple[Any, ...] | None = None
    state: Any = None
    attrs: dict[str, Any] | None = None
    consumed: bool = False


@dataclass(eq=False, slots=True)
class Blob:
    kind: str  # "str", "bytes" or "int": a value too large to keep
    size: int


@dataclass(eq=False, slots=True)
class SymList:
    pass


@dataclass(eq=False, slots=True)
class SymSet:
    pass


@dataclass(eq=False, slots=True)
class SymDict:
    items: dict[str, Any] = field(default_factory=dict)
    overflow: bool = False

    def put(self, key: Any, value: Any) -> None:
        if type(key) is not str or len(self.items) >= DICT_KEEP:
            self.overflow = True
        else:
            self.items[key] = value


@dataclass
class ScanReport:
    protocol: int = 0
    globals: set[tuple[str, str]] = field(default_factory=set)
    joblib_arrays: int = 0
    opcodes: int = 0
    root_class: str | None = None  # "module.name" when the pickle's value is an instance
    root_kind: str = "object"


def _corrupt(detail: str) -> ModelRejected:
    return ModelRejected("corrupt", f"The pickle stream is malformed: {detail}.")


def _unsafe(detail: str) -> ModelRejected:
    return ModelRejected("unsafe_pickle", f"The pickle is refused: {detail}.")


def _is(value: Any, key: tuple[str, str]) -> bool:
    return isinstance(value, Global) and value.key == key


class _Scanner:
    """One pickle stream (the top level, or the nested stream of a joblib object array)."""

    def __init__(
        self, stream: CappedStream, report: ScanReport, *, outer: _Scanner | None = None
    ) -> None:
        self.stream = stream
        # joblib reads an object array's nested stream with a plain Unpickler (no arrays follow
        # its wrappers) whose find_class is the outer unpickler's, protocol included.
        self.outer = outer
        self.joblib_arrays = outer is None
        self.report = report
        self.frame: io.BytesIO | None = None
        self.stack: list[Any] = []
        self.metastack: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.proto = 0

    # -- reading, mirroring pickle._Unframer -------------------------------------------------

    def read(self, n: int) -> bytes:
        if self.frame is not None:
            data = self.frame.read(n)
            if not data and n != 0:
                self.frame = None
                return self.stream.read_exact(n, "a pickle opcode")
            if len(data) < n:
                raise _corrupt("pickle exhausted before end of frame")
            return data
        return self.stream.read_exact(n, "a pickle opcode")

    def read_counted(self, n: int, kind: str) -> bytes | Blob:
        """A length-prefixed argument: kept when short, skipped when long."""
        if n <= KEEP_BYTES or self.frame is not None:
            data = self.read(n)
            return data if len(data) <= KEEP_BYTES else Blob(kind, n)
        self.stream.skip(n, "a pickle argument")
        return Blob(kind, n)

    def readline(self) -> bytes | Blob:
        if self.frame is not None:
            data = self.frame.readline()
            if data:
                if data[-1:] != b"\n":
                    raise _corrupt("pickle exhausted before end of frame")
                return data if len(data) <= KEEP_BYTES else Blob("str", len(data))
            self.frame = None
        line = self.stream.readline(KEEP_BYTES + 1)
        if line.endswith(b"\n"):
            return line
        if len(line) <= KEEP_BYTES:
            raise truncated("a pickle opcode")
        size = len(line)
        while True:  # an over-long protocol 0 argument: skip to its newline
            more = self.stream.readline(1 << 20)
            if not more:
                raise truncated("a pickle opcode")
            size += len(more)
            if more.endswith(b"\n"):
                return Blob("str", size)

    def text_line(self, encoding: str) -> str:
        line = self.readline()
        if isinstance(line, Blob):
            raise _unsafe("an over-long module or name")
        return line[:-1].decode(encoding)

    def number_line(self) -> bytes:
        line = self.readline()
        if isinstance(line, Blob):
            raise _corrupt("an over-long number")
        return line

    # -- the stack ------------------------------------------------------------------------------

    def push(self, value: Any) -> None:
        if len(self.stack) >= STACK_LIMIT:
            raise _unsafe("the pickle stack is too deep")
        self.stack.append(value)

    def pop_mark(self) -> list[Any]:
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def memo_put(self, index: int, value: Any) -> None:
        if index not in self.memo and len(self.memo) >= MEMO_LIMIT:
            raise _unsafe("too many memoised objects")
        self.memo[index] = value

    def memo_get(self, index: int) -> None:
        if index not in self.memo:
            raise _corrupt(f"memo value not found at index {index}")
        self.push(self.memo[index])

    def resolve(self, module: str, name: str) -> Global:
        """``find_class`` without the import: map old names, then apply the allow-list."""
        if (self.outer or self).proto < 3:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        reason = denial_reason(module, name)
        if reason is not None:
            raise ModelRejected(
                "forbidden_global",
                f"The pickle references the global {module}.{name}, which is not allowed "
                f"({reason}).",
            )
        require_framework(module)
        self.report.globals.add((module, name))
        return Global(module, name)

    def callable_global(self, value: Any, what: str) -> Global:
        if not isinstance(value, Global):
            raise _unsafe(f"{what} of a value that is not an allow-listed global")
        return value

    def mutable_target(self, what: str) -> Any:
        target = self.stack[-1]
        if isinstance(target, Global):
            raise _unsafe(f"{what} applied to the global {target.module}.{target.name}")
        return target

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> Any:
        dispatch = _DISPATCH
        try:
            while True:
                self.report.opcodes += 1
                if self.report.opcodes > OPS_LIMIT:
                    raise ModelRejected("too_complex", "The pickle has too many opcodes.")
                key = self.read(1)
                handler = dispatch.get(key[0])
                if handler is None:
                    raise _corrupt(f"invalid opcode {key!r}")
                handler(self)
        except _Stop as stop:
            return stop.value
        except ModelRejected:
            raise
        except (IndexError, KeyError, TypeError, ValueError, struct.error, OverflowError) as exc:
            raise _corrupt(type(exc).__name__) from None

    # -- opcodes --------------------------------------------------------------------------------

    def op_proto(self) -> None:
        proto = self.read(1)[0]
        if not 0 <= proto <= 5:
            raise _corrupt(f"unsupported protocol {proto}")
        self.proto = proto
        self.report.protocol = max(self.report.protocol, proto)

    def op_frame(self) -> None:
        (size,) = struct.unpack("<Q", self.read(8))
        if size > FRAME_LIMIT:
            raise _unsafe(f"a {size}-byte frame")
        if self.frame is not None and self.frame.read() != b"":
            raise _corrupt("beginning of a new frame before end of current frame")
        self.frame = io.BytesIO(self.stream.read_exact(size, "a pickle frame"))

    def op_persid(self) -> None:
        raise _unsafe("persistent ids are not supported")

    def op_stop(self) -> None:
        raise _Stop(self.stack.pop())

    def op_none(self) -> None:
        self.push(None)

    def op_false(self) -> None:
        self.push(False)

    def op_true(self) -> None:
        self.push(True)

    def op_int(self) -> None:
        data = self.number_line()
        if data == b"00\n":
            self.push(False)
        elif data == b"01\n":
            self.push(True)
        else:
            self.push(int(data, 0))

    def op_binint(self) -> None:
        self.push(struct.unpack("<i", self.read(4))[0])

    def op_binint1(self) -> None:
        self.push(self.read(1)[0])

    def op_binint2(self) -> None:
        self.push(struct.unpack("<H", self.read(2))[0])

    def op_long(self) -> None:
        val = self.number_line()[:-1]
        if val and val[-1] == ord("L"):
            val = val[:-1]
        self.push(int(val, 0))

    def op_long1(self) -> None:
        n = self.read(1)[0]
        self.push(int.from_bytes(self.read(n), "little", signed=True))

    def op_long4(self) -> None:
        (n,) = struct.unpack("<i", self.read(4))
        if n < 0:
            raise _corrupt("LONG4 has a negative byte count")
        data = self.read_counted(n, "int")
        self.push(data if isinstance(data, Blob) else int.from_bytes(data, "little", signed=True))

    def op_float(self) -> None:
        self.push(float(self.number_line()[:-1]))

    def op_binfloat(self) -> None:
        self.push(struct.unpack(">d", self.read(8))[0])

    def _push_text(self, data: bytes | Blob, decode: Callable[[bytes], str]) -> None:
        self.push(Blob("str", data.size) if isinstance(data, Blob) else decode(data))

    def op_string(self) -> None:
        line = self.readline()
        if isinstance(line, Blob):
            self.push(line)
            return
        data = line[:-1]
        if not (len(data) >= 2 and data[0] == data[-1] and data[:1] in (b'"', b"'")):
            raise _corrupt("the STRING opcode argument must be quoted")
        self.push(codecs.escape_decode(data[1:-1])[0].decode("ascii"))

    def op_binstring(self) -> None:
        (n,) = struct.unpack("<i", self.read(4))
        if n < 0:
            raise _corrupt("BINSTRING has a negative byte count")
        self._push_text(self.read_counted(n, "str"), lambda b: b.decode("ascii"))

    def op_short_binstring(self) -> None:
        self._push_text(self.read_counted(self.read(1)[0], "str"), lambda b: b.decode("ascii"))

    def op_unicode(self) -> None:
        line = self.readline()
        self._push_text(
            line if isinstance(line, Blob) else line[:-1],
            lambda b: str(b, "raw-unicode-escape"),
        )

    def _utf8(self, n: int) -> None:
        self._push_text(self.read_counted(n, "str"), lambda b: str(b, "utf-8", "surrogatepass"))

    def op_binunicode(self) -> None:
        self._utf8(struct.unpack("<I", self.read(4))[0])

    def op_binunicode8(self) -> None:
        self._utf8(struct.unpack("<Q", self.read(8))[0])

    def op_short_binunicode(self) -> None:
        self._utf8(self.read(1)[0])

    def op_binbytes(self) -> None:
        self.push(self.read_counted(struct.unpack("<I", self.read(4))[0], "bytes"))

    def op_binbytes8(self) -> None:
        self.push(self.read_counted(struct.unpack("<Q", self.read(8))[0], "bytes"))

    def op_short_binbytes(self) -> None:
        self.push(self.read_counted(self.read(1)[0], "bytes"))

    def op_bytearray8(self) -> None:
        self.op_binbytes8()

    def op_next_buffer(self) -> None:
        raise _unsafe("out-of-band buffers are not supported")

    def op_readonly_buffer(self) -> None:
        top = self.stack[-1]
        if not isinstance(top, bytes | Blob):
            raise _corrupt("READONLY_BUFFER on a value that is not a buffer")

    def op_tuple(self) -> None:
        self.push(tuple(self.pop_mark()))

    def op_empty_tuple(self) -> None:
        self.push(())

    def op_tuple1(self) -> None:
        self.stack[-1] = (self.stack[-1],)

    def op_tuple2(self) -> None:
        self.stack[-2:] = [(self.stack[-2], self.stack[-1])]

    def op_tuple3(self) -> None:
        self.stack[-3:] = [(self.stack[-3], self.stack[-2], self.stack[-1])]

    def op_empty_list(self) -> None:
        self.push(SymList())

    def op_empty_dict(self) -> None:
        self.push(SymDict())

    def op_empty_set(self) -> None:
        self.push(SymSet())

    def op_frozenset(self) -> None:
        self.pop_mark()
        self.push(SymSet())

    def op_list(self) -> None:
        self.pop_mark()
        self.push(SymList())

    def op_dict(self) -> None:
        items = self.pop_mark()
        if len(items) % 2:
            raise _corrupt("DICT with an odd number of items")
        result = SymDict()
        for i in range(0, len(items), 2):
            result.put(items[i], items[i + 1])
        self.push(result)

    def op_inst(self) -> None:
        module = self.text_line("ascii")
        name = self.text_line("ascii")
        cls = self.resolve(module, name)
        args = self.pop_mark()
        if cls.key == WRAPPER:
            raise _unsafe("a NumpyArrayWrapper built by INST")
        self.push(Instance(cls, tuple(args)))

    def op_obj(self) -> None:
        args = self.pop_mark()
        cls = self.callable_global(args.pop(0), "OBJ")
        if cls.key == WRAPPER:
            raise _unsafe("a NumpyArrayWrapper built by OBJ")
        self.push(Instance(cls, tuple(args)))

    def op_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.callable_global(self.stack.pop(), "NEWOBJ")
        if cls.key == WRAPPER:
            if args != ():
                raise _unsafe("a NumpyArrayWrapper built with arguments")
            self.push(Instance(cls, (), attrs={}))
            return
        self.push(Instance(cls, args if isinstance(args, tuple) else None))

    def op_newobj_ex(self) -> None:
        self.stack.pop()
        args = self.stack.pop()
        cls = self.callable_global(self.stack.pop(), "NEWOBJ_EX")
        if cls.key == WRAPPER:
            raise _unsafe("a NumpyArrayWrapper built by NEWOBJ_EX")
        self.push(Instance(cls, args if isinstance(args, tuple) else None))

    def op_global(self) -> None:
        module = self.text_line("utf-8")
        name = self.text_line("utf-8")
        self.push(self.resolve(module, name))

    def op_stack_global(self) -> None:
        name = self.stack.pop()
        module = self.stack.pop()
        if type(name) is not str or type(module) is not str:
            raise ModelRejected(
                "forbidden_global",
                "The pickle imports a global whose name cannot be resolved statically.",
            )
        self.push(self.resolve(module, name))

    def op_ext(self) -> None:
        raise ModelRejected(
            "forbidden_global", "The pickle uses the extension registry (EXT opcodes)."
        )

    def op_reduce(self) -> None:
        args = self.stack.pop()
        func = self.callable_global(self.stack[-1], "REDUCE")
        if func.key == WRAPPER:
            raise _unsafe("a NumpyArrayWrapper built by calling it")
        if func.key == _RECONSTRUCTOR:
            if not (isinstance(args, tuple) and len(args) == 3):
                raise _unsafe("copyreg._reconstructor with unexpected arguments")
            cls = self.callable_global(args[0], "copyreg._reconstructor")
            if cls.key == WRAPPER and not (_is(args[1], _OBJECT) and args[2] is None):
                raise _unsafe("an unusual NumpyArrayWrapper reconstruction")
            attrs = {} if cls.key == WRAPPER else None
            self.stack[-1] = Instance(cls, None, attrs=attrs)
            return
        self.stack[-1] = Instance(func, args if isinstance(args, tuple) else None)

    def op_pop(self) -> None:
        if self.stack:
            del self.stack[-1]
        else:
            self.pop_mark()

    def op_pop_mark(self) -> None:
        self.pop_mark()

    def op_dup(self) -> None:
        self.push(self.stack[-1])

    def op_get(self) -> None:
        self.memo_get(int(self.number_line()[:-1]))

    def op_binget(self) -> None:
        self.memo_get(self.read(1)[0])

    def op_long_binget(self) -> None:
        self.memo_get(struct.unpack("<I", self.read(4))[0])

    def op_put(self) -> None:
        index = int(self.number_line()[:-1])
        if index < 0:
            raise _corrupt("negative PUT argument")
        self.memo_put(index, self.stack[-1])

    def op_binput(self) -> None:
        self.memo_put(self.read(1)[0], self.stack[-1])

    def op_long_binput(self) -> None:
        self.memo_put(struct.unpack("<I", self.read(4))[0], self.stack[-1])

    def op_memoize(self) -> None:
        self.memo_put(len(self.memo), self.stack[-1])

    def op_append(self) -> None:
        self.stack.pop()
        self.mutable_target("APPEND")

    def op_appends(self) -> None:
        self.pop_mark()
        self.mutable_target("APPENDS")

    def op_setitem(self) -> None:
        value = self.stack.pop()
        key = self.stack.pop()
        target = self.mutable_target("SETITEM")
        if isinstance(target, SymDict):
            target.put(key, value)

    def op_setitems(self) -> None:
        items = self.pop_mark()
        target = self.mutable_target("SETITEMS")
        if len(items) % 2:
            raise _corrupt("SETITEMS with an odd number of items")
        if isinstance(target, SymDict):
            for i in range(0, len(items), 2):
                target.put(items[i], items[i + 1])

    def op_additems(self) -> None:
        self.pop_mark()
        self.mutable_target("ADDITEMS")

    def op_mark(self) -> None:
        if len(self.metastack) >= STACK_LIMIT:
            raise _unsafe("too many nested marks")
        self.metastack.append(self.stack)
        self.stack = []

    def op_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if not isinstance(inst, Instance):
            raise _unsafe("BUILD applied to something that is not a constructed object")
        if inst.cls.key == _DTYPE:
            inst.state = state
        if inst.attrs is None:
            return
        # A NumpyArrayWrapper: pickle's load_build updates its __dict__ ...
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
            if slots is not None:
                raise _unsafe("NumpyArrayWrapper with slot state")
        if state is not None:
            if not isinstance(state, SymDict) or state.overflow:
                raise _unsafe("NumpyArrayWrapper with an unexpected state")
            inst.attrs.update(state.items)
        if not self.joblib_arrays:
            return  # a nested stream is read by a plain Unpickler: no array follows
        # ... then joblib's NumpyUnpickler.load_build reads the array that follows it.
        if inst.consumed:
            raise _unsafe("a NumpyArrayWrapper built twice")
        inst.consumed = True
        self.stack[-1] = self.read_joblib_array(inst.attrs)
        self.report.joblib_arrays += 1

    def read_joblib_array(self, attrs: dict[str, Any]) -> Instance:
        """Skip the array data joblib wrote after a wrapper, exactly as joblib reads it."""
        if "shape" not in attrs or "dtype" not in attrs:
            raise _corrupt("NumpyArrayWrapper without shape or dtype")
        itemsize, hasobject = _dtype_layout(attrs["dtype"])
        count = _element_count(attrs["shape"])
        if hasobject:
            # Object arrays are a complete nested pickle read from the file by a plain
            # Unpickler (its own frames and memo), not from the current frame.
            _Scanner(self.stream, self.report, outer=self).run()
        else:
            if attrs.get("numpy_array_alignment_bytes") is not None:
                padding = self.stream.read_exact(1, "array padding")[0]
                self.stream.skip(padding, "array padding")
            self.stream.skip(count * itemsize, "array data")
        return Instance(Global(*_NDARRAY))


def _element_count(shape: Any) -> int:
    """numpy.multiply.reduce over int64 dims, with the same wrap-around."""
    if not isinstance(shape, tuple) or not all(type(dim) is int for dim in shape):
        raise _unsafe("NumpyArrayWrapper with a shape that is not a tuple of ints")
    count = 1
    for dim in shape:
        if not -(1 << 63) <= dim < (1 << 63):
            raise _corrupt("array dimension out of int64 range")
        count = (count * dim) & ((1 << 64) - 1)
    if count >= 1 << 63:
        count -= 1 << 64
    if count < 0:
        raise _corrupt("negative array size")
    return count


def _dtype_layout(dtype: Any) -> tuple[int, bool]:
    """(itemsize, hasobject) of a pickled numpy dtype, as ``dtype.__setstate__`` leaves them."""
    if not (isinstance(dtype, Instance) and dtype.cls.key == _DTYPE and dtype.args):
        raise _unsafe("NumpyArrayWrapper whose dtype is not a numpy.dtype")
    typestr = dtype.args[0]
    match = _TYPESTR.fullmatch(typestr) if type(typestr) is str else None
    if match is None:
        raise _unsafe(f"NumpyArrayWrapper with dtype {typestr!r}")
    kind, digits = match.group(1), int(match.group(2))
    if kind not in "VSU" and digits not in _FIXED_SIZES[kind]:
        raise _unsafe(f"NumpyArrayWrapper with dtype {typestr!r}")
    state = dtype.state
    if state is None:
        return (digits * 4 if kind == "U" else digits), kind == "O"
    if not (isinstance(state, tuple) and state and state[0] in (3, 4)):
        raise _unsafe("NumpyArrayWrapper with an unsupported dtype state")
    if len(state) != (8 if state[0] == 3 else 9):
        raise _corrupt("dtype state of the wrong length")
    elsize, flags = state[5], state[7]
    if type(elsize) is not int or type(flags) is not int:
        raise _unsafe("NumpyArrayWrapper with an unsupported dtype state")
    # numpy takes the item size of flexible kinds, and the object flag of all kinds, from state.
    itemsize = elsize if kind in "VSU" else digits
    if itemsize < 0:
        raise _corrupt("negative dtype item size")
    return itemsize, bool(flags & 1)


_OPS: dict[str, Callable[[_Scanner], None]] = {
    "PROTO": _Scanner.op_proto,
    "FRAME": _Scanner.op_frame,
    "PERSID": _Scanner.op_persid,
    "BINPERSID": _Scanner.op_persid,
    "STOP": _Scanner.op_stop,
    "NONE": _Scanner.op_none,
    "NEWFALSE": _Scanner.op_false,
    "NEWTRUE": _Scanner.op_true,
    "INT": _Scanner.op_int,
    "BININT": _Scanner.op_binint,
    "BININT1": _Scanner.op_binint1,
    "BININT2": _Scanner.op_binint2,
    "LONG": _Scanner.op_long,
    "LONG1": _Scanner.op_long1,
    "LONG4": _Scanner.op_long4,
    "FLOAT": _Scanner.op_float,
    "BINFLOAT": _Scanner.op_binfloat,
    "STRING": _Scanner.op_string,
    "BINSTRING": _Scanner.op_binstring,
    "SHORT_BINSTRING": _Scanner.op_short_binstring,
    "UNICODE": _Scanner.op_unicode,
    "BINUNICODE": _Scanner.op_binunicode,
    "BINUNICODE8": _Scanner.op_binunicode8,
    "SHORT_BINUNICODE": _Scanner.op_short_binunicode,
    "BINBYTES": _Scanner.op_binbytes,
    "BINBYTES8": _Scanner.op_binbytes8,
    "SHORT_BINBYTES": _Scanner.op_short_binbytes,
    "BYTEARRAY8": _Scanner.op_bytearray8,
    "NEXT_BUFFER": _Scanner.op_next_buffer,
    "READONLY_BUFFER": _Scanner.op_readonly_buffer,
    "TUPLE": _Scanner.op_tuple,
    "EMPTY_TUPLE": _Scanner.op_empty_tuple,
    "TUPLE1": _Scanner.op_tuple1,
    "TUPLE2": _Scanner.op_tuple2,
    "TUPLE3": _Scanner.op_tuple3,
    "EMPTY_LIST": _Scanner.op_empty_list,
    "EMPTY_DICT": _Scanner.op_empty_dict,
    "EMPTY_SET": _Scanner.op_empty_set,
    "FROZENSET": _Scanner.op_frozenset,
    "LIST": _Scanner.op_list,
    "DICT": _Scanner.op_dict,
    "INST": _Scanner.op_inst,
    "OBJ": _Scanner.op_obj,
    "NEWOBJ": _Scanner.op_newobj,
    "NEWOBJ_EX": _Scanner.op_newobj_ex,
    "GLOBAL": _Scanner.op_global,
    "STACK_GLOBAL": _Scanner.op_stack_global,
    "EXT1": _Scanner.op_ext,
    "EXT2": _Scanner.op_ext,
    "EXT4": _Scanner.op_ext,
    "REDUCE": _Scanner.op_reduce,
    "POP": _Scanner.op_pop,
    "POP_MARK": _Scanner.op_pop_mark,
    "DUP": _Scanner.op_dup,
    "GET": _Scanner.op_get,
    "BINGET": _Scanner.op_binget,
    "LONG_BINGET": _Scanner.op_long_binget,
    "PUT": _Scanner.op_put,
    "BINPUT": _Scanner.op_binput,
    "LONG_BINPUT": _Scanner.op_long_binput,
    "MEMOIZE": _Scanner.op_memoize,
    "APPEND": _Scanner.op_append,
    "APPENDS": _Scanner.op_appends,
    "SETITEM": _Scanner.op_setitem,
    "SETITEMS": _Scanner.op_setitems,
    "ADDITEMS": _Scanner.op_additems,
    "MARK": _Scanner.op_mark,
    "BUILD": _Scanner.op_build,
}


def _build_dispatch() -> dict[int, Callable[[_Scanner], None]]:
    import pickle  # nosec B403 - opcode table only, nothing unpickled

    table = {getattr(pickle, name)[0]: handler for name, handler in _OPS.items()}
    missing = set(pickle._Unpickler.dispatch) - set(table)  # type: ignore[attr-defined]
    if missing:  # a new opcode in a future Python must be handled before it is accepted
        raise RuntimeError(f"pickle opcodes without a scanner handler: {sorted(missing)}")
    return table


_DISPATCH = _build_dispatch()


def scan_pickle(stream: CappedStream) -> ScanReport:
    """Scan one joblib-or-pickle stream; raise ``ModelRejected`` on anything not provably safe."""
    report = ScanReport()
    root = _Scanner(stream, report).run()
    if isinstance(root, Instance):
        report.root_class = f"{root.cls.module}.{root.cls.name}"
    else:
        report.root_kind = type(root).__name__.removeprefix("Sym").lower()
    return report
