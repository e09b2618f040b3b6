"""Boundary checks shared by the pipelines: one helper per kind of value (text, number, choice,
integer list), each raising a `UserInputError` — a ValueError with an English sentence, its Korean
template beside it, and `params` to fill that with, so the interface can say it in the user's language.

Every quoted input goes through `quote`: at most ~80 characters, control characters and lone
surrogates escaped, `<>&` escaped, so an error never echoes a megabyte or markup back.
"""

from __future__ import annotations

import html
import math
import re
import reprlib
from typing import Any, Iterable

from pipelines.common.korean import fill

QUOTE_CHARS = 80
_repr = reprlib.Repr()  # bounded depth and length (Python 3.11's Repr takes no arguments)
_repr.maxlevel, _repr.maxlist, _repr.maxtuple, _repr.maxdict = 2, 6, 6, 4
_repr.maxstring, _repr.maxother, _repr.maxlong = QUOTE_CHARS, QUOTE_CHARS, 40
_ASCII_INT = re.compile(r"^[+-]?[0-9]+$")  # str.isdigit() also passes "²", "①", "١٢٣", "１２３"
# Korean of the sentences other packages raise too (a name picked from a list, a list too long).
CHOICE_KO = "{name}은(는) {choices} 중 하나여야 합니다. 받은 값: {value}"
LIST_LONG_KO = "{name}의 항목이 너무 많습니다. 최대 {limit}개입니다."


class UserInputError(ValueError):
    """Bad input from a person or a program. `str(err)` is the English sentence; `ko` is its Korean
    template (fallback particles such as "{name}은(는)" are fitted to the word), filled from `params`.
    `key` names the kind of mistake, the same in every language."""

    def __init__(self, key: str, message: str, ko: str = "", **params: Any) -> None:
        super().__init__(message)
        self.key, self.ko, self.params = key, ko, params


class Notice(str):
    """A note for the user about a result (a prompt cut, translated, …) or a step in progress: the English
    sentence as a str (so it travels as JSON), plus its Korean template `ko` and the `params` to fill it."""

    key: str
    ko: str
    params: dict

    def __new__(cls, key: str, message: str, ko: str = "", **params: Any) -> "Notice":
        notice = super().__new__(cls, message)
        notice.key, notice.ko, notice.params = key, ko, params
        return notice

    def __getnewargs_ex__(self) -> tuple[tuple, dict]:  # copied (Gradio deep-copies what it keeps) and pickled whole
        return (self.key, str(self), self.ko), self.params


def say(text: Any, lang: str) -> str:
    """An error, a Notice or plain text in `lang` ("en" or "ko"): the Korean where it has one, else the English.
    A parameter that is itself a Notice (a label inside a sentence) is said in `lang` too."""
    ko = getattr(text, "ko", "")
    if lang == "ko" and ko:
        try:
            return fill(ko, {key: say(value, lang) if isinstance(value, Notice) else value
                             for key, value in text.params.items()})
        except (KeyError, ValueError, IndexError, AttributeError):  # a template that does not fit its params
            pass
    return str(text)


def as_notice(exc: Exception) -> Notice:
    """An error kept as a note beside a result (a comparison's cell that could not run), in both languages."""
    return Notice(getattr(exc, "key", "error"), str(exc), getattr(exc, "ko", ""), **getattr(exc, "params", {}))


def quote(value: Any) -> str:
    """A short, escaped rendering of any input for an error sentence (never the whole of it)."""
    if isinstance(value, str):
        text = value if len(value) <= QUOTE_CHARS else value[: QUOTE_CHARS - 1] + "…"
        shown = repr(text)  # escapes control characters and lone surrogates
    else:
        try:
            shown = _repr.repr(value)  # bounded depth and length: safe on deeply nested lists
        except Exception:  # a hostile object's __repr__
            shown = f"a {type(value).__name__}"
    if len(shown) > QUOTE_CHARS + 10:
        shown = shown[:QUOTE_CHARS] + "…"
    return html.escape(shown, quote=False)


