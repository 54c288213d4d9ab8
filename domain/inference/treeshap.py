"""Exact path-dependent TreeSHAP for trees held as arrays (scikit-learn's), vectorised.

The value is the one Lundberg et al.'s Algorithm 2 computes (and ``shap.TreeExplainer`` with its
default ``tree_path_dependent`` perturbation): the game of a tree is
``v(S) = sum over leaves of value(leaf) * prod_{j in S} o_j(x) * prod_{j not in S} z_j``, where,
for each feature ``j`` split on along the leaf's path, ``z_j`` is the share of the training cover
that follows the path at ``j``'s splits and ``o_j(x)`` is 1 when ``x`` satisfies all of them.
``v(all)`` is the tree's prediction, ``v(empty)`` its cover-weighted mean (the base value).

Each leaf's game depends on its own ``U`` path features only, so its Shapley value for one of
them is ``(o_i - z_i) * sum_k k!(U-k-1)!/U! * e_k``, where ``e_k`` is the coefficient of ``t**k``
in ``prod_{j != i} (z_j + o_j t)``. The product is built once per leaf and row; taking factor
``i`` out again and weighing the quotient is a linear form in the product's coefficients whose
weights depend on ``z_i`` only, so they are computed once per leaf when the explainer is built.
The leaves of all trees with the same ``U`` are computed together, on arrays of rows by leaves,
in NumPy: a few dozen array operations per ``U`` rather than a Python loop per row, tree and node.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
from scipy import sparse

# Rows x leaves x path features per array operation: bounds the memory one chunk takes.
MAX_CELLS = 1 << 21


@dataclass(frozen=True, slots=True)
class TreeArrays:
    """One binary tree: node ``i`` goes left when ``x[feature[i]] <= threshold[i]`` (or, for a
    missing value, when ``missing_left[i]``); ``values`` holds each node's contribution to each
    output (a leaf's matters), ``cover`` its training weight."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    cover: np.ndarray
    values: np.ndarray  # nodes x outputs


@dataclass(frozen=True, slots=True)
class _Group:
    """The leaves (of every tree) whose paths split on ``width`` distinct features."""

    width: int
    zero: np.ndarray  # leaves x width: the cover share z_j
    features: np.ndarray  # leaves x width: which feature
    conditions: np.ndarray  # leaves x width x most: a split node's global index, or -1
    go_left: np.ndarray  # leaves x width x most: the direction the path takes there
    values: np.ndarray  # leaves x outputs
    weights: np.ndarray  # k!(width-k-1)!/width! for k < width
    hot: np.ndarray  # (width + 1) x width x leaves: see ``_group``


class TreeShap:
    """Contributions of each feature to each output for an additive ensemble of trees."""

    def __init__(self, trees: list[TreeArrays], n_features: int, offset: np.ndarray) -> None:
        self.n_features = n_features
        n_outputs = len(offset)
        self._split_feature: list[np.ndarray] = []
        self._split_threshold: list[np.ndarray] = []
        self._split_missing_left: list[np.ndarray] = []
        base = np.asarray(offset, dtype=np.float64).copy()
        leaves: dict[int, list[tuple[list[float], list[int], list[list[tuple[int, bool]]], int]]]
        leaves = {}
        leaf_values: list[np.ndarray] = []
        start = 0
        for tree in trees:
            internal = tree.left >= 0
            self._split_feature.append(np.where(internal, tree.feature, 0))
            self._split_threshold.append(tree.threshold)
            self._split_missing_left.append(tree.missing_left.astype(bool))
            root_cover = float(tree.cover[0])
            for leaf, path in _paths(tree):
                value = tree.values[leaf]
                base += value * (float(tree.cover[leaf]) / root_cover)
                by_feature: dict[int, tuple[float, list[tuple[int, bool]]]] = {}
                for node, left in path:
                    child = tree.left[node] if left else tree.right[node]
                    share = float(tree.cover[child]) / float(tree.cover[node])
                    feature = int(tree.feature[node])
                    z, conditions = by_feature.get(feature, (1.0, []))
                    by_feature[feature] = (z * share, [*conditions, (start + node, left)])
                features = sorted(by_feature)
                leaves.setdefault(len(features), []).append(
                    (
                        [by_feature[f][0] for f in features],
                        features,
                        [by_feature[f][1] for f in features],
                        len(leaf_values),
                    )
                )
                leaf_values.append(value)
            start += len(tree.left)
        self.base = base
        values = np.asarray(leaf_values, dtype=np.float64).reshape(-1, n_outputs)
        self._groups = [_group(width, found, values) for width, found in leaves.items() if width]
        # Which feature each (leaf, path feature) cell adds to.
        self._mappings = [
            sparse.csr_matrix(
                (np.ones(g.features.size), (np.arange(g.features.size), g.features.ravel())),
                shape=(g.features.size, n_features),
            )
            for g in self._groups
        ]
        self._n_nodes = start + 1

    def explain(self, X: np.ndarray, *, float32: bool = True) -> np.ndarray:
        """Rows x outputs x features; each row's sum plus ``base`` is the ensemble's output.

        With ``float32``, inputs are rounded as scikit-learn's trees round them before comparing
        them with their (float64) thresholds; histogram boosting compares float64 inputs.
        """
        n_rows = len(X)
        n_outputs = len(self.base)
        out = np.zeros((n_rows, n_outputs, self.n_features))
        if n_rows == 0:
            return out
        X = np.asarray(X, dtype=np.float32 if float32 else np.float64).astype(np.float64)
        # Rows in chunks, so that the split decisions of every node stay bounded too.
        step = max(1, MAX_CELLS // max(1, self._n_nodes))
        for lo in range(0, n_rows, step):
            self._explain_rows(X[lo : lo + step], out[lo : lo + step])
        return out

    def _explain_rows(self, X: np.ndarray, out: np.ndarray) -> None:
        left = self._goes_left(X)
        for group, mapping in zip(self._groups, self._mappings, strict=True):
            cells = len(group.values) * group.width * group.conditions.shape[2]
            step = max(1, MAX_CELLS // max(1, cells))
            for lo in range(0, len(X), step):
                phi = _group_shap(group, left[lo : lo + step])  # rows x leaves x width
                for k in range(out.shape[1]):
                    weighted = phi * group.values[None, :, k, None]
                    flat = weighted.reshape(len(weighted), -1)
                    out[lo : lo + step, k, :] += np.asarray((mapping.T @ flat.T).T)

    def _goes_left(self, X: np.ndarray) -> np.ndarray:
        """Rows x (every node of every tree, then one always-true column for padding)."""
        columns = []
        for feature, threshold, missing_left in zip(
            self._split_feature,
            self._split_threshold,
            self._split_missing_left,
            strict=True,
        ):
            x = X[:, feature]
            with np.errstate(invalid="ignore"):
                columns.append(np.where(np.isnan(x), missing_left[None, :], x <= threshold))
        columns.append(np.ones((len(X), 1), dtype=bool))
        return np.concatenate(columns, axis=1)


def _paths(tree: TreeArrays):
    """Each leaf with the (node, went left) splits on the way to it."""
    stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if tree.left[node] < 0:
            yield node, path
            continue
        stack.append((int(tree.right[node]), [*path, (node, False)]))
        stack.append((int(tree.left[node]), [*path, (node, True)]))


def _group(width: int, found: list, values: np.ndarray) -> _Group:
    most = max(len(conditions) for _, _, per_feature, _ in found for conditions in per_feature)
    n = len(found)
    conditions = np.full((n, width, most), -1, dtype=np.int64)
    go_left = np.ones((n, width, most), dtype=bool)
    for i, (_, _, per_feature, _) in enumerate(found):
        for j, splits in enumerate(per_feature):
            for c, (node, left) in enumerate(splits):
                conditions[i, j, c] = node
                go_left[i, j, c] = left
    zero = np.asarray([z for z, _, _, _ in found], dtype=np.float64)
    weights = np.asarray(
        [factorial(k) * factorial(width - k - 1) / factorial(width) for k in range(width)]
    )
    # Dividing prod_j (z_j + o_j t) by (z_i + t) and weighing the quotient's coefficients by
    # ``weights`` is linear in the product's coefficients p_k: sum_k p_k g_k(z_i), with
    # g_k(z) = sum_{m<k} weights[m] (-z)^(k-1-m). The g's depend on the leaf alone.
    hot = np.zeros((width + 1, width, n))  # degree k x path feature i x leaves
    for k in range(1, width + 1):
        for m in range(k):
            hot[k] += weights[m] * (-zero.T) ** (k - 1 - m)
    return _Group(
        width=width,
        zero=zero,
        features=np.asarray([f for _, f, _, _ in found], dtype=np.int64),
        conditions=conditions,
        go_left=go_left,
        values=values[[index for _, _, _, index in found]],
        weights=weights,
        hot=hot,
    )


def _group_shap(group: _Group, left: np.ndarray) -> np.ndarray:
    """Rows x leaves x width: each path feature's Shapley value in each leaf's game.

    Arrays are laid out degree (or path feature) first, so that each step works on contiguous
    planes of rows by leaves.
    """
    width = group.width
    # o_j: the row satisfies every split on feature j (-1 is the always-true padding column).
    taken = left[:, group.conditions]  # rows x leaves x width x most
    one = np.all(taken == group.go_left[None], axis=3).transpose(2, 0, 1).astype(np.float64)
    zero = np.ascontiguousarray(group.zero.T)[:, None, :]  # width x 1 x leaves
    # prod_j (z_j + o_j t): its coefficient of t**k in poly[k], rows x leaves.
    poly = np.zeros((width + 1, *one.shape[1:]))
    poly[0] = 1.0
    for j in range(width):
        shifted = poly[: j + 1] * one[j]
        poly[: j + 2] *= zero[j]
        poly[1 : j + 2] += shifted
    # Where o_i = 1 the factor (z_i + t) comes out: the precomputed linear form. Where o_i = 0
    # it is the constant z_i (> 0: every node has cover).
    hot = np.zeros_like(one)
    for k in range(1, width + 1):
        hot += poly[k][None] * group.hot[k][:, None, :]
    weighted = np.tensordot(group.weights, poly[:width], axes=1)  # rows x leaves
    with np.errstate(divide="ignore", invalid="ignore"):
        cold = np.where(zero > 0, weighted[None] / zero, 0.0)
    phi = np.where(one > 0, (1.0 - zero) * hot, -zero * cold)
    return phi.transpose(1, 2, 0)
