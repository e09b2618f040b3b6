"""Restyling emoji the StarGAN never saw: does the picture keep its concept and reach the style asked for?

    python -m bench.image_to_image [--concepts 60] [--models StarGAN,SDEdit,Unchanged] [--no-sketches]
    GS_STARGAN_MODEL=data/stargan/export python -m bench.image_to_image    # another StarGAN checkpoint

On concepts held out from the StarGAN's training (every tenth, stargan/train.py), each drawn in one style is moved to
every other style by the StarGAN and by the emoji model's SDEdit (no prompt, strength 0.6, 25 steps). Measured:
- concept kept: among the target style's training drawings plus the held-out concept's own drawing in that style, is
  the nearest the same emoji? top-1 and top-5, against chance; nearest in two senses: in pixels (16 × 16, the
  layout and colours a viewer sees first) and in a style classifier's penultimate features (which learn style,
  so they find a concept only where it survives in fine detail);
- "Unchanged" (the input returned as it is) is the floor of style and the ceiling of layout: a model that only
  copied would match it;
- style reached: a small style classifier trained here on the corpus's training concepts says the target style;
- seconds per image on this machine;
- sketches: a blob of colour drawn in one corner with a prompt ("red apple", …): the share of SDEdit results whose
  ink (pixels far from white) has its centroid in the blob's quadrant.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from pipelines.common.emoji_diffusion.styles import STYLES
from pipelines.text_to_image import emoji_corpus
from pipelines.text_to_image.backends import get_backend
from pipelines.text_to_image.image_to_image import as_tensor, stargan_images
from pipelines.text_to_image.limits import EMBEDDED
from pipelines.text_to_image.stargan.train import held_out_concepts


class StyleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                                      nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.head = nn.Linear(512, len(STYLES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def to_input(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


def train_style_net(images: np.ndarray, styles: np.ndarray, steps: int = 600) -> StyleNet:
    torch.manual_seed(0)
    net, x, y = StyleNet(), to_input(images), torch.from_numpy(styles.astype(np.int64))
    optimizer = torch.optim.Adam(net.parameters(), 2e-3)
    for _ in range(steps):
        batch = torch.randint(len(x), (64,))
        loss = F.cross_entropy(net(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net.eval()


def sdedit(picture: Image.Image, style: str, seed: int) -> Image.Image:
    backend = get_backend(EMBEDDED)
    out = backend.pipe("", style=style, image=as_tensor(picture), strength=0.6, num_inference_steps=25,
                       generator=[torch.Generator().manual_seed(seed)])
    return out.images[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concepts", type=int, default=60, help="held-out concepts to restyle")
    parser.add_argument("--models", default="StarGAN,SDEdit,Unchanged", help="which rows, comma-separated")
    parser.add_argument("--no-sketches", action="store_true", help="skip the sketch layout measure")
    parser.add_argument("--figure", default=None, help="only draw the README's figure (a held-out emoji) into this PNG")
    args = parser.parse_args(argv)
    if args.figure:
        return restyle_figure(args.figure)
    makers = {"StarGAN": lambda p, s: stargan_images(p, [s])[0], "SDEdit": lambda p, s: sdedit(p, s, 0),
              "Unchanged": lambda p, s: p}
    makers = {name: makers[name] for name in args.models.split(",")}
    torch.set_num_threads(2)
    corpus = emoji_corpus.load()
    held = sorted(held_out_concepts(len(corpus.concepts)))
    train = ~np.isin(corpus.concept, held)
    net = train_style_net(corpus.images[train], corpus.style[train])
    with torch.no_grad():
        features = net.features(to_input(corpus.images)).numpy()
    rows, rng = {}, np.random.default_rng(0)
    drawn_in = {c: np.where(corpus.concept == c)[0] for c in held}
    for concept in [c for c in held if len(drawn_in[c]) >= 3][: args.concepts]:  # drawn in three styles or more
        drawn = drawn_in[concept]
        source = int(rng.choice(drawn))
        picture = Image.fromarray(corpus.images[source])
        for target in {STYLES[corpus.style[i]] for i in drawn} - {STYLES[corpus.style[source]]}:
            for name, make in makers.items():
                start = time.perf_counter()
                out = make(picture, target)
                seconds = time.perf_counter() - start
                rows.setdefault(name, []).append(score(net, features, corpus, out, concept, STYLES.index(target), train) + (seconds,))
    print_table(rows)
    if args.no_sketches:
        return
    print(f"\nsketches (a blob in a corner + a prompt, SDEdit at strength 0.8): ink in the blob's quadrant "
          f"{sketch_layout():.0f} % of 48 (chance 25 %)")


def restyle_figure(path: str, concept_rank: int = 3) -> None:
    """A held-out emoji drawn in all seven styles: its Noto drawing restyled into each style by the StarGAN (row 2)
    and SDEdit (row 3), under the corpus's own drawings of it in those styles (row 1), which neither model saw."""
    from pipelines.common.images import image_grid

    corpus = emoji_corpus.load()
    full = [c for c in sorted(held_out_concepts(len(corpus.concepts))) if len(set(corpus.style[corpus.concept == c])) == len(STYLES)]
    concept = full[concept_rank]
    tiles = {STYLES[corpus.style[i]]: Image.fromarray(corpus.images[i]) for i in np.where(corpus.concept == concept)[0]}
    source = tiles["noto"]
    rows = [[tiles[s] for s in STYLES], stargan_images(source, list(STYLES)), [sdedit(source, s, 0) for s in STYLES]]
    labels = [f"{who} · {s}" for who in ("drawn", "StarGAN", "SDEdit") for s in STYLES]
    grid = image_grid([im.resize((96, 96)) for row in rows for im in row], cols=len(STYLES), labels=labels, cell=112)
    grid.convert("RGB").quantize(128).save(path, optimize=True)
    print(f"{path}: {corpus.concepts[concept].en}, from its Noto drawing")


