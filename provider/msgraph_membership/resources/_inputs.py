"""The types of the resources' arguments, as a type checker (mypy, pyright) sees them: Pulumi's
`Input[...]`, with a list of ids that a plain string does not satisfy.

`Sequence[str]` would accept `member_ids="alice"` (a string is a sequence of strings), so a list
argument takes `SequenceNotStr`: the same Protocol as `useful_types.SequenceNotStr` (typeshed's
helper), written here so that a type alone brings no runtime dependency.
"""
from __future__ import annotations

from typing import Any, Iterator, Protocol, Sequence, SupportsIndex, TypeVar, overload

import pulumi

_T_co = TypeVar("_T_co", covariant=True)


class SequenceNotStr(Protocol[_T_co]):
    """A list or tuple, never a `str`: `str.__contains__` accepts only strings, this accepts any object."""

    @overload
    def __getitem__(self, index: SupportsIndex, /) -> _T_co: ...
    @overload
    def __getitem__(self, index: slice, /) -> Sequence[_T_co]: ...
    def __contains__(self, value: object, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[_T_co]: ...
    def index(self, value: Any, start: int = 0, stop: int = ..., /) -> int: ...
    def count(self, value: Any, /) -> int: ...
    def __reversed__(self) -> Iterator[_T_co]: ...


Ids = pulumi.Input[SequenceNotStr[pulumi.Input[str]]]
"""A list argument of object ids or names, as a program gives it: a list (or tuple) of strings or
Outputs, or an Output of a list."""
