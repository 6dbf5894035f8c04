"""The ``__init__`` of a model class, written out for its fields, made once per class.

``Bike(brand="Giant", price=Decimal("1200.00"))`` is how every new model is made, so every
insert pays for it. ``BaseModel.__init__`` loops over the keywords it is given and, per
field, looks up the validator and calls it. The function made here takes each plain field as
a keyword parameter, and stores a value that is already in the form its polytype keeps
(``PolyType.valid_form``: an ASCII ``str`` short enough for a ``VarChar``, a ``Decimal``
with the scale's digits...) without the call; any other value goes through ``validate`` as
assigning it would. A field not given gets its default, as there.

Whatever it does not cover goes to ``BaseModel.__init__`` with the same arguments: a model
whose own ``__init__`` set fields before calling this one (PolyNOM's idiom), a relationship,
an overridden field or a name that is no field, and an object of a subclass.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from polynom.schema.field import Field
from polynom.schema.polytype import PolyType, StoreForm
from polynom.schema.validation import INVALID, invalid_value

__all__ = ["model_initializer"]

#: What a parameter holds when its field was not given (a default is due).
_NOT_GIVEN: Any = type("_NotGiven", (), {"__repr__": lambda self: "<default>"})()
#: The prefix of every name the function itself uses (no field may start with it).
_OWN = "_pn_"


def model_initializer(
    model: type,
    entry_id: str,
    new_entry_id: Callable[[], str],
    validators: Mapping[str, PolyType],
    fields: Sequence[Field],
    general: Callable[..., None],
) -> Callable[..., None]:
    """``__init__`` for ``model``: ``validators`` are the fields set by plain assignment
    (by Python name, each with its polytype), ``fields`` every field but ``entry_id`` (whose
    value ``new_entry_id()`` makes); ``general`` is the loop it stands in for."""
    scope: dict[str, Any] = {
        f"{_OWN}cls": model,
        f"{_OWN}name": model.__name__,
        f"{_OWN}general": general,
        f"{_OWN}new_id": new_entry_id,
        f"{_OWN}NOT_GIVEN": _NOT_GIVEN,
        f"{_OWN}INVALID": INVALID,
        f"{_OWN}invalid": invalid_value,
    }
    params = [f.python_field_name for f in fields if _is_parameter(f.python_field_name, validators)]
    given = ", ".join(f"({name!r}, {name})" for name in params)
    lines = [
        f"def __init__({_OWN}self, {entry_id}=None, "
        + "".join(
            f"{'*, ' if i == 0 else ''}{name}={_OWN}NOT_GIVEN, " for i, name in enumerate(params)
        )
        + f"**{_OWN}rest):",
        f"    {_OWN}d = {_OWN}self.__dict__",
        f"    if {_OWN}rest or {_OWN}d or type({_OWN}self) is not {_OWN}cls:",
        f"        {_OWN}given = {{k: v for k, v in ({given}{',' if len(params) == 1 else ''}) "
        f"if v is not {_OWN}NOT_GIVEN}}",
        f"        {_OWN}given.update({_OWN}rest)",
        f"        return {_OWN}general({_OWN}self, {entry_id}, **{_OWN}given)",
        f"    {_OWN}self.__polynom_state__ = None",
        f"    if {entry_id} is None:",
        f"        {_OWN}d[{entry_id!r}] = {_OWN}new_id()",
        "    else:",
        f"        {_OWN}self.{entry_id} = {entry_id}",
    ]
    computed: list[str] = []
    for index, field in enumerate(fields):
        name = field.python_field_name
        key = repr(name)
        default = f"{_OWN}default{index}"
        scope[default] = field if callable(field.default) else field.default
        made = f"{_OWN}d[{key}] = {default}" + (
            ".make_default()" if callable(field.default) else ""
        )
        if name not in params:  # a descriptor's, or no identifier: given, it went the general way
            (computed if callable(field.default) else lines).append(f"    {made}")
            continue
        polytype = validators[name]
        scope[f"{_OWN}validate{index}"] = polytype.validate
        lines += [f"    v = {name}", f"    if v is {_OWN}NOT_GIVEN:"]
        if callable(field.default):  # made once every field is valid, as assigning would
            lines.append("        pass")
            computed.append(f"    if {name} is {_OWN}NOT_GIVEN:\n        {made}")
        else:
            lines.append(f"        {made}")
        as_is = "v is None"
        form = _valid_form(polytype)
        if form is not None:
            local = {n: f"{_OWN}{n}{index}" for n in form.names}
            scope.update({local[n]: value for n, value in form.names.items()})
            scope[f"{_OWN}kind{index}"] = form.kind
            as_is += f" or (type(v) is {_OWN}kind{index} and {form.expression.format(**local)})"
        lines += [
            f"    elif {as_is}:",
            f"        {_OWN}d[{key}] = v",
            "    else:",
            "        try:",
            f"            {_OWN}d[{key}] = {_OWN}validate{index}(v)",
            f"        except {_OWN}INVALID as {_OWN}exc:",
            f"            raise {_OWN}invalid({_OWN}name, {key}, v, {_OWN}exc) from None",
        ]
    exec("\n".join(lines + computed), scope)
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{model.__qualname__}.__init__"
    init.__doc__ = general.__doc__
    return init


def _is_parameter(name: str, validators: Mapping[str, PolyType]) -> bool:
    return (
        name in validators
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith(_OWN)
        and name != "v"  # the variable the written-out checks read
    )


def _valid_form(polytype: PolyType) -> StoreForm | None:
    """The polytype's valid form, where its ``validate`` is the one that form describes (a
    subclass that validates more, or a ``validate`` set on the object, gets the call)."""
    if "validate" in getattr(polytype, "__dict__", {}):
        return None
    cls = type(polytype)
    if _defining(cls, "validate") is not _defining(cls, "valid_form"):
        return None
    return polytype.valid_form()


def _defining(cls: type, name: str) -> type | None:
    return next((klass for klass in cls.__mro__ if name in klass.__dict__), None)
