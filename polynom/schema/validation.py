"""The one way a refused value becomes an error: :func:`invalid_value` and :func:`short_repr`.

A polytype's ``validate`` raises ``TypeError`` or ``ValueError`` (the :data:`INVALID`
classes); whoever validates for a model -- an assignment, a filter operand, a service --
turns that into a :class:`~polynom.errors.ValidationError` naming the model, the field and
the value with :func:`invalid_value`. The value is shown shortened, so a hostile value
(a 1 MB string, an int of 5,000 digits) neither builds a huge message nor fails building it.
"""

from __future__ import annotations

import decimal
import math
import reprlib
from typing import Any

from polynom.errors import ValidationError, ValidationTypeError

__all__ = ["INVALID", "invalid_value", "short_repr"]

#: What a polytype's ``validate`` may raise for a value it refuses. ``ArithmeticError``
#: (``decimal.InvalidOperation``, ``OverflowError``) is listed as a safety net: the
#: polytypes turn those into ``ValueError`` themselves.
INVALID: tuple[type[Exception], ...] = (TypeError, ValueError, ArithmeticError)

_LOG10_2 = math.log10(2)


class _ShortRepr(reprlib.Repr):
    """``reprlib`` with the sizes of an error message, and no huge intermediate strings."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = 60
        self.maxlong = 40
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 6

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # never str() a huge int: Python refuses past 4,300 digits
            digits = int(x.bit_length() * _LOG10_2) + 1
            return f"<{'negative ' if x < 0 else ''}int of about {digits:,} digits>"
        return super().repr_int(x, level)

    def repr_Decimal(self, x: decimal.Decimal, level: int) -> str:
        _sign, digits, exponent = x.as_tuple()
        if len(digits) <= 40:
            return repr(x)
        return f"<Decimal of {len(digits):,} digits, exponent {exponent}>"

    def _repr_temporal(self, x: Any, level: int) -> str:
        return x.isoformat()  # 0001-01-01T00:00:00+05:00 says more than the repr

    repr_datetime = repr_date = repr_time = _repr_temporal

    def _repr_binary(self, x: bytes | bytearray | memoryview, level: int) -> str:
        data = bytes(x[: self.maxstring])
        shown = repr(data) if len(x) <= self.maxstring else f"{data!r}... ({len(x):,} bytes)"
        return shown if type(x) is bytes else f"{type(x).__name__}({shown})"

    repr_bytes = repr_bytearray = repr_memoryview = _repr_binary

    def repr_str(self, x: str, level: int) -> str:
        if len(x) <= self.maxstring:
            return repr(x)
        return f"{x[: self.maxstring - 10]!r}... ({len(x):,} characters)"


_short = _ShortRepr()


def short_repr(value: Any) -> str:
    """``repr(value)``, at most about a hundred characters, whatever the value."""
    try:
        return _short.repr(value)
    except Exception:  # a user type whose repr fails: say what it is
        return f"<{type(value).__name__} object>"


def invalid_value(
    model: str, field: str, value: Any, problem: BaseException | str, *, verb: str = "invalid value"
) -> ValidationError:
    """The ``ValidationError`` for ``value`` refused in ``model.field``: ``problem`` says why.

    ``verb`` says what was attempted (``"cannot compare with"`` for a filter operand).
    """
    # a wrong *type* is also a TypeError, what PolyNOM 0.3 users catch; a bad value is not
    error = ValidationTypeError if isinstance(problem, TypeError) else ValidationError
    return error(
        f"{model}.{field}: {verb} {short_repr(value)}: {problem}",
        model=model,
        field=field,
        value=value,
    )
