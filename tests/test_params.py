import pytest

from shared.errors import ParameterError
from shared.params import ConversionParams, EngineParams, StepParams, parse_params


def test_defaults_are_the_engines_own_and_neutral_steps() -> None:
    p = ConversionParams()
    assert p.engine.mode == "spline" and p.engine.hierarchical == "stacked"
    assert p.engine.filter_speckle == 4 and p.engine.color_precision == 6 and p.engine.path_precision == 2
    assert p.steps.scale == 1.0 and p.steps.alpha == "keep"


def test_flat_overrides_go_to_their_group() -> None:
    p = parse_params({"mode": "polygon", "scale": 2, "alpha": "threshold", "palette": ["#112233"]})
    assert p.engine.mode == "polygon" and p.engine.palette == ("#112233",)
    assert p.steps.scale == 2.0 and p.steps.alpha == "threshold"
    assert set(p.flat()) == set(EngineParams.model_fields) | set(StepParams.model_fields)


def test_overrides_apply_on_top_of_a_base() -> None:
    base = parse_params({"mode": "polygon", "scale": 2})
    p = base.with_overrides({"filter_speckle": 8})
    assert (p.engine.mode, p.steps.scale, p.engine.filter_speckle) == ("polygon", 2.0, 8)


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        ({"filter_speckle": 999}, ["filter_speckle", "0 to 128"]),
        ({"color_precision": 0}, ["color_precision", "1 to 8"]),
        ({"scale": 4.5}, ["scale", "1.0 to 4.0"]),
        ({"mode": "bezier"}, ["mode", "polygon"]),
        ({"palette": ["red"]}, ["palette", "#rrggbb"]),
        ({"no_such_option": 1}, ["unknown", "no_such_option"]),
        ({"length_threshold": 1.0, "alpha_threshold": 0}, ["length_threshold", "alpha_threshold"]),
    ],
)
def test_bad_values_name_the_field_and_range(values: dict, fragments: list[str]) -> None:
    with pytest.raises(ParameterError) as info:
        parse_params(values)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_values_are_never_clamped() -> None:
    with pytest.raises(ParameterError):
        parse_params({"corner_threshold": 181})
