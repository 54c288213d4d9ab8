"""The server-owned allow-list of Python globals and types an uploaded model may reference.

One predicate, :func:`global_allowed`, serves the static pickle scan (in the API process), the
restricted unpickler (in the sandbox) and the skops type check (sandbox and serving). Nothing in
it is ever read from the upload. The rules, in order:

1. The name must be a plain identifier (no dots, so no ``Pipeline.__init__.__globals__``) and the
   module a dotted path of identifiers.
2. Deny: dangerous module trees (``os``, ``subprocess``, ``numpy.testing``, ``sklearn.datasets``,
   any ``tests`` package...), dangerous names anywhere (``eval``, ``system``, ``load``,
   ``Popen``...), and dunder names not listed explicitly.
3. Allow exact ``(module, name)`` pairs: numpy's array/dtype/scalar reconstructors and random
   state constructors, a few builtins, ``copyreg._reconstructor``, ``collections.OrderedDict``,
   joblib's ``NumpyArrayWrapper``, the xgboost/lightgbm estimators and Boosters, scipy.sparse
   matrix classes.
4. Allow *classes* (CamelCase names, optionally with one leading underscore) in scikit-learn
   modules. Functions in scikit-learn are not allowed: a pickle can call any allowed global.
"""

from __future__ import annotations

import importlib.util
import re

from domain.errors import ModelRejected

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_CLASS_NAME = re.compile(r"_?[A-Z][A-Za-z0-9_]*")
_PYX_UNPICKLE = re.compile(r"__pyx_unpickle_[A-Za-z_][A-Za-z0-9_]*")
_SPARSE_NAME = re.compile(r"(csr|csc|coo|bsr|dia|dok|lil)_(matrix|array)")

_NUMPY_SCALARS = [
    "bool",
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "intc",
    "uintc",
    "intp",
    "uintp",
    "longlong",
    "ulonglong",
    "float16",
    "float32",
    "float64",
    "longdouble",
    "complex64",
    "complex128",
    "clongdouble",
    "str_",
    "bytes_",
    "object_",
    "datetime64",
    "timedelta64",
]

# numpy's element-wise maths, as ``FunctionTransformer(np.log1p)`` and friends reference them:
# pure functions of their arguments, with no access to files, processes or Python objects.
NUMPY_UFUNCS: frozenset[str] = frozenset(
    [
        "abs",
        "absolute",
        "add",
        "arccos",
        "arccosh",
        "arcsin",
        "arcsinh",
        "arctan",
        "arctan2",
        "arctanh",
        "cbrt",
        "ceil",
        "cos",
        "cosh",
        "deg2rad",
        "degrees",
        "divide",
        "exp",
        "exp2",
        "expm1",
        "fabs",
        "floor",
        "floor_divide",
        "fmax",
        "fmin",
        "fmod",
        "hypot",
        "isfinite",
        "isinf",
        "isnan",
        "log",
        "log10",
        "log1p",
        "log2",
        "logaddexp",
        "logaddexp2",
        "logical_and",
        "logical_not",
        "logical_or",
        "logical_xor",
        "maximum",
        "minimum",
        "mod",
        "multiply",
        "negative",
        "positive",
        "power",
        "rad2deg",
        "radians",
        "reciprocal",
        "remainder",
        "rint",
        "sign",
        "signbit",
        "sin",
        "sinh",
        "sqrt",
        "square",
        "subtract",
        "tan",
        "tanh",
        "true_divide",
        "trunc",
    ]
)

# Functions a model may hold and call later, beside numpy's ufuncs: HistGradientBoosting with
# native categorical features keeps ``partial(check_array, ...)`` in a FunctionTransformer.
SAFE_FUNCTIONS: frozenset[tuple[str, str]] = frozenset(
    {("sklearn.utils.validation", "check_array")}
)

