"""The seven emoji styles of the embedded model, and the style words a prompt may carry.

A style is a class label of the UNet (its own learned embedding), not part of the text: the prompt
says what to draw, the style how. "cat face, openmoji style" and "고양이 얼굴, 오픈모지 스타일" pick
OpenMoji; a prompt without a style word is drawn in Noto, the default.
"""

from __future__ import annotations

import re

# Order matters: it is the class index the model was trained with.
STYLES = ("noto", "twemoji", "openmoji", "fluent", "fluent_flat", "fluent_3d", "emojione")
DEFAULT_STYLE = "noto"

# Display names and the words that name each style in a prompt (English, Korean).
STYLE_NAMES = {
    "noto": ("Noto", "노토"),
    "twemoji": ("Twemoji", "트위모지"),
    "openmoji": ("OpenMoji", "오픈모지"),
    "fluent": ("Fluent", "플루언트"),
    "fluent_flat": ("Fluent flat", "플루언트 플랫"),
    "fluent_3d": ("Fluent 3D", "플루언트 3D"),
    "emojione": ("EmojiOne", "이모지원"),
}

def _pattern() -> re.Pattern:
    # Longest names first so "fluent flat" wins over "fluent"; "style"/"스타일"/"풍" optional after the name.
    names = sorted({n.lower() for pair in STYLE_NAMES.values() for n in pair} | set(STYLES), key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s_-]*") for n in names)
    return re.compile(rf"[,\s]*(?:in\s+)?\b({alternatives})\b(?:\s*(?:style|스타일|풍))?[,\s]*", re.IGNORECASE)


_STYLE_WORDS = _pattern()


def _style_of(word: str) -> str:
    key = re.sub(r"[\s_-]+", " ", word.lower())
    for style, names in STYLE_NAMES.items():
        if key in {n.lower() for n in names} or key == style.replace("_", " "):
            return style
    raise KeyError(word)


def split_style(prompt: str) -> tuple[str, str | None]:
    """'cat face, openmoji style' → ('cat face', 'openmoji'); a prompt without a style word → (prompt, None)."""
    match = _STYLE_WORDS.search(prompt)
    if not match:
        return prompt.strip(), None
    rest = (prompt[:match.start()] + " " + prompt[match.end():]).strip(" ,")
    return re.sub(r"\s+", " ", rest), _style_of(match.group(1))


def styled_caption(caption: str, style: str, korean: bool) -> str:
    """The caption a user would type for a style: 'cat face, openmoji style' / '고양이 얼굴, 오픈모지 스타일'."""
    en, ko = STYLE_NAMES[style]
    return f"{caption}, {ko} 스타일" if korean else f"{caption}, {en.lower()} style"
