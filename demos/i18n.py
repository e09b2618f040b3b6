"""The interface's English and Korean strings.

Each tab module registers its own strings with `add_strings` at import time; the
shared `I18N` object is passed to `launch()` by app.py, and Gradio picks the language
from the browser.
"""

from __future__ import annotations

import gradio as gr

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
