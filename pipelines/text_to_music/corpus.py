"""Build the music corpus once from music21's bundled collections.

    python -m pipelines.text_to_music.corpus --workers 2

Parses O'Neill's 1850, Ryan's Mammoth, the Essen folk songs and the Bach chorales with music21
(slow: ~30 CPU-minutes in all), puts every piece on the sixteenth grid (pipelines.text_to_music.tokens)
and writes `assets/music/corpus/pieces.jsonl.gz`: one line a piece with its source, title,
meter, tempo (if the file gives one), bar starts and notes. Each source file's result is cached
under $GS_DATA_DIR/music_corpus_cache, so an interrupted build resumes where it stopped.
Then every piece is labelled into a mood by the signatures (pipelines.text_to_music.moods) and the
token files the models train on are written (`--label-only` redoes just that, in seconds).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
import warnings
from multiprocessing import Pool
from pathlib import Path
from typing import Iterator, Optional

from pipelines.common.config import ASSETS_DIR, data_dir
from pipelines.text_to_music.tokens import TIME_SIGNATURES, Note, Piece

CORPUS_DIR = ASSETS_DIR / "music" / "corpus"
PIECES_FILE = CORPUS_DIR / "pieces.jsonl.gz"
COLLECTIONS = ("oneills1850", "ryansMammoth", "essenFolksong", "bach")


def source_files(collections: tuple[str, ...] = COLLECTIONS) -> list[Path]:
    from music21 import corpus

    files = []
    for path in map(Path, corpus.getPaths()):
        collection = path.parent.name
        if collection in collections and (collection != "bach" or path.name.startswith("bwv")):
            files.append(path)
    return sorted(files)


def score_to_piece(score) -> tuple[Optional[Piece], Optional[float]]:
    """A music21 score → (Piece on the sixteenth grid, quarter-note tempo or None); None if unusable."""
    parts = list(score.parts) or [score]
    measures = list(parts[0].getElementsByClass("Measure"))
    signature = parts[0].recurse().getElementsByClass("TimeSignature").first()
    meter = signature.ratioString if signature is not None else "4/4"
    if not measures or meter not in TIME_SIGNATURES:
        return None, None
    notes = []
    for part in parts:
        for element in part.stripTies().flatten().notes:
            length = float(element.quarterLength)
            if length <= 0:  # grace notes
                continue
            start, duration = round(float(element.offset) * 4), max(1, round(length * 4))
            notes += [Note(start, duration, p.midi) for p in element.pitches]
    mark = parts[0].recurse().getElementsByClass("MetronomeMark").first()
    tempo = float(mark.getQuarterBPM()) if mark is not None and mark.number else None
    if len(notes) < 8:
        return None, None
    return Piece(meter, [round(float(m.offset) * 4) for m in measures], notes), tempo


def parse_file(path: Path) -> list[dict]:
    """Every usable piece in one corpus file (an opus file holds many tunes)."""
    from music21 import converter, stream

    warnings.filterwarnings("ignore")
    try:
        parsed = converter.parse(path)
    except Exception:
        return []
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    pieces = []
    for i, score in enumerate(scores):
        try:
            piece, tempo = score_to_piece(score)
        except Exception:
            continue
        if piece is None:
            continue
        title = score.metadata.title if score.metadata is not None and score.metadata.title else ""
        pieces.append({
            "id": f"{path.parent.name}/{path.name}#{i}", "collection": path.parent.name, "title": title,
            "time_signature": piece.time_signature, "tempo": tempo, "bars": piece.bars,
            "notes": [x for n in piece.notes for x in (n.start, n.duration, n.pitch)],
        })
    return pieces


def _cached_parse(path: Path) -> list[dict]:
    cache = data_dir() / "music_corpus_cache" / f"{path.parent.name}__{path.name}.json.gz"
    if cache.is_file():
        return json.loads(gzip.decompress(cache.read_bytes()))
    pieces = parse_file(path)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".part")
    partial.write_bytes(gzip.compress(json.dumps(pieces).encode()))
    partial.replace(cache)  # atomic: a reader never sees half a file
    return pieces


def build(workers: int = 2, collections: tuple[str, ...] = COLLECTIONS, out: Path = PIECES_FILE) -> int:
    files = source_files(collections)
    start, count = time.time(), 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with Pool(workers) as pool, gzip.open(out, "wt", encoding="utf-8") as f:
        # the largest files first, so the pool is not left waiting on one at the end
        for done, pieces in enumerate(pool.imap(_cached_parse, sorted(files, key=lambda p: -p.stat().st_size)), 1):
            for piece in pieces:
                f.write(json.dumps(piece, ensure_ascii=False) + "\n")
            count += len(pieces)
            if done % 25 == 0 or done == len(files):
                print(f"{done}/{len(files)} files, {count} pieces, {time.time() - start:.0f} s", flush=True)
    return count


def load_pieces(path: Path = PIECES_FILE) -> Iterator[tuple[dict, Piece]]:
    """(metadata, Piece) for every piece of the built corpus."""
    if not path.is_file():
        raise FileNotFoundError(f"the music corpus is not built: run `python -m pipelines.text_to_music.corpus` (missing {path})")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            meta = json.loads(line)
            flat = meta.pop("notes")
            notes = [Note(*flat[i : i + 3]) for i in range(0, len(flat), 3)]
            yield meta, Piece(meta["time_signature"], meta["bars"], notes)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--collections", nargs="+", default=list(COLLECTIONS), choices=COLLECTIONS)
    p.add_argument("--label-only", action="store_true", help="skip parsing: relabel and retokenise the built corpus")
    args = p.parse_args()
    if not args.label_only:
        print(f"wrote {build(args.workers, tuple(args.collections))} pieces to {PIECES_FILE}")
    print(json.dumps(label_and_tokenize(), indent=1))



def to_home_key(piece: Piece) -> Piece:
    """Transpose a piece to C major or A minor (the nearer way), so each mood's model learns one home
    tonic instead of having to infer it: a small model otherwise drifts between a key and its relative."""
    from pipelines.text_to_music.moods import find_key

    key = find_key(piece)
    shift = ((0 if key.mode == "major" else 9) - key.tonic) % 12
    shift = shift - 12 if shift > 5 else shift
    return Piece(piece.time_signature, piece.bars, [Note(n.start, n.duration, n.pitch + shift) for n in piece.notes])


def label_and_tokenize(out: Path = CORPUS_DIR, every_nth_for_validation: int = 20) -> dict:
    """Label every piece into a mood by the signatures, move it to its home key (C major or A minor) and
    write `<mood>.train.npy` / `<mood>.val.npy` (uint8 token ids, pieces back to back) and `labels.json`."""
    import numpy as np

    from pipelines.text_to_music.moods import MOODS, label_piece
    from pipelines.text_to_music.tokens import encode

    splits = {(m, s): [] for m in MOODS for s in ("train", "val")}
    report: dict = {m: {"pieces": 0, "tokens": 0, "collections": {}} for m in MOODS}
    skipped = ambiguous = 0
    for n, (meta, piece) in enumerate(load_pieces()):
        try:
            ids = encode(piece)
        except ValueError:  # a meter or bar layout the vocabulary cannot write
            skipped += 1
            continue
        mood = label_piece(piece, meta["tempo"])
        if mood is None:
            ambiguous += 1
            continue
        ids = encode(to_home_key(piece))
        splits[mood, "val" if n % every_nth_for_validation == 0 else "train"].extend(ids)
        entry = report[mood]
        entry["pieces"] += 1
        entry["tokens"] += len(ids)
        entry["collections"][meta["collection"]] = entry["collections"].get(meta["collection"], 0) + 1
    for (mood, split), ids in splits.items():
        np.save(out / f"{mood}.{split}.npy", np.asarray(ids, dtype=np.uint8))
    summary = {"moods": report, "skipped (meter or bars not writable)": skipped, "left out (mode ambiguous)": ambiguous,
               "validation": f"every {every_nth_for_validation}th piece"}
    (out / "labels.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
