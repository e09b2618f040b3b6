"""Korean sentences that read as a Korean speaker writes them.

A Korean particle depends on the sound the word before it ends with: "프롬프트가" but "학습률은",
"시드는" but "글이", "16으로" but "서울로". A template cannot know the word it will be filled
with, so it writes the fallback pair ("{name}은(는)", "{value}이(가)", "을(를)", "과(와)", "(으)로",
"(이)"), which reads well in no sentence; `with_particles` picks one form by the word actually there.
Numbers and Latin letters are judged by how they are read aloud ("16" 십육, "top-k" 케이, "DCGAN" 엔).

`fill` formats a Korean template with a message's parameters: the input's name ("seed") in Korean
("시드") from `NAMES`, which each package extends with `korean_names` beside the names it uses.
"""

from __future__ import annotations

import re
from typing import Any

# The fallback pairs: (form after a final consonant, form after a vowel).
PARTICLES = {"은(는)": ("은", "는"), "는(은)": ("은", "는"), "이(가)": ("이", "가"), "가(이)": ("이", "가"),
             "을(를)": ("을", "를"), "를(을)": ("을", "를"), "과(와)": ("과", "와"), "와(과)": ("과", "와"),
             "(으)로": ("으로", "로"), "(이)": ("이", "")}
_FALLBACK = re.compile("|".join(re.escape(p) for p in PARTICLES))
# Finals: "" none, "ㄹ" (which takes 로, not 으로), "C" any other consonant.
_DIGITS = {"0": "C", "1": "ㄹ", "2": "", "3": "C", "4": "", "5": "", "6": "C", "7": "ㄹ", "8": "ㄹ", "9": ""}  # 영 일 이 삼 사 오 육 칠 팔 구
_ZEROS = {1: "C", 2: "C", 3: "C"}  # 십 백 천
_GROUPS = {1: "C", 2: "C", 3: "", 4: "C"}  # 만 억 조 경
_LETTERS = {"l": "ㄹ", "r": "ㄹ", "m": "C", "n": "C"}  # 엘 알 엠 엔; every other letter's name ends in a vowel (에이, 비, 케이, …)
_CLOSERS = "'\"’”」』》〉]}*_`… \u00a0"  # quotes, brackets, emphasis around a word: "'도'는" follows 도
_NUMBER = re.compile(r"[0-9][0-9,]*(\.[0-9]+)?$")


def _number_final(number: str) -> str:
    """How a number ending a word ends when read: 16 십육 (C), 20 이십 (C), 2 이 (none), 10000 만 (C)."""
    whole, _, fraction = number.replace(",", "").partition(".")
    if fraction:  # decimals are read digit by digit: 53.8 오십삼 점 팔
        return _DIGITS[fraction[-1]]
    if whole.strip("0") == "":
        return _DIGITS["0"]  # 영
    zeros = len(whole) - len(whole.rstrip("0"))
    if zeros == 0:
        return _DIGITS[whole[-1]]
    return _ZEROS[zeros % 4] if zeros % 4 else _GROUPS.get(zeros // 4, "C")


def final_sound(text: str) -> str:
    """The final of the word `text` ends with: "" (a vowel), "ㄹ", or "C" (another consonant).
    Closing quotes and emphasis are skipped; a closing parenthesis is an aside ("길이(초)"), so the
    word before it counts. Anything that cannot be read (a symbol, an emoji) counts as a vowel."""
    text = text.rstrip(_CLOSERS)
    if text.endswith(")") and "(" in text:
        before = text[: text.rindex("(")].rstrip()
        text = before if before else text[1:-1]
        return final_sound(text)
    if not text:
        return ""
    last = text[-1]
    if "가" <= last <= "힣":
        final = (ord(last) - ord("가")) % 28
        return "" if final == 0 else "ㄹ" if final == 8 else "C"
    number = _NUMBER.search(text)
    if number:
        return _number_final(number.group())
    if last.isascii() and last.isalpha():
        return _LETTERS.get(last.lower(), "")
    return ""


def with_particles(text: str) -> str:
    """`text` with every fallback pair ("시드은(는)") replaced by the particle its word takes ("시드는")."""
    out, start = [], 0
    for match in _FALLBACK.finditer(text):
        out.append(text[start:match.start()])
        after_consonant, after_vowel = PARTICLES[match.group()]
        final = final_sound("".join(out))
        if match.group() == "(으)로":
            out.append(after_consonant if final == "C" else after_vowel)  # 서울로: ㄹ takes 로
        else:
            out.append(after_consonant if final else after_vowel)
        start = match.end()
    return "".join(out) + text[start:]


# The inputs' names as the pipelines write them in English sentences → Korean.
NAMES: dict[str, str] = {}


def korean_names(names: dict[str, str]) -> None:
    """Register the Korean of input names a package uses (one Korean per English name, everywhere)."""
    for english, korean in names.items():
        if NAMES.setdefault(english, korean) != korean:
            raise ValueError(f"the name {english!r} is already Korean {NAMES[english]!r}, not {korean!r}")


def korean_name(name: str) -> str:
    """An input's Korean name; "group A entry" → "그룹 A 항목"; an unknown one as it is."""
    if name in NAMES:
        return NAMES[name]
    if name.endswith(" entry") and name[: -len(" entry")] in NAMES:
        return f"{NAMES[name[: -len(' entry')]]} 항목"
    return name


def fill(template: str, params: dict[str, Any]) -> str:
    """A Korean template filled with a message's parameters: names in Korean, particles fitted."""
    shown = {key: korean_name(value) if key in ("name", "what") and isinstance(value, str) else value
             for key, value in params.items()}
    return with_particles(template.format(**shown))
