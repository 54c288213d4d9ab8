"""TreeSHAP against the definition: Shapley values of the path-dependent game, by brute force."""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeRegressor

from domain.inference.explain import explainer_for
from tests import factories


def _expected(tree, x: np.ndarray, known: set[int], node: int = 0) -> np.ndarray:
    """E[f(x) | x_S] as the tree's covers have it (Lundberg et al., Algorithm 1)."""
    left, right = tree.children_left[node], tree.children_right[node]
    if left < 0:
        return tree.value[node][:, 0] if tree.value.shape[2] == 1 else tree.value[node][0]
    feature = tree.feature[node]
    if feature in known:
        child = left if np.float32(x[feature]) <= tree.threshold[node] else right
        return _expected(tree, x, known, child)
    cover = tree.weighted_n_node_samples
    return (
        cover[left] * _expected(tree, x, known, left)
        + cover[right] * _expected(tree, x, known, right)
    ) / cover[node]


def _shapley(tree, x: np.ndarray, n: int) -> np.ndarray:
    """Each feature's Shapley value in the game v(S) = E[f(x) | x_S], over every subset."""
    phi = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        total = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for subset in combinations(others, size):
                known = set(subset)
                total += weight * (_expected(tree, x, known | {i}) - _expected(tree, x, known))
        phi.append(total)
    return np.asarray(phi)


def test_a_tree_gets_its_exact_shapley_values():
    # Given a deep regression tree on five features
    X, _ = factories.training_data(n_features=5)
    y = X @ np.arange(5.0) + np.sin(X[:, 0] * X[:, 1])
    model = DecisionTreeRegressor(max_depth=7, random_state=0).fit(X, y)

    # When its rows are explained
    explanation = explainer_for(model, feature_names=None).explain(X[:8])

    # Then the contributions are the game's Shapley values, and the base its empty coalition
    got = np.asarray(explanation.contributions)[:, 0, :]
    want = np.asarray([_shapley(model.tree_, x, 5)[:, 0] for x in X[:8]])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    empty = _expected(model.tree_, X[0], set())[0]
    assert explanation.base_values == [pytest.approx(empty, abs=1e-12)]


def test_a_forest_is_the_average_of_its_trees():
    X, y = factories.training_data()
    forest = RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X, y)
    explanation = explainer_for(forest, feature_names=None).explain(X[:5])
    per_tree = [
        [_class_shapley(estimator.tree_, x) for x in X[:5]] for estimator in forest.estimators_
    ]
    np.testing.assert_allclose(
        np.asarray(explanation.contributions), np.mean(per_tree, axis=0), rtol=0, atol=1e-12
    )


def _class_shapley(tree, x: np.ndarray) -> np.ndarray:
    """Outputs x features for a classifying tree, whose leaves hold class shares."""
    values = tree.value[:, 0, :] / tree.value[:, 0, :].sum(axis=1, keepdims=True)

    class Shares:
        children_left = tree.children_left
        children_right = tree.children_right
        feature = tree.feature
        threshold = tree.threshold
        weighted_n_node_samples = tree.weighted_n_node_samples
        value = values[:, None, :]

    return _shapley(Shares, x, 4).T


def test_gradient_boosting_multiclass_has_one_output_per_class():
    X, y = factories.training_data()
    y = (y + (X[:, 0] > 1)).astype(int)
    model = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, y)
    explanation = explainer_for(model, feature_names=None).explain(X[:6])
    assert explanation.outputs == [0, 1, 2]
    sums = np.asarray(explanation.contributions).sum(axis=2) + explanation.base_values
    np.testing.assert_allclose(sums, model.decision_function(X[:6]), rtol=0, atol=1e-9)
