"""Korean → English for English-only SD models, when a translation model is on this machine.

No translation model ships in any package (ASSETS.md), so offline this returns None and the
pipeline tells the user plainly; on a Space (or with GS_TRANSLATION_MODEL pointing at a folder)
a Marian model such as Helsinki-NLP/opus-mt-ko-en does the work through transformers.
"""

from __future__ import annotations

import re
from typing import Optional

from pipelines.common.config import get_settings
from pipelines.common.loading import cached_loader, is_present, resolve_model_source

HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def has_hangul(text: str) -> bool:
    return bool(HANGUL.search(text))


@cached_loader
def _translator(spec: str):
    from transformers import pipeline

    return pipeline("translation", model=str(resolve_model_source(spec, what="the translation model")))


def translate_to_english(text: str) -> Optional[str]:
    """The English translation, or None when no translation model is present (never downloads)."""
    spec = get_settings().translation_model
    if not spec or not is_present(spec):
        return None
    try:
        return _translator(spec)(text, max_length=200)[0]["translation_text"]
    except Exception:  # a broken model folder must not break image generation: the user is told instead
        return None
