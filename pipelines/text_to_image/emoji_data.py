"""The embedded model's training set: Noto Color Emoji rendered with Pillow, captioned in English and Korean.

Images come from Debian's `fonts-noto-color-emoji` (OFL-1.1); captions are the CLDR short names
the `emoji` package carries in both languages (❤ → "red heart" / "빨간색 하트"), plus keywords
derived from them ("cat face" → "cat") and the package's aliases. Rendered once, cached in the
data folder as a compressed numpy file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.common.config import data_dir

EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
FONT_SIZE = 109  # the only size the bitmap font renders at; gives a 136×136 tile
TILE = 136
# Words that name the emoji's style rather than its subject: dropped when deriving keywords.
STOP_WORDS = {"face", "with", "the", "of", "a", "and", "button", "sign", "symbol", "mark", "in", "on"}


@dataclass
class EmojiSet:
    chars: list[str]          # one emoji per image
    images: np.ndarray        # (N, size, size, 3) uint8 on white
    captions_en: list[list[str]]  # per emoji: name first, then aliases and keywords
    captions_ko: list[list[str]]  # per emoji: Korean name (and its keywords)

    def __len__(self) -> int:
        return len(self.chars)


def single_codepoint_emoji() -> list[str]:
    """Fully-qualified emoji made of one code point (plus the variation selector)."""
    import emoji

    return sorted(
        e for e, info in emoji.EMOJI_DATA.items()
        if len(e.replace("\ufe0f", "")) == 1 and info.get("status") == emoji.STATUS["fully_qualified"]
    )


def _words(short_name: str) -> str:
    return re.sub(r"[_\s]+", " ", short_name.strip(":")).strip()


def captions_for(char: str) -> tuple[list[str], list[str]]:
    import emoji

    info = emoji.EMOJI_DATA[char]
    name = _words(info["en"])
    # Aliases such as "clock1130" or "cow2" are GitHub shortcodes, not words: keep the wordy ones.
    english = [name] + [_words(a) for a in info.get("alias", []) if not re.search(r"\d", a)]
    keywords = [w for w in re.split(r"[\s-]+", name) if len(w) > 2 and w.lower() not in STOP_WORDS]
    if len(keywords) == 1 and keywords[0] != name:
        english.append(keywords[0])  # "cat face" → "cat"; only when one word carries the meaning
    korean_name = _words(emoji.demojize(char, language="ko"))
    korean = [korean_name] if korean_name and korean_name != char else []
    ko_words = korean_name.split()
    if len(ko_words) == 2 and ko_words[1] in {"얼굴", "표시", "버튼", "기호"}:
        korean.append(ko_words[0])  # "고양이 얼굴" → "고양이"
    return list(dict.fromkeys(english)), list(dict.fromkeys(korean))


def render(char: str, size: int, font=None) -> np.ndarray | None:
    """The emoji as (size, size, 3) uint8 composited on white; None if the font lacks it."""
    from PIL import Image, ImageDraw, ImageFont

    font = font or ImageFont.truetype(str(EMOJI_FONT), FONT_SIZE)
    tile = Image.new("RGBA", (TILE, TILE), (255, 255, 255, 0))
    ImageDraw.Draw(tile).text((0, 0), char, font=font, embedded_color=True)
    alpha = np.asarray(tile)[..., 3]
    if alpha.max() == 0:
        return None
    ys, xs = np.nonzero(alpha)
    # Centre the drawn pixels in a square, so every emoji fills the frame the same way.
    side = max(ys.max() - ys.min(), xs.max() - xs.min()) + 1
    cy, cx = (ys.max() + ys.min()) // 2, (xs.max() + xs.min()) // 2
    box = (cx - side // 2, cy - side // 2, cx - side // 2 + side, cy - side // 2 + side)
    white = Image.new("RGBA", tile.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, tile).convert("RGB").crop(box)
    return np.asarray(flat.resize((size, size), Image.Resampling.LANCZOS))


def build(size: int = 32) -> EmojiSet:
    from PIL import ImageFont

    if not EMOJI_FONT.exists():
        raise FileNotFoundError(f"{EMOJI_FONT} is missing: install Debian's fonts-noto-color-emoji (make system-data)")
    font = ImageFont.truetype(str(EMOJI_FONT), FONT_SIZE)
    chars, images, en, ko = [], [], [], []
    for char in single_codepoint_emoji():
        image = render(char, size, font)
        if image is None or image.std() < 2:  # glyph missing, or a blank tile
            continue
        english, korean = captions_for(char)
        chars.append(char), images.append(image), en.append(english), ko.append(korean)
    return EmojiSet(chars, np.stack(images), en, ko)


def load(size: int = 32) -> EmojiSet:
    """Rendered once per size, then read from the data folder's cache."""
    import json

    cache = data_dir() / f"emoji_{size}.npz"
    if cache.exists():
        stored = np.load(cache)
        meta = json.loads(str(stored["meta"]))
        return EmojiSet(meta["chars"], stored["images"], meta["en"], meta["ko"])
    data = build(size)
    cache.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps({"chars": data.chars, "en": data.captions_en, "ko": data.captions_ko}, ensure_ascii=False)
    np.savez_compressed(cache, images=data.images, meta=np.array(meta))
    return data
