"""ISO 286 limit deviations and ISO 2768-1 general tolerances against values printed in the standards."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docpipe.drawing import iso286, iso2768
from docpipe.drawing.iso286 import fit_deviations, fit_pair_deviations, it_value

# (nominal mm, class, upper mm, lower mm): values as printed in ISO 286-2 tables.
KNOWN = [
    (25, "H7", 0.021, 0.0),
    (25, "g6", -0.007, -0.020),
    (25, "h6", 0.0, -0.013),
    (10, "H7", 0.015, 0.0),
    (25, "k6", 0.015, 0.002),
    (25, "p6", 0.035, 0.022),
    (50, "H8", 0.039, 0.0),
    (40, "f7", -0.025, -0.050),
    (30, "js6", 0.0065, -0.0065),
    (25, "N7", -0.007, -0.028),
    (25, "P7", -0.014, -0.035),
    (25, "M7", 0.0, -0.021),
    (25, "K7", 0.006, -0.015),
    (100, "H11", 0.22, 0.0),
    (60, "e8", -0.060, -0.106),
    # more, shafts
    (10, "g6", -0.005, -0.014),
    (25, "f7", -0.020, -0.041),
    (25, "h7", 0.0, -0.021),
    (25, "h9", 0.0, -0.052),
    (25, "d9", -0.065, -0.117),
    (25, "e7", -0.040, -0.061),
    (25, "m6", 0.021, 0.008),
    (25, "n6", 0.028, 0.015),
    (25, "r6", 0.041, 0.028),
    (25, "s6", 0.048, 0.035),
    (25, "u6", 0.061, 0.048),
    (25, "c11", -0.110, -0.240),
    (120, "c11", -0.180, -0.400),
    (100, "h11", 0.0, -0.22),
    (40, "js7", 0.012, -0.012),  # IT7 = 25 um is odd: rounded down to 24 before halving (grades 7-11)
    (50, "k6", 0.018, 0.002),
    (80, "g6", -0.010, -0.029),
    # more, holes
    (25, "C11", 0.240, 0.110),
    (25, "D10", 0.149, 0.065),
    (25, "F7", 0.041, 0.020),
    (25, "F8", 0.053, 0.020),
    (25, "G7", 0.028, 0.007),
    (25, "H9", 0.052, 0.0),
    (25, "H11", 0.130, 0.0),
    (25, "K6", 0.002, -0.011),
    (25, "K8", 0.010, -0.023),
    (25, "M6", -0.004, -0.017),
    (25, "M8", 0.004, -0.029),
    (25, "N6", -0.011, -0.024),
    (25, "N8", -0.003, -0.036),
    (25, "N9", 0.0, -0.052),
    (2, "N9", -0.004, -0.029),  # N above IT8 keeps -4 um up to 3 mm
    (25, "P6", -0.018, -0.031),
    (25, "R7", -0.020, -0.041),
    (25, "S7", -0.027, -0.048),
    (25, "T7", -0.033, -0.054),
    (100, "U7", -0.111, -0.146),
    (300, "M6", -0.009, -0.041),  # ISO 286-1 special case: M6 over 250 up to 315 mm
    (2, "K7", 0.0, -0.010),
    (2, "M7", -0.002, -0.012),
    (2, "P7", -0.006, -0.016),
]


@pytest.mark.parametrize(("nominal", "fit", "upper", "lower"), KNOWN)
def test_known_values(nominal, fit, upper, lower):
    assert fit_deviations(nominal, fit) == (pytest.approx(upper, abs=1e-9), pytest.approx(lower, abs=1e-9))


@pytest.mark.parametrize(
    ("nominal", "it7_mm"),
    [(3, 0.010), (3.0001, 0.012), (6, 0.012), (10, 0.015), (18, 0.018), (18.01, 0.021), (30, 0.021),
     (30.0001, 0.025), (50, 0.025), (80, 0.030), (120, 0.035), (180, 0.040), (250, 0.046), (315, 0.052),
     (400, 0.057), (500, 0.063), (0.5, 0.010)],
)
def test_range_boundaries_belong_to_the_lower_range(nominal, it7_mm):
    assert fit_deviations(nominal, "H7") == (pytest.approx(it7_mm), 0.0)


@pytest.mark.parametrize(
    ("size", "deltas"),  # ISO 286-1 table 3, delta for hole grades 3, 4, 5, 6, 7, 8 (um)
    [(2, (0, 0, 0, 0, 0, 0)), (5, (1, 1.5, 1, 3, 4, 6)), (25, (1.5, 2, 3, 4, 8, 12)), (100, (2, 4, 5, 7, 13, 19)),
     (450, (5, 5, 7, 13, 23, 34))],
)
def test_delta_matches_table(size, deltas):
    assert tuple(iso286._delta(size, g) for g in range(3, 9)) == pytest.approx(deltas)


def test_fit_pair():
    assert fit_pair_deviations(25, "H7/g6") == ((0.021, 0.0), (-0.007, -0.02))
    with pytest.raises(ValueError, match="fit pair"):
        fit_pair_deviations(25, "g6/H7")


@pytest.mark.parametrize(
    ("nominal", "fit", "message"),
    [(600, "H7", "500 mm"), (0, "H7", "over 0"), (-5, "h6", "over 0"), (25, "Q7", "not supported"),
     (25, "j6", "not supported"), (25, "ZA7", "not supported"), (25, "H7/g6", "fit pair"),
     (25, "Js6", "mixed-case"), (25, "H 7", "not an ISO 286"), (25, "H20", "IT grade"), (25, "H0", "IT grade"),
     (20, "t6", "24 mm"), (20, "T7", "24 mm"), (25, "7H", "not an ISO 286")],
)
def test_unsupported_raise_clear_errors(nominal, fit, message):
    with pytest.raises(ValueError, match=message):
        fit_deviations(nominal, fit)


_SHAFTS = ["a", "b", "c", "d", "e", "f", "g", "h", "js", "k", "m", "n", "p", "r", "s", "u"]
_HOLES = [s.upper() for s in _SHAFTS]


@given(size=st.floats(min_value=0.01, max_value=500), letter=st.sampled_from(_SHAFTS + _HOLES),
       grade=st.integers(min_value=5, max_value=11))
def test_band_width_is_the_it_value(size, letter, grade):
    upper, lower = fit_deviations(size, f"{letter}{grade}")
    assert upper > lower
    width = it_value(size, grade) / 1000
    if letter.lower() == "js":  # the grade 7-11 rounding takes at most 1 um off the band
        assert width - 0.001 - 1e-9 <= upper - lower <= width + 1e-9
    else:
        assert upper - lower == pytest.approx(width, abs=1e-9)


@given(size=st.floats(min_value=0.01, max_value=500), letter=st.sampled_from("abcdefgh"),
       grade=st.integers(min_value=5, max_value=11))
def test_holes_a_to_h_mirror_the_shafts(size, letter, grade):
    """General rule of ISO 286-1: EI of A-H is -es of the shaft with the same letter."""
    hole_upper, hole_lower = fit_deviations(size, f"{letter.upper()}{grade}")
    shaft_upper, _ = fit_deviations(size, f"{letter}{grade}")
    assert hole_lower == pytest.approx(-shaft_upper, abs=1e-9)


# --- ISO 2768-1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nominal", "cls", "kind", "expected"),
    [(25, "m", "linear", 0.2), (30, "m", "linear", 0.2), (30.5, "m", "linear", 0.3), (2, "f", "linear", 0.05),
     (100, "f", "linear", 0.15), (150, "c", "linear", 1.2), (500, "v", "linear", 4.0), (3000, "m", "linear", 2.0),
     (6, "m", "linear", 0.1), (25, "M", "diameter", 0.2), (2, "m", "radius", 0.2), (5, "m", "chamfer", 0.5),
     (10, "c", "radius", 2.0), (8, "m", "angle", 1.0), (30, "m", "angle", 0.5), (100, "c", "angle", 0.5),
     (500, "v", "angle", 20 / 60)],
)
def test_general_tolerance(nominal, cls, kind, expected):
    assert iso2768.general_tolerance(nominal, cls, kind) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("nominal", "cls", "kind"),
    [(0.3, "m", "linear"), (2, "v", "linear"), (3000, "f", "linear"), (25, "x", "linear"), (25, "m", "thread")],
)
def test_general_tolerance_out_of_range(nominal, cls, kind):
    with pytest.raises(ValueError):
        iso2768.general_tolerance(nominal, cls, kind)


@pytest.mark.parametrize(
    ("text", "cls"),
    [("ISO 2768-m", "m"), ("ISO 2768-mK", "m"), ("DIN ISO 2768 m", "m"), ("General tolerances ISO 2768-f", "f"),
     ("ISO2768-c", "c"), ("ISO 2768-1 f", "f"), ("ISO 2768 - v L", "v"), ("ISO 2768-MH", "m"),
     ("Allgemeintoleranzen DIN ISO 2768-mK", "m"), ("ISO 2768 medium", "m"), ("ISO 2768 (fine)", "f"),
     ("ISO 2768-1", None), ("127680 m", None), ("SCALE 1:2", None), ("", None), ("ISO 2768-x", None)],
)
def test_parse_general_tolerance(text, cls):
    assert iso2768.parse_general_tolerance(text) == cls
