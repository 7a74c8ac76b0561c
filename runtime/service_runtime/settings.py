"""Typed settings, read from the environment once, when a process starts.

A settings class is a frozen dataclass whose fields name their variables::

    @dataclass(frozen=True)
    class AftersalesSettings(Settings):
        return_window_days: int = variable("RETURN_WINDOW_DAYS", 7, validate=at_least(1))

``AftersalesSettings.from_env()`` reads every field's variable with environs (marshmallow
fields), one parser per type for the whole platform:

- ``int``, ``float``, ``str``, ``Path``: as written;
- ``bool``: ``true/false``, ``1/0``, ``yes/no``, ``on/off`` (any case); anything else is
  an error, never a silent false;
- ``dict`` (or ``Mapping``) and ``list``: JSON of that shape;
- ``tuple[str, ...]``: comma-separated.

An unset or empty variable takes the field's default. Every variable set to something its
field cannot hold is reported at once by :class:`InvalidSettings`, naming the variable,
its value (``<hidden>`` for a ``secret``) and why, so a process with a bad setting stops
at start-up with a message an operator can act on.

The app factory, the worker and each command read their settings once and pass them down;
nothing below them reads the environment.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import os
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import environs
from marshmallow import ValidationError, validate

_VARIABLE = "service_runtime.settings"
HIDDEN = "<hidden>"

Validator = Callable[[Any], Any]


@dataclass(frozen=True)
class Variable:
    """Where a settings field comes from."""

    name: str
    secret: bool = False
    validate: Validator | None = None


def variable(name: str, default: Any, *, secret: bool = False,
             validate: Validator | None = None) -> Any:
    """A settings field read from the environment variable ``name``.

    ``secret`` keeps the value out of error messages; ``validate`` is a marshmallow
    validator (``at_least(1)``, ``marshmallow.validate.OneOf(...)``, or any function
    raising ``ValidationError``).
    """
    metadata = {_VARIABLE: Variable(name, secret, validate)}
    if isinstance(default, dict | list | set):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default),
                                 metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def at_least(minimum: int | float) -> Validator:
    return validate.Range(min=minimum)


def ip_networks(values: Iterable[str]) -> None:
    """Each value an IP network (``10.0.0.0/8``, ``::1/128``) or address."""
    for value in values:
        try:
            ipaddress.ip_network(value)
        except ValueError as error:
            raise ValidationError(str(error)) from error


class InvalidSettings(environs.EnvError):
    """Variables set to values their settings cannot hold (``problems``: name -> why)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("invalid settings:" + "".join(
            f"\n  {name}: {why}" for name, why in self.problems.items()))


class Environment:
    """Reads the variables of one or more settings classes and reports every bad one.

    Settings classes use it through :meth:`Settings.from_env`; a settings class whose
    variables are named at run time (one per upstream service, say) uses :meth:`value`
    in its own ``read``.
    """

    def __init__(self) -> None:
        self._env = environs.Env(eager=False)
        self._secret: set[str] = set()
        self._extra: dict[str, list[str]] = {}

    def value(self, kind: Any, name: str, default: Any, *, secret: bool = False,
              validate: Validator | None = None) -> Any:
        """The variable ``name`` parsed as ``kind``; the default when unset, empty or
        (until :meth:`check` reports it) invalid."""
        if secret:
            self._secret.add(name)
        if os.environ.get(name, "") == "":
            return default
        parsed = self._parse(_concrete(kind), name, default, validate)
        return default if parsed is None else parsed

    def _parse(self, kind: Any, name: str, default: Any, validator: Validator | None) -> Any:
        checks = [validator] if validator is not None else []
        origin = typing.get_origin(kind) or kind
        if origin is bool:
            return self._env.bool(name, default, validate=checks)
        if origin is int:
            return self._env.int(name, default, validate=checks)
        if origin is float:
            return self._env.float(name, default, validate=checks)
        if origin is str:
            return self._env.str(name, default, validate=checks)
        if origin is Path:
            return self._env.path(name, default, validate=checks)
        if origin in (dict, Mapping, list):
            shape = list if origin is list else dict
            return self._env.json(name, default, validate=[_json_of(shape), *checks])
        if origin is tuple:
            items = self._env.list(name, default, validate=checks)
            return None if items is None else tuple(item.strip() for item in items)
        raise TypeError(f"{name}: no parser for settings of type {kind!r}")

    def problem(self, name: str, why: str) -> None:
        """Record a problem found beyond the variable's type (a rule between values)."""
        self._extra.setdefault(name, []).append(why)

    def check(self) -> None:
        """Raise :class:`InvalidSettings` if any variable read so far was invalid."""
        problems: dict[str, list[str]] = {}
        try:
            self._env.seal()
        except environs.EnvValidationError as error:
            problems.update({name: list(_flatten(messages))
                             for name, messages in dict(error.error_messages).items()})
        for name, messages in self._extra.items():
            problems.setdefault(name, []).extend(messages)
        if problems:
            raise InvalidSettings({name: f"{self._shown(name)} is not valid: "
                                         + " ".join(messages)
                                   for name, messages in problems.items()})

    def _shown(self, name: str) -> str:
        return HIDDEN if name in self._secret else repr(os.environ.get(name, ""))


class Settings:
    """Base of a settings dataclass (``@dataclass(frozen=True)``, fields from
    :func:`variable`): ``from_env()`` reads them all, or raises :class:`InvalidSettings`."""

    @classmethod
    def from_env(cls) -> Self:
        environment = Environment()
        settings = cls.read(environment)
        environment.check()
        return settings

    @classmethod
    def read(cls, environment: Environment) -> Self:
        """The settings from ``environment``, whose ``check()`` the caller makes.

        Override to add variables named at run time (keep ``super().read`` for the rest).
        """
        hints = typing.get_type_hints(cls)
        values = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            declared = field.metadata.get(_VARIABLE)
            if declared is None:
                continue
            default = field.default if field.default is not dataclasses.MISSING \
                else field.default_factory()  # type: ignore[misc]
            values[field.name] = environment.value(
                hints[field.name], declared.name, default, secret=declared.secret,
                validate=declared.validate)
        return cls(**values)


@dataclass(frozen=True)
class NoSettings(Settings):
    """The settings of a service that has none of its own."""


def _concrete(kind: Any) -> Any:
    """``int`` for ``int | None``: an optional setting parses as its type."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return inner
    return kind


def _json_of(shape: type) -> Validator:
    def check(value: Any) -> None:
        if not isinstance(value, shape):
            raise ValidationError(f"Not a JSON {'object' if shape is dict else 'array'}.")

    return check


def _flatten(messages: Any) -> Iterable[str]:
    if isinstance(messages, str):
        yield messages
    elif isinstance(messages, Mapping):
        for inner in messages.values():
            yield from _flatten(inner)
    else:
        for inner in messages:
            yield from _flatten(inner)
