"""The harmony model's corpus: four-voice music from music21's corpus, as pitch grids of eighth notes.

    python -m pipelines.text_to_music.harmony.data --workers 2     # → data/text_to_music/harmony_corpus.npz

Each piece becomes `voices` (4 × steps of MIDI pitch, 0 = rest; soprano, alto, tenor, bass, top to bottom)
and `positions` (each step's place in its bar, in eighths): what a harmoniser sees (the soprano and
the metre) and what it writes (the three lower voices). A held note and a repeated one look the same
(Coconet's representation); the melody a user gives keeps its own notes, only the lower voices are drawn
from the grid. Bach's chorales are the core; a fixed tenth of them (by catalogue order) is held out for
measuring and never trained on. Palestrina, Monteverdi's madrigals and the string quartets add voice
leading of other styles (their four outer-to-inner voices: the highest part, two middle ones, the lowest).
Transposition to every key happens when batches are drawn (train.py), within each voice's range.
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

STEP = 0.5  # quarter notes per grid step: eighth notes
MAX_POSITION = 16  # positions in a bar, in eighths (12/8 and 4/2 fit; longer bars wrap)
COMPOSERS = ("bach", "palestrina", "monteverdi", "haydn", "mozart", "beethoven")
HOLD_OUT_EVERY = 10  # every tenth Bach chorale (sorted by file name) is held out
MAX_STEPS = 2048  # longer movements are cut (a quartet movement can run to thousands of eighths)
CORPUS_FILE = Path("data/text_to_music/harmony_corpus.npz")


@dataclass
class VoicedPiece:
    name: str
    voices: np.ndarray  # int16 [4, steps]: MIDI pitch per voice per eighth, 0 = rest
    positions: np.ndarray  # int16 [steps]: the step's place in its bar, in eighths (0 = downbeat)


def pitch_grid(part, steps: int) -> np.ndarray:
    """One part as the highest pitch sounding at each eighth (0 = rest): a note between two steps (a passing
    sixteenth) is not seen."""
    grid = np.zeros(steps, dtype=np.int16)
    for element in part.flatten().notes:
        length = float(element.quarterLength)
        if length <= 0:  # grace notes take no time
            continue
        pitch = max(p.midi for p in element.pitches)
        first, last = int(np.ceil(float(element.offset) / STEP - 1e-6)), int(np.ceil((float(element.offset) + length) / STEP - 1e-6))
        grid[first:min(last, steps)] = np.maximum(grid[first:min(last, steps)], pitch)
    return grid


def bar_positions(part, steps: int) -> np.ndarray:
    """Each step's place in its bar (in eighths), from the part's measures; a pickup bar counts from its end."""
    positions = np.arange(steps, dtype=np.int16) % 8
    for index, measure in enumerate(part.getElementsByClass("Measure")):
        bar = float(measure.barDuration.quarterLength)
        start, length = float(measure.offset), float(measure.duration.quarterLength)
        lead = bar - length if index == 0 and 0 < length < bar else 0.0  # an anacrusis
        first, last = int(round(start / STEP)), min(int(round((start + length) / STEP)), steps)
        positions[first:last] = ((np.arange(first, last) - first) + round(lead / STEP)) % MAX_POSITION
    return positions


def voice_piece(path: str) -> VoicedPiece | None:
    """A piece of four or more parts as four voices (None if it has fewer or is mostly rests)."""
    from music21 import corpus

    try:
        score = corpus.parse(path)
    except Exception as exc:  # a corpus file music21 cannot read is skipped, not fatal
        log.warning("skipped %s: %s", path, exc)
        return None
    parts = [p for p in score.parts if p.flatten().notes]
    if len(parts) < 4:
        return None
    steps = min(int(np.ceil(float(score.highestTime) / STEP)), MAX_STEPS)
    grids = [pitch_grid(p, steps) for p in parts]
    names = [str(p.partName or "").lower() for p in parts]
    satb = [next((i for i, n in enumerate(names) if n.startswith(v)), None) for v in ("sop", "alt", "ten", "bas")]
    order = sorted(range(len(grids)), key=lambda i: -np.median(grids[i][grids[i] > 0]) if (grids[i] > 0).any() else 0)
    chosen = [order[0], order[len(order) // 3], order[-2], order[-1]] if len(order) > 4 else order
    if None not in satb:  # a chorale with instruments doubling or adding lines: its four singers
        chosen = satb
    voices = np.stack([grids[i] for i in chosen])
    if (voices[0] > 0).mean() < 0.5:
        return None
    return VoicedPiece(Path(path).stem, voices, bar_positions(parts[0], steps))


def corpus_paths(composers: tuple[str, ...]) -> list[str]:
    from music21 import corpus

    return [str(p) for composer in composers for p in sorted(corpus.getComposer(composer))
            if p.suffix in (".mxl", ".xml", ".krn", ".musicxml")]


def is_held_out(index_in_bach: int) -> bool:
    return index_in_bach % HOLD_OUT_EVERY == 0


def build_corpus(out: Path, composers: tuple[str, ...] = COMPOSERS, workers: int = 2) -> Path:
    """Voice every piece and write one .npz: the pieces' grids end to end, with offsets, names, and the held-out flags."""
    paths = corpus_paths(composers)
    with ProcessPoolExecutor(workers) as pool:
        pieces = [p for p in pool.map(voice_piece, paths, chunksize=4) if p is not None]
    bach = sorted(p.name for p in pieces if "bwv" in p.name)
    held = {name for i, name in enumerate(bach) if is_held_out(i)}
    offsets = np.cumsum([0] + [p.voices.shape[1] for p in pieces])
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, voices=np.concatenate([p.voices for p in pieces], axis=1),
                        positions=np.concatenate([p.positions for p in pieces]), offsets=offsets,
                        names=np.array([p.name for p in pieces]), held_out=np.array([p.name in held for p in pieces]))
    log.info("%d pieces (%d Bach, %d held out), %d steps → %s", len(pieces), len(bach), len(held), offsets[-1], out)
    return out


@dataclass
class HarmonyCorpus:
    """The corpus file, split into pieces: `train` and `held_out` are lists of (voices, positions)."""

    train: list[tuple[np.ndarray, np.ndarray]]
    held_out: list[tuple[np.ndarray, np.ndarray]]
    held_out_names: list[str]
    train_is_bach: list[bool]  # which training pieces are Bach's chorales (train.py draws them as often as the rest)

    @classmethod
    def load(cls, path: Path = CORPUS_FILE) -> "HarmonyCorpus":
        data = np.load(path)
        train, held, names, bach = [], [], [], []
        for i, (a, b) in enumerate(zip(data["offsets"][:-1], data["offsets"][1:])):
            piece = (data["voices"][:, a:b].astype(np.int64), data["positions"][a:b].astype(np.int64))
            if data["held_out"][i]:
                held.append(piece)
                names.append(str(data["names"][i]))
            else:
                train.append(piece)
                bach.append(str(data["names"][i]).startswith("bwv"))
        return cls(train, held, names, bach)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=CORPUS_FILE)
    parser.add_argument("--composers", nargs="+", default=list(COMPOSERS), help="music21 corpus composers")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build_corpus(args.out, tuple(args.composers), args.workers)


if __name__ == "__main__":
    main()
