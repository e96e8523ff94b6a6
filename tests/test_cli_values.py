"""`fastdl train --set KEY=VALUE`: how a value is read."""
import pytest

from fastdl.cli import _parse_value


@pytest.mark.parametrize("raw, want", [
    ("0.001", 0.001), ("12", 12), ("true", True), ("false", False), ("null", None),
    ("None", None), ("True", True), ("False", False), ("[1, 2]", [1, 2]),
    ("grid", "grid"), ("hinge", "hinge"), ("none", "none"),
])
def test_set_values(raw, want):
    got = _parse_value(raw)
    assert got == want and type(got) is type(want)
