"""Korean → English for English-only SD models, when a translation model is on this machine.

No translation model ships in any package (ASSETS.md), so offline this returns None and the
pipeline tells the user plainly; on a Space (or with GS_TRANSLATION_MODEL pointing at a folder)
a Marian model such as Helsinki-NLP/opus-mt-ko-en does the work through transformers.
"""

from __future__ import annotations

import re
from typing import Optional

from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.loading import cached_loader, is_present, resolve_model_source

korean_names({"the translation model": "번역 모델"})
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def has_hangul(text: str) -> bool:
    return bool(HANGUL.search(text))


class TranslationError(ValueError):
    """A translation model is present but could not translate (broken folder, missing sentencepiece…)."""


@cached_loader
def _translator(spec: str):
    # transformers 5 has no "translation" pipeline task: the model and tokenizer directly.
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    folder = str(resolve_model_source(spec, what="the translation model"))
    return AutoTokenizer.from_pretrained(folder), AutoModelForSeq2SeqLM.from_pretrained(folder).eval()


def translate_to_english(text: str) -> Optional[str]:
    """The English translation; None when no translation model is present (never downloads);
    TranslationError saying why when one is present but fails."""
    spec = get_settings().translation_model
    if not spec or not is_present(spec):
        return None
    try:
        import torch

        tokenizer, model = _translator(spec)
        with torch.no_grad():
            ids = model.generate(**tokenizer([text], return_tensors="pt", truncation=True), max_new_tokens=120)
        return tokenizer.decode(ids[0], skip_special_tokens=True)
    except Exception as exc:
        raise TranslationError(f"the translation model {spec!r} failed ({type(exc).__name__}: {str(exc)[:120]})") from None
