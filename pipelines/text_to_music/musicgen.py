"""MusicGen (Copet et al. 2023) through transformers, where its weights are on the machine: audio straight from words.

    if musicgen_present():                          # GS_MUSICGEN_MODEL, default facebook/musicgen-small
        audio, rate = musicgen_audio("a rainy goodbye at the station", "sad", tempo=70, seconds=10, seed=3)

It has no notes (no MIDI, no piano roll): it writes 32 kHz audio tokens from a T5 reading of its prompt, the
mood's words and the user's text together. Offline and without the weights it is not offered (the tab's
picker says so); nothing here downloads unless the machine is online and the host allows it (GS_MUSICGEN_MODEL
set to a hub id on a Space with network).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.loading import cached_loader, is_present, resolve_model_source
from pipelines.common.progress import ProgressFn, report
from pipelines.common.torch_setup import configure_torch
from pipelines.common.validation import Notice

TOKENS_PER_SECOND = 50  # EnCodec frames per second of audio (MusicGen's 32 kHz codec)
MOOD_WORDS = {"happy": "happy upbeat cheerful", "sad": "sad slow melancholic", "calm": "calm peaceful ambient",
              "tense": "tense suspenseful dark", "triumphant": "triumphant epic orchestral"}
korean_names({"MusicGen": "MusicGen"})


def musicgen_model() -> str:
    return get_settings().musicgen_model


def musicgen_present(spec: Optional[str] = None) -> bool:
    """Whether MusicGen's weights are on this machine (a local folder or the hub cache; never the network)."""
    return is_present(spec or musicgen_model())


@cached_loader
def load_musicgen(spec: str):
    """(processor, model) from a hub id or folder."""
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    configure_torch()
    folder = resolve_model_source(spec, what="MusicGen")
    return AutoProcessor.from_pretrained(folder), MusicgenForConditionalGeneration.from_pretrained(folder).eval()


def prompt_for(text: str, mood: str, tempo: int) -> str:
    return f"{MOOD_WORDS[mood]} music at {tempo} bpm. {text}".strip()


def musicgen_audio(text: str, mood: str, tempo: int, seconds: float, seed: int, spec: Optional[str] = None,
                   progress: Optional[ProgressFn] = None) -> tuple[np.ndarray, int]:
    """(mono float audio [samples], sampling rate) for `text` in `mood` at `tempo`, `seconds` long, from `seed`."""
    import torch

    processor, model = load_musicgen(spec or musicgen_model())
    report(progress, 0.1, Notice("progress.musicgen", "MusicGen is writing audio", "MusicGen이 소리를 쓰는 중"))
    inputs = processor(text=[prompt_for(text, mood, tempo)], padding=True, return_tensors="pt")
    torch.manual_seed(seed)  # generate() samples from torch's global generator
    with torch.inference_mode():
        audio = model.generate(**inputs, do_sample=True, max_new_tokens=max(4, int(seconds * TOKENS_PER_SECOND)))
    rate = int(model.config.audio_encoder.sampling_rate)
    return audio[0, 0].float().numpy(), rate


def write_audio(audio: np.ndarray, rate: int, path: Path) -> Path:
    """Ogg Vorbis, as the app serves every piece (peak-normalised; a silent clip stays silent)."""
    import soundfile

    peak = float(np.abs(audio).max()) if audio.size else 0.0
    soundfile.write(str(path), (audio * (0.9 / peak) if peak > 0 else audio).astype(np.float32), rate, format="OGG",
                    subtype="VORBIS")
    return path