def pixels(images: np.ndarray) -> np.ndarray:
    """16 × 16 RGB (area-averaged) of [N, 64, 64, 3] uint8 tiles, flattened: what a picture looks like from afar."""
    return images.reshape(len(images), 16, 4, 16, 4, 3).mean((2, 4)).reshape(len(images), -1) / 255.0


def ranked_concepts(corpus, pool: np.ndarray, gallery: np.ndarray, query: np.ndarray) -> list[int]:
    order = pool[np.argsort(((gallery[pool] - query) ** 2).sum(1))]
    return list(dict.fromkeys(int(corpus.concept[i]) for i in order))


def score(net, features, corpus, image: Image.Image, concept: int, target: int, train: np.ndarray) -> tuple:
    """(style reached, concept top-1 and top-5 in pixels, the same in style features, candidates) for one picture."""
    tile = np.asarray(image.convert("RGB").resize((64, 64)))
    with torch.no_grad():
        x = to_input(tile[None])
        logits, feature = net(x)[0], net.features(x)[0].numpy()
    pool = np.where((corpus.style == target) & (train | (corpus.concept == concept)))[0]
    by_pixels = ranked_concepts(corpus, pool, pixels(corpus.images), pixels(tile[None])[0])
    by_features = ranked_concepts(corpus, pool, features, feature)
    return (int(logits.argmax()) == target, by_pixels[0] == concept, concept in by_pixels[:5],
            by_features[0] == concept, concept in by_features[:5], len(by_pixels))


CORNERS = {"top-left": (0, 0), "top-right": (1, 0), "bottom-left": (0, 1), "bottom-right": (1, 1)}


def sketch_layout(prompts=("red apple", "sun", "blue heart", "green tree"), seeds=range(3), strength: float = 0.8) -> float:
    """Share of sketches whose result has its ink where the blob was drawn: a blob of the prompt's colour in one
    corner of a white 256 px canvas, redrawn by SDEdit with the prompt; the ink's centroid (pixels far from white)
    must fall in the blob's quadrant (chance: 25 %)."""
    colours = {"red apple": (220, 40, 40), "sun": (250, 200, 40), "blue heart": (40, 90, 220), "green tree": (40, 160, 60)}
    hits = total = 0
    for prompt in prompts:
        for corner, (cx, cy) in CORNERS.items():
            canvas = Image.new("RGB", (256, 256), "white")
            canvas.paste(colours[prompt], (20 + 128 * cx, 20 + 128 * cy, 108 + 128 * cx, 108 + 128 * cy))
            for seed in seeds:
                backend = get_backend(EMBEDDED)
                out = np.asarray(backend.pipe(prompt, image=as_tensor(canvas.resize((64, 64), Image.LANCZOS)),
                                              strength=strength, num_inference_steps=25,
                                              generator=[torch.Generator().manual_seed(seed)]).images[0], float)
                ink = np.argwhere(np.abs(out - 255).sum(-1) > 90)
                if len(ink):
                    y, x = ink.mean(0)
                    hits += (x >= 32) == bool(cx) and (y >= 32) == bool(cy)
                total += 1
    return 100 * hits / total


def print_table(rows: dict) -> None:
    print("| model | restyles | style reached % | concept top-1 / top-5 %, pixels | concept top-1 / top-5 %, style "
          "features | chance top-1 / top-5 % | s / image |")
    print("|---|---|---|---|---|---|---|")
    for name, scores in rows.items():
        a = np.array(scores, dtype=float)
        chance = 100 / a[:, 5].mean()
        print(f"| {name} | {len(a)} | {100 * a[:, 0].mean():.1f} | {100 * a[:, 1].mean():.1f} / {100 * a[:, 2].mean():.1f} | "
              f"{100 * a[:, 3].mean():.1f} / {100 * a[:, 4].mean():.1f} | {chance:.2f} / {5 * chance:.2f} | {a[:, 6].mean():.3f} |")


if __name__ == "__main__":
    main()
