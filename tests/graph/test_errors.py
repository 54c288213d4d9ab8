"""Every domain error has a mapping: a union member from some area's handlers, or top-level."""

from __future__ import annotations

import gc
import importlib
import pkgutil

import domain
from domain.errors import Conflict, DomainError
from graph.errors import TOP_LEVEL
from graph.schema import EXCEPTION_HANDLERS


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | all_subclasses(sub)
    return found


def unmapped() -> set[str]:
    """DomainError subclasses neither handled (they or a base) by an area nor top-level."""
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    return {
        f"{error.__module__}.{error.__qualname__}"
        for error in all_subclasses(DomainError)
        if error not in TOP_LEVEL
        and not any(issubclass(error, h.exception_type) for h in EXCEPTION_HANDLERS)
    }


def test_every_domain_error_is_mapped():
    assert unmapped() == set()


def test_a_new_domain_error_without_a_mapping_is_caught():
    class Undecided(Conflict):
        pass

    try:
        assert unmapped() == {f"{__name__}.{Undecided.__qualname__}"}
    finally:
        del Undecided
        gc.collect()  # so the class leaves ``__subclasses__`` for the other tests


def test_no_error_is_both_a_union_member_and_top_level_only():
    handled = {h.exception_type for h in EXCEPTION_HANDLERS}
    assert handled & TOP_LEVEL == set()
