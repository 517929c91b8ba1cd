"""The conversion core and the CLI against hostile or odd input: translucent images (a faded logo is
traced as the logo, drawn faded), booleans or strings given for numbers, deeply nested JSON."""

import numpy as np
import pytest

from shared.errors import ParameterError
from shared.params import MAX_JSON_DEPTH, json_depth, loads_bounded, overrides_from_json, parse_params
from shared.pipeline import convert, lift_opacity
from shared.svg import with_opacity
from tests.conftest import disc


def half_transparent(size: int = 3) -> np.ndarray:
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[...] = (200, 30, 30, 128)
    return rgba


@pytest.mark.parametrize("tier", ["1", "2", "3"])
def test_a_half_transparent_image_is_drawn_half_transparent(tier: str) -> None:
    result = convert(half_transparent(), tier=tier, budget_s=1.0)
    assert "<path" in result.svg and 'opacity="0.502"' in result.svg
    assert result.figures.ssim > 0.99


def test_a_faded_logo_keeps_its_shape() -> None:
    logo = disc(64, 20.0)
    faded = logo.copy()
    faded[..., 3] = (logo[..., 3].astype(np.uint16) * 100 // 255).astype(np.uint8)
    assert convert(faded, tier=1).figures.ssim > 0.98


def test_lift_opacity_leaves_opaque_and_empty_images_alone() -> None:
    for rgba in (disc(32, 10.0), np.zeros((8, 8, 4), np.uint8)):
        lifted, opacity = lift_opacity(rgba)
        assert lifted is rgba and opacity == 1.0
    lifted, opacity = lift_opacity(half_transparent())
    assert opacity == pytest.approx(128 / 255) and (lifted[..., 3] == 255).all()
    empty = '<svg xmlns="http://www.w3.org/2000/svg" width="3" height="3"></svg>'
    assert with_opacity(empty, 0.5) == empty


@pytest.mark.parametrize(("values", "fragment"), [
    ({"scale": True}, "booleans are not numbers"),
    ({"filter_speckle": False}, "booleans are not numbers"),
    ({"simplify": True}, "booleans are not numbers"),
    ({"scale": "2"}, "got a string"),
])
def test_numbers_are_numbers(values: dict, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        parse_params(values)


def test_numbers_and_flags_of_the_right_type_still_parse() -> None:
    p = parse_params({"scale": 2, "simplify": None, "refine": True, "length_threshold": 4})
    assert p.steps.scale == 2.0 and p.steps.refine and p.engine.simplify is None


def test_deep_json_is_refused_before_decoding() -> None:
    assert json_depth('{"a": ["[[[[", {"b": 1}]}') == 3
    with pytest.raises(ParameterError, match="nests 1000 levels"):
        overrides_from_json('{"a":' * 1000 + "1" + "}" * 1000)
    with pytest.raises(ParameterError, match="nests"):
        loads_bounded("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "x")
    assert overrides_from_json('{"palette": ["#112233"]}') == {"palette": ["#112233"]}


def test_cli_param_nested_json_is_an_error_not_a_crash() -> None:
    from cli.main import parse_overrides

    with pytest.raises(ParameterError, match="--param x nests"):
        parse_overrides(["x=" + "[" * 5000 + "]" * 5000])
    assert parse_overrides(["mode=polygon", "scale=2"]) == {"mode": "polygon", "scale": 2}
