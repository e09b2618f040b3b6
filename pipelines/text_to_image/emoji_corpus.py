"""The embedded model's training corpus: the same emoji in seven freely licensed styles, captioned in
English and Korean.

    make emoji-corpus                                      # fetches the packages (npm pack, apt-get download)
    python -m pipelines.text_to_image.emoji_corpus         # unpacked sources → data/text_to_image/emoji_corpus.npz

Sources are joined by code point (FE0F stripped, lower case); captions come from emojibase-data
(English and Korean label and tags). Images are composited on white and resized to 64 × 64. The
app never needs this file at run time: only training and the benchmark read it.

Per concept some captions are held out for measuring and never trained on: a tag-only prompt in each
language and a paraphrase ("a picture of …" / "… 그림").
"""

from __future__ import annotations

import argparse
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pipelines.common.config import data_dir
from pipelines.common.emoji_diffusion.styles import STYLES

SIZE = 64
SOURCES = "emoji_sources/unpacked"  # folder under the data dir where `make emoji-corpus` unpacks the packages


def normalise(code: str) -> str:
    """'1F3C3-1F3FB-200D-2640-FE0F' → '1f3c3-1f3fb-200d-2640' (how every source is joined)."""
    parts = [p.lower().lstrip("0") or "0" for p in re.split(r"[-_ ]", code.strip()) if p]
    return "-".join(p for p in parts if p != "fe0f")


def slug(label: str) -> str:
    """emojibase's English label as Fluent's file name: 'red apple' → 'red-apple'."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower().replace("’", "")).strip("-")


def _open(data: bytes | Path) -> Image.Image:
    return Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)


def to_tile(image: Image.Image) -> np.ndarray:
    """RGBA of any size → 64 × 64 RGB on white, uint8."""
    image = image.convert("RGBA")
    if image.size != (SIZE, SIZE):
        image = image.resize((SIZE, SIZE), Image.LANCZOS)
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, image).convert("RGB"))


def svg_tile(path: Path) -> np.ndarray:
    import cairosvg

    return to_tile(_open(cairosvg.svg2png(url=str(path), output_width=SIZE, output_height=SIZE)))


def style_files(root: Path, labels: dict[str, str]) -> dict[str, dict[str, Path]]:
    """For each style, normalised code point → image file, from the unpacked packages."""
    def by_code(folder: Path, pattern: str) -> dict[str, Path]:
        return {normalise(p.name.split(".")[0]): p for p in sorted(folder.glob(pattern))}

    gems = next(root.glob("gemojione/usr/share/rubygems-integration/all/gems/gemojione-*/assets/png"), root / "missing")
    fluent = root / "fluentui-emoji-1.3.0/package/icons"
    slug_to_code = {slug(label): code for code, label in labels.items()}

    def by_name(folder: Path) -> dict[str, Path]:
        return {slug_to_code[p.stem]: p for p in sorted(folder.glob("*.svg")) if p.stem in slug_to_code}

    return {
        "noto": by_code(root / "emoji-datasource-google-16.0.0/package/img/google/64", "*.png"),
        "twemoji": by_code(root / "emoji-datasource-twitter-16.0.0/package/img/twitter/64", "*.png"),
        "openmoji": by_code(root / "openmoji-17.0.0/package/color/svg", "*.svg"),
        "fluent": by_name(fluent / "modern"),
        "fluent_flat": by_name(fluent / "flat"),
        "fluent_3d": by_code(root / "lobehub-fluent-emoji-3d-1.1.0/package/assets", "*.webp"),
        "emojione": by_code(gems, "*.png"),
    }


@dataclass
class Concept:
    code: str
    emoji: str
    en: str
    ko: str
    en_tags: list[str]
    ko_tags: list[str]

    def train_captions(self) -> list[str]:
        """What training draws from: both labels, the labels with 'emoji', and every tag but the held-out ones."""
        held = set(self.heldout_captions())
        captions = [self.en, self.ko, f"{self.en} emoji", f"{self.ko} 이모지"] + self.en_tags + self.ko_tags
        return list(dict.fromkeys(c for c in captions if c and c not in held))

    def heldout_captions(self) -> list[str]:
        """Never trained on: a paraphrase in each language and, where one exists, one tag not in the label."""
        out = [f"a picture of {self.en}", f"{self.ko} 그림"]
        for tags, label in ((self.en_tags, self.en), (self.ko_tags, self.ko)):
            spare = [t for t in tags if t not in label and t != label]
            if spare:
                out.append(spare[len(spare) // 2])
        return out


def read_concepts(root: Path) -> list[Concept]:
    base = root / "emojibase-data-17.0.0/package"
    en = json.loads((base / "en/data.json").read_text())
    ko = {normalise(e["hexcode"]): e for e in json.loads((base / "ko/data.json").read_text())}
    concepts = []
    for e in en:
        code = normalise(e["hexcode"])
        if e.get("group") == 2 or code not in ko:  # group 2: skin-tone and hair components, not pictures
            continue
        k = ko[code]
        concepts.append(Concept(code, e["emoji"], e["label"], k["label"], list(e.get("tags", [])), list(k.get("tags", []))))
    return concepts


def build(root: Path, out: Path, min_styles: int = 1) -> None:
    concepts = read_concepts(root)
    files = style_files(root, {c.code: c.en for c in concepts})
    images, concept_index, style_index = [], [], []
    kept: list[Concept] = []
    for c in concepts:
        present = [s for s in STYLES if c.code in files[s]]
        if len(present) < min_styles:
            continue
        for s in present:
            path = files[s][c.code]
            try:
                tile = svg_tile(path) if path.suffix == ".svg" else to_tile(_open(path))
            except Exception as exc:  # a broken file in a package: skip it, say so
                print(f"skipped {path.name}: {exc}")
                continue
            images.append(tile), concept_index.append(len(kept)), style_index.append(STYLES.index(s))
        kept.append(c)
        if len(kept) % 200 == 0:
            print(f"{len(kept)} concepts, {len(images)} images", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, images=np.stack(images), concept=np.array(concept_index, np.int32),
                        style=np.array(style_index, np.int8),
                        concepts=json.dumps([c.__dict__ for c in kept], ensure_ascii=False))
    counts = np.bincount(style_index, minlength=len(STYLES))
    print(f"{len(kept)} concepts, {len(images)} images → {out}; per style: {dict(zip(STYLES, counts.tolist()))}")


@dataclass
class Corpus:
    images: np.ndarray  # (N, 64, 64, 3) uint8
    concept: np.ndarray  # (N,) index into concepts
    style: np.ndarray  # (N,) index into STYLES
    concepts: list[Concept]


def default_path() -> Path:
    return data_dir() / "text_to_image" / "emoji_corpus.npz"


def load(path: Path | None = None) -> Corpus:
    path = Path(path or default_path())
    if not path.exists():
        raise FileNotFoundError(f"no emoji corpus at {path}: run `make emoji-corpus` first")
    z = np.load(path)
    return Corpus(z["images"], z["concept"], z["style"], [Concept(**c) for c in json.loads(str(z["concepts"]))])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, default=data_dir() / SOURCES, help="the unpacked packages")
    parser.add_argument("--out", type=Path, default=default_path())
    args = parser.parse_args(argv)
    build(args.sources, args.out)


if __name__ == "__main__":
    main()
