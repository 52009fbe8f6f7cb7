"""Unit conversion through pint, with UCUM spellings. Pure.

UCUM codes (``mg/dL``, ``10*3/uL``, ``{OD}``, ``U/mL``) are mapped to pint expressions; a leading power of ten
becomes a numeric factor (pint units cannot carry one). Arbitrary units (``{OD}``, ``U``, ``IU``) convert only to
themselves, so an optical density can never silently become a concentration.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import pint

_POWER = re.compile(r"^10[*^](-?\d+)(.*)$")
_ANNOTATION = re.compile(r"\{([^}]*)\}")


class UnitError(ValueError):
    """A unit gutwise cannot read, or two units that do not convert into each other."""


@lru_cache
def registry() -> pint.UnitRegistry:
    ureg = pint.UnitRegistry()
    # pint knows the enzyme unit U (umol/min); it lacks the arbitrary units labs use
    ureg.define("international_unit = [biological_activity] = IU")
    ureg.define("optical_density = [optical_density] = OD")
    ureg.define("ratio = [] ")
    return ureg


def _parse(unit: str) -> tuple[float, str]:
    """(factor, pint expression) for a UCUM unit string."""
    text = unit.strip()
    if not text:
        raise UnitError("no unit given")
    factor = 1.0
    match = _POWER.match(text)
    if match:
        factor = 10.0 ** int(match.group(1))
        text = match.group(2) or "1"
        if text.startswith("/"):
            text = "1" + text
    # UCUM annotations: {OD} is the optical-density unit, other annotations are dimensionless labels
    text = _ANNOTATION.sub(lambda m: "OD" if m.group(1).upper() == "OD" else "ratio", text)
    text = text.replace("%", "percent")
    return factor, text


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``; ``UnitError`` if they are not convertible."""
    if from_unit.strip() == to_unit.strip():
        return value
    ureg = registry()
    f1, u1 = _parse(from_unit)
    f2, u2 = _parse(to_unit)
    try:
        out = ureg.Quantity(value * f1, u1).to(u2).magnitude / f2
    except (pint.errors.UndefinedUnitError, AttributeError, ValueError) as exc:
        raise UnitError(f"unknown unit ({exc})") from None
    except pint.errors.DimensionalityError:
        raise UnitError(f"{from_unit} cannot be converted to {to_unit}") from None
    return _round(float(out))


def convertible(from_unit: str, to_unit: str) -> bool:
    try:
        convert(1.0, from_unit, to_unit)
    except UnitError:
        return False
    return True


def _round(x: float) -> float:
    """Remove binary noise (999.9999999999999 -> 1000.0) while keeping 12 significant digits."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, 11 - math.floor(math.log10(abs(x))))
