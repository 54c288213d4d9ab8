"""The reference model of issue 4 and the rows every measurement sends."""

from __future__ import annotations

import numpy as np

N_FEATURES = 20
# JSON bodies carry 6 decimals: shorter bodies, and the local check predicts on the same values.
DECIMALS = 6


def _data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    return make_classification(n_samples=5000, n_features=N_FEATURES, random_state=0)


def training_matrix() -> np.ndarray:
    return _data()[0]


def build() -> tuple[object, np.ndarray]:
    """Fit the reference forest; return it with its training matrix."""
    from sklearn.ensemble import RandomForestClassifier

    X, y = _data()
    model = RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0)
    model.fit(X, y)
    return model, X


def to_skops(model: object) -> bytes:
    import skops.io as sio

    return sio.dumps(model)


def load_skops(data: bytes) -> object:
    """Load our own skops bytes, trusting exactly the types the file declares."""
    import skops.io as sio

    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def sample_rows(X: np.ndarray, n: int, seed: int) -> list[list[float]]:
    """``n`` rows drawn from ``X`` (with replacement), rounded to ``DECIMALS``."""
    rng = np.random.default_rng(seed)
    picked = X[rng.integers(0, len(X), size=n)]
    return np.round(picked, DECIMALS).tolist()


def label(value: object) -> str:
    """A class label as a comparable string: ``1``, ``1.0`` and ``"1"`` are the same label."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    return str(value)