ALLOWED_EXACT: frozenset[tuple[str, str]] = frozenset(
    {
        ("builtins", name)
        for name in [
            "object",
            "bool",
            "int",
            "float",
            "complex",
            "str",
            "bytes",
            "bytearray",
            "list",
            "tuple",
            "dict",
            "set",
            "frozenset",
            "slice",
            "range",
        ]
    }
    | {
        ("copyreg", "_reconstructor"),
        ("_codecs", "encode"),  # protocol 0-2 pickles spell bytes as encode(str, 'latin1')
        ("collections", "OrderedDict"),
        ("collections", "defaultdict"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy", "matrix"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        # A class despite its name: a column pattern and dtype filters, matched against the
        # DataFrame's own column names (ColumnTransformer's by-dtype selection).
        ("sklearn.compose._column_transformer", "make_column_selector"),
        # Only ever wrapping an allowed callable (every callable a pickle can name is one).
        ("functools", "partial"),
        ("numpy.random._pickle", "__randomstate_ctor"),
        ("numpy.random._pickle", "__generator_ctor"),
        ("numpy.random._pickle", "__bit_generator_ctor"),
        ("numpy.random.mtrand", "RandomState"),
        ("numpy.random._generator", "Generator"),
        ("numpy.random.bit_generator", "SeedSequence"),
        ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
        ("xgboost.core", "Booster"),
        ("lightgbm.basic", "Booster"),
    }
    | {
        (module, name)
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    }
    | {(module, "_frombuffer") for module in ("numpy.core.numeric", "numpy._core.numeric")}
    | {("numpy", name) for name in _NUMPY_SCALARS}
    | {("numpy", name) for name in NUMPY_UFUNCS}
    | SAFE_FUNCTIONS
    | {
        (f"numpy.random._{name.lower()}", name)
        for name in ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")
    }
    | {
        ("xgboost.sklearn", name)
        for name in [
            "XGBModel",
            "XGBClassifier",
            "XGBRegressor",
            "XGBRanker",
            "XGBRFClassifier",
            "XGBRFRegressor",
        ]
    }
    | {
        ("lightgbm.sklearn", name)
        for name in ["LGBMModel", "LGBMClassifier", "LGBMRegressor", "LGBMRanker"]
    }
)

# Whole module trees that are never loaded, even when a prefix rule below would match.
DENIED_MODULE_PREFIXES: tuple[str, ...] = (
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "builtins",
    "__builtin__",
    "importlib",
    "runpy",
    "socket",
    "shutil",
    "pty",
    "ctypes",
    "code",
    "pickle",
    "_pickle",
    "marshal",
    "types",
    "operator",
    "functools",
    "inspect",
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.ctypeslib",
    "numpy.lib.npyio",
    "numpy.lib._npyio_impl",
    "numpy.lib.format",
    "numpy.lib._datasource",
    "sklearn.datasets",
    "sklearn.externals",
    "sklearn.experimental",
    "sklearn.utils._testing",
    "sklearn.utils._show_versions",
    "sklearn.utils.estimator_checks",
    "sklearn.utils._mocking",
    "sklearn.utils._joblib",
    "sklearn.utils.parallel",
    "sklearn.utils._estimator_html_repr",
    "sklearn.utils._repr_html",
    "sklearn._build_utils",
    "sklearn.__check_build",
    "joblib.numpy_pickle_compat",  # its NDArrayWrapper reads arrays from side files
    "joblib.parallel",
    "joblib.memory",
    "xgboost.callback",
    "xgboost.tracker",
    "xgboost.dask",
    "xgboost.spark",
    "xgboost.testing",
    "lightgbm.dask",
    "lightgbm.callback",
)

# Module path components that mark test or build helpers inside any package.
DENIED_MODULE_PARTS: frozenset[str] = frozenset(
    {"tests", "test", "testing", "_testing", "conftest", "__main__", "__builtins__"}
)

# Names refused wherever they appear, even inside an allowed package.
DENIED_NAMES: frozenset[str] = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "input",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "breakpoint",
        "system",
        "popen",
        "Popen",
        "spawn",
        "load",
        "loads",
        "save",
        "savez",
        "fromfile",
        "memmap",
        "Memory",
        "Parallel",
        "apply",
        "__builtins__",
        "__globals__",
        "__subclasses__",
        "__reduce__",
        "__reduce_ex__",
    }
)

ALLOWED_CLASS_MODULE_ROOTS: tuple[str, ...] = ("sklearn",)
_SPARSE_MODULE = re.compile(r"scipy\.sparse(\._[a-z]+)?")


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def denial_reason(module: str, name: str) -> str | None:
    """Why ``module.name`` is refused, or None when it is allowed."""
    if not _MODULE.fullmatch(module) or not _IDENT.fullmatch(name):
        return "not a plain module and name"
    if any(_under(module, prefix) for prefix in DENIED_MODULE_PREFIXES) and (
        (module, name) not in ALLOWED_EXACT
    ):
        return "module is denied"
    if DENIED_MODULE_PARTS.intersection(module.split(".")):
        return "test or build module"
    if name in DENIED_NAMES:
        return "name is denied"
    if (module, name) in ALLOWED_EXACT:
        return None
    if name.startswith("__") and not _PYX_UNPICKLE.fullmatch(name):
        return "dunder name"
    if any(module.split(".")[i].startswith("__") for i in range(module.count(".") + 1)):
        return "dunder module"
    if _SPARSE_MODULE.fullmatch(module) and _SPARSE_NAME.fullmatch(name):
        return None
    if any(_under(module, root) for root in ALLOWED_CLASS_MODULE_ROOTS):
        # Cython helpers rebuild an extension type from a checksum and state; they are only
        # reachable for types in the same (allowed) module.
        if _CLASS_NAME.fullmatch(name) or _PYX_UNPICKLE.fullmatch(name):
            return None
        return "only classes are allowed in this package"
    return "not in the allow-list"


def global_allowed(module: str, name: str) -> bool:
    """True when a pickle (or skops file) may reference ``module.name``."""
    return denial_reason(module, name) is None


def type_name_allowed(dotted: str) -> bool:
    """The same rule for a dotted type name as skops reports it (``sklearn.tree._tree.Tree``)."""
    module, _, name = dotted.rpartition(".")
    return bool(module) and global_allowed(module, name)


def disallowed_type_names(names: list[str]) -> list[str]:
    """The names in ``names`` that the allow-list refuses, sorted."""
    return sorted(name for name in names if not type_name_allowed(name))


# Frameworks served through their scikit-learn API that a server may lack: each is an extra
# (``pip install 'modelserve[xgboost]'``), so a model that needs one is refused by name.
OPTIONAL_FRAMEWORKS: frozenset[str] = frozenset({"xgboost", "lightgbm"})


def require_framework(module: str) -> None:
    """Refuse a reference into an optional framework this server does not have installed.

    Raises:
        ModelRejected: reason ``missing_extra``, naming the extra to install.
    """
    root = module.partition(".")[0]
    if root in OPTIONAL_FRAMEWORKS and importlib.util.find_spec(root) is None:
        raise ModelRejected(
            "missing_extra",
            f"The model needs {root}, which this server does not have: install "
            f"'modelserve[{root}]' (make run EXTRAS={root}).",
        )
