"""Under pytest-xdist's `--dist loadgroup` (the Makefile's), the tests of a module that shares a server
through a module-scoped fixture run on one worker, so that the server starts once, not once per
worker that happens to get one of its tests. Tests without such a fixture (each `make invoke` run, say)
go one by one to whichever worker is free."""

from __future__ import annotations

import pytest

_SHARED_SCOPES = {"module", "package", "class"}


def _shares_a_fixture_across_tests(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    definitions = [definition for chain in info.name2fixturedefs.values() for definition in chain]
    return any(definition.scope in _SHARED_SCOPES for definition in definitions)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent.name == "e2e" and _shares_a_fixture_across_tests(item):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
