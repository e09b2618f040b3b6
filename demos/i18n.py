"""The interface's English and Korean strings, and the language of each request.

Every module of the page keeps its text in one file, `demos/strings/<module>.toml`, written one way:
each key once, its English and its Korean side by side (`key = ["English", "Korean"]`), in two tables.
`[page]`: the static strings (labels, hints, headings), registered for gr.I18n; the shared `I18N` object
is passed to `launch()` by app.py, and Gradio picks the language from the browser. `[messages]`: the
dynamic strings (results, errors, captions), written in `language(request)`, read from the same
Accept-Language header, so an API client sending `Accept-Language: ko` gets Korean too.

    t, MESSAGES = strings("face_quiz", trained=71)   # {trained} in a page string is filled in once, here
    gr.Markdown(t("quiz.intro")); MESSAGES("score", lang, correct=3, played=4)
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from pipelines.common.korean import with_particles
from pipelines.common.validation import say

LANGUAGES = ("en", "ko")
_translations: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
I18N = gr.I18n(**_translations)  # keeps references to the dicts above, so later additions count


def add_strings(en: dict[str, str], ko: dict[str, str]) -> gr.I18n:
    """Register one tab's strings (both languages must have the same keys); returns the translator."""
    if set(en) != set(ko):
        raise ValueError(f"English and Korean strings differ in keys: {sorted(set(en) ^ set(ko))}")
    clash = set(en) & set(_translations["en"])
    if clash:
        raise ValueError(f"string keys registered twice: {sorted(clash)}")
    _translations["en"].update(en)
    _translations["ko"].update(ko)
    return I18N


def language(request: Any) -> str:
    """"ko" when the request's Accept-Language ranks Korean above English, else "en".

    `request` is a gr.Request (or None outside a request)."""
    try:
        header = str(request.headers.get("accept-language", "")) if request is not None else ""
    except Exception:  # a request without headers (tests calling a handler directly)
        header = ""
    best, best_q = "en", -1.0
    for position, part in enumerate(header[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= position * 1e-6  # equal weights: the first listed wins
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


STRINGS_DIR = Path(__file__).with_name("strings")


def strings(module: str, **facts: Any) -> tuple[gr.I18n, "Messages"]:
    """`module`'s page strings, registered (with `facts` filled into them), and its Messages, from its TOML file."""
    with open(STRINGS_DIR / f"{module}.toml", "rb") as f:
        tables = tomllib.load(f)
    page = {key: (en.format(**facts), ko.format(**facts)) if facts else (en, ko)
            for key, (en, ko) in tables.get("page", {}).items()}
    # The messages can say the page's strings too (an instrument's name in a summary line).
    return add_strings(*bilingual(page)), Messages(*bilingual({**page, **tables.get("messages", {})}))


def bilingual(table: dict[str, tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """{key: (English, Korean)} → the English table and the Korean one, as `add_strings` and `Messages` take them.
    Each key is written once, beside both its sentences, so no table can miss a translation."""
    return {key: en for key, (en, _) in table.items()}, {key: ko for key, (_, ko) in table.items()}


class Messages:
    """One tab's dynamic strings in both languages: `say(key, lang, **params)` formats one."""

    def __init__(self, en: dict[str, str], ko: dict[str, str]) -> None:
        if set(en) != set(ko):
            raise ValueError(f"English and Korean messages differ in keys: {sorted(set(en) ^ set(ko))}")
        self.tables = {"en": en, "ko": ko}

    def __contains__(self, key: str) -> bool:
        return key in self.tables["en"]

    def __call__(self, key: str, lang: str = "en", **params: Any) -> str:
        text = self.tables.get(lang, self.tables["en"])[key].format(**params)
        return with_particles(text) if lang == "ko" else text  # "{mood}은(는)" fitted to the mood filled in


# The text of the libraries' tqdm bars that Gradio follows (track_tqdm), in Korean: diffusers' loading bar,
# and the unit Gradio gives every bar ("6/25 steps"). A bar not listed shows as work in progress.
TQDM_KO = {"Loading pipeline components...": "파이프라인 구성 요소를 불러오는 중…",
           "Loading checkpoint shards": "체크포인트를 불러오는 중", "Fetching": "파일을 받는 중"}
UNITS_KO = {"steps": "단계", "it": "회"}


def progress_in(progress: gr.Progress, lang: str) -> Callable[[float, Any], None]:
    """The progress callback a pipeline takes, shown on a handler's `progress` in `lang`: the pipeline's
    Notices in that language and, in Korean, the bars of the libraries it calls in Korean words too."""
    if lang == "ko":
        english = progress.tqdm

        def tqdm(iterable, desc=None, total=None, unit="steps", _tqdm=None):
            shown = next((ko for en, ko in TQDM_KO.items() if str(desc).startswith(en)), "처리 중") if desc else desc
            return english(iterable, shown, total, UNITS_KO.get(unit, "단계"), _tqdm=_tqdm)

        progress.tqdm = tqdm  # this call's own Progress: Gradio makes one per event
    return lambda fraction, desc="": progress(fraction, desc=say(desc, lang))