def check_text(value: Any, name: str, max_chars: int, allow_empty: bool = False, empty_hint: str = "") -> str:
    """Text with whitespace runs collapsed; None counts as empty. Refuses non-text, lone surrogates
    (they cannot be encoded, so nothing downstream could use them) and text over `max_chars`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserInputError("text.type", f"{name} must be text, got {quote(value)}",
                             "{name}은(는) 문자열이어야 합니다. 받은 값: {value}", name=name, value=quote(value))
    if len(value) > max_chars:
        raise UserInputError("text.long", f"{name} is {len(value)} characters long; at most {max_chars} are accepted",
                             "{name}이(가) {length:,}자입니다. 최대 {limit:,}자까지 받습니다.",
                             name=name, length=len(value), limit=max_chars)
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise UserInputError("text.surrogate", f"{name} contains a broken character (a lone UTF-16 surrogate): "
                             "send it as proper UTF-8 text",
                             "{name}에 깨진 문자(짝 없는 UTF-16 서로게이트)가 있습니다. 올바른 UTF-8 글로 보내 주세요.", name=name)
    value = " ".join(value.split())
    if not value and not allow_empty:
        raise UserInputError("text.empty", f"{name} is empty{': ' + empty_hint if empty_hint else ''}",
                             "{name}이(가) 비어 있습니다. 내용을 입력해 주세요.", name=name, hint=empty_hint)
    return value


def parse_int(value: Any, name: str) -> int:
    """An int from an int, a whole float, or text of ASCII digits; refuses everything else by name."""
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        return value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    elif isinstance(value, str) and _ASCII_INT.match(value.strip()) and len(value.strip()) <= 40:
        return int(value.strip())
    raise UserInputError("number.whole", f"{name} must be a whole number written with the digits 0–9, got {quote(value)}",
                         "{name}은(는) 0–9 숫자로 쓴 정수여야 합니다. 받은 값: {value}", name=name, value=quote(value))


def plain_number(x: float) -> str:
    """A bound as people write it: 0.000001, not Python's 1e-06 (other numbers as Python shows them)."""
    if isinstance(x, float) and x and abs(x) < 1e-4:
        return f"{x:.12f}".rstrip("0")
    return str(x)


def check_number(value: Any, name: str, low: float, high: float, whole: bool = False) -> float:
    """`value` as a float (an int when `whole`) in [low, high]; bools, strings, NaN and fractions
    (when `whole`) are refused with a sentence naming `name`."""
    bounds = dict(low=plain_number(low), high=plain_number(high))
    span = "from {low} to {high}".format(**bounds)
    if whole and not isinstance(value, bool) and isinstance(value, (int, float)):
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise UserInputError("number.whole", f"{name} must be a whole number {span}, got {quote(value)}",
                                 "{name}은(는) {low}부터 {high}까지의 정수여야 합니다. 받은 값: {value}",
                                 name=name, value=quote(value), **bounds)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserInputError("number.type", f"{name} must be a {'whole ' if whole else ''}number {span}, "
                             f"got {quote(value)}", f"{{name}}은(는) {{low}}부터 {{high}}까지의 {'정수' if whole else '숫자'}"
                             "여야 합니다. 받은 값: {value}", name=name, value=quote(value), **bounds)
    if not low <= value <= high:  # also rejects NaN; a huge int compares exactly
        raise UserInputError("number.range", f"{name} must be {span}, got {quote(value)}",
                             "{name}은(는) {low}부터 {high}까지여야 합니다. 받은 값: {value}",
                             name=name, value=quote(value), **bounds)
    return int(value) if whole else float(value)


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """One of `choices` (exact match); anything else, of any type, gets a sentence listing them."""
    choices = tuple(choices)
    if isinstance(value, str) and value in choices:
        return value
    raise UserInputError("choice", f"{name} must be one of {', '.join(choices)}; got {quote(value)}", CHOICE_KO,
                         name=name, choices=", ".join(choices), value=quote(value))


def split_list(value: Any, name: str, max_len: int) -> list:
    """A list from a list/tuple or from text separated by commas, semicolons or spaces ("[1, 2]" too)."""
    if value is None:
        return []
    if isinstance(value, str):
        if len(value) > 20 * max_len:
            raise UserInputError("list.long", f"{name} is too long: at most {max_len} entries", LIST_LONG_KO,
                                 name=name, limit=max_len)
        value = [p for p in re.split(r"[\s,;]+", value.strip().strip("[]")) if p]
    elif not isinstance(value, (list, tuple)):
        raise UserInputError("list.type", f"{name} must be a list, got {quote(value)}",
                             "{name}은(는) 목록이어야 합니다. 받은 값: {value}", name=name, value=quote(value))
    if len(value) > max_len:
        raise UserInputError("list.long", f"{name} has {len(value)} entries; at most {max_len} are allowed", LIST_LONG_KO,
                             name=name, limit=max_len)
    return list(value)


def set_checked(request: Any, **values: Any) -> None:
    """Store checked values on a frozen request dataclass, from its `__post_init__`: the request is built
    once at the edge from what was sent, and what it holds afterwards is trusted below."""
    for name, value in values.items():
        object.__setattr__(request, name, value)
