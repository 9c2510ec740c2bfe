"""make run's import pipeline settings: each port its own variable, a wrong one a one-line error."""

from __future__ import annotations

import pytest

from local.importing import DEFAULT_PORTS, port_setting


def test_each_port_has_a_default_and_takes_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, default in DEFAULT_PORTS.items():
        monkeypatch.delenv(name, raising=False)
        assert port_setting(name) == default
        monkeypatch.setenv(name, "0")  # any free port
        assert port_setting(name) == 0
        for wrong in ("http", "-1", "65536", "3 001"):
            monkeypatch.setenv(name, wrong)
            with pytest.raises(SystemExit, match=f"error: {name} must be a port number"):
                port_setting(name)
