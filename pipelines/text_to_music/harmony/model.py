"""Harmony models: given a soprano (a pitch per eighth note) and the metre, write alto, tenor and bass.

Two designs, trained by the same script (train.py) and measured on the same held-out chorales (bench/harmony.py):

- `ar` — autoregressive: a bidirectional GRU reads the whole melody (so a voice can prepare a cadence it has
  not reached), and a GRU decoder writes one eighth at a time, alto, then tenor given the alto, then bass given both.
  Its likelihood is exact, and sampling is one pass.
- `coconet` — Coconet's design (Huang et al. 2017, "Counterpoint by Convolution"): a convolutional net over
  the piano roll (voices × time × pitch) that fills in whatever cells are masked, sampled by blocked Gibbs
  sampling (mask, predict, resample, with the mask shrinking).

Pitches are tokens: 0 = rest, 1 … PITCHES = MIDI LOW … HIGH. A harmony never rises above its melody:
sampling masks every pitch at or above the soprano's (and keeps tenor ≤ alto, bass ≤ tenor).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

LOW, HIGH = 28, 88  # MIDI range of the four voices (E1 … E6), wide enough for every key the corpus is moved to
VOCAB = HIGH - LOW + 2  # rest + pitches


@dataclass(frozen=True)
class HarmonyConfig:
    arch: str = "ar"  # "ar" (melody encoder + step-by-step decoder) or "coconet" (masked convolution)
    positions: int = 16  # places in a bar, in eighths (data.MAX_POSITION)
    embed: int = 64  # ar: width of the pitch and position embeddings
    hidden: int = 256  # ar: GRU width (the encoder's two directions together)
    layers: int = 2  # ar: GRU layers of the encoder and of the decoder
    channels: int = 64  # coconet: convolution channels
    conv_layers: int = 12  # coconet: residual 3×3 convolutions (dilated 1, 2, 4, 8 in time, repeating)
    dropout: float = 0.1


def to_tokens(pitches: torch.Tensor) -> torch.Tensor:
    """MIDI pitches (0 = rest) → tokens; pitches outside LOW…HIGH are moved by octaves into it."""
    p = pitches.clone()
    while bool(((p > 0) & (p < LOW)).any()):
        p = torch.where((p > 0) & (p < LOW), p + 12, p)
    while bool((p > HIGH).any()):
        p = torch.where(p > HIGH, p - 12, p)
    return torch.where(p > 0, p - LOW + 1, torch.zeros_like(p))


def to_pitches(tokens: torch.Tensor) -> torch.Tensor:
    return torch.where(tokens > 0, tokens + LOW - 1, torch.zeros_like(tokens))


def below(melody: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """[…, VOCAB] bool: the tokens a voice may take under `upper` (its next voice up): rest, or a pitch
    strictly below the melody and not above `upper` (a rest above imposes nothing)."""
    token = torch.arange(VOCAB, device=melody.device)
    ceiling = torch.where(melody > 0, melody - 1, torch.full_like(melody, VOCAB - 1))
    ceiling = torch.where(upper > 0, torch.minimum(ceiling, upper), ceiling)
    return (token == 0) | (token <= ceiling.unsqueeze(-1))


class AutoregressiveHarmonizer(nn.Module):
    """Melody encoder (BiGRU) + voice decoder (GRU), alto → tenor → bass within each step."""

    def __init__(self, config: HarmonyConfig) -> None:
        super().__init__()
        self.config = config
        e, h = config.embed, config.hidden
        self.melody = nn.Embedding(VOCAB, e)
        self.position = nn.Embedding(config.positions, e)
        self.encoder = nn.GRU(2 * e, h // 2, config.layers, batch_first=True, bidirectional=True, dropout=config.dropout)
        self.voices = nn.ModuleList(nn.Embedding(VOCAB + 1, e) for _ in range(3))  # + a "start" token before step 0
        self.decoder = nn.GRU(h + 3 * e, h, config.layers, batch_first=True, dropout=config.dropout)
        self.heads = nn.ModuleList(nn.Sequential(nn.Linear(h + i * e, h), nn.GELU(), nn.Linear(h, VOCAB)) for i in range(3))
        self.drop = nn.Dropout(config.dropout)

    def encode(self, melody: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.drop(torch.cat([self.melody(melody), self.position(positions)], -1)))[0]

    def step_inputs(self, context: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """The decoder's input at each step: the melody's context there and the three voices one step before."""
        return torch.cat([context] + [self.voices[v](previous[..., v]) for v in range(3)], -1)

    def head_logits(self, state: torch.Tensor, chosen: torch.Tensor, voice: int) -> torch.Tensor:
        features = torch.cat([state] + [self.voices[v](chosen[..., v]) for v in range(voice)], -1)
        return self.heads[voice](features)

    def forward(self, melody: torch.Tensor, positions: torch.Tensor, lower: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits [batch, steps, 3, VOCAB] for `lower` [batch, steps, 3] (tokens)."""
        start = torch.full_like(lower[:, :1], VOCAB)
        previous = torch.cat([start, lower[:, :-1]], 1)
        states = self.drop(self.decoder(self.step_inputs(self.encode(melody, positions), previous))[0])
        return torch.stack([self.head_logits(states, lower, v) for v in range(3)], 2)

    @torch.no_grad()
    def sample(self, melody: torch.Tensor, positions: torch.Tensor, generator: torch.Generator,
               temperature: float = 0.7, bias: torch.Tensor | None = None, strict: bool = True) -> torch.Tensor:
        """Lower voices [batch, steps, 3] for `melody` [batch, steps]; temperature 0 takes the likeliest.
        `bias` [VOCAB] is added to every logit (a key's pitch classes favoured: harmonizer.key_bias); `strict`
        rules out parallel fifths and octaves with the voices above (no_parallels)."""
        context = self.encode(melody, positions)
        batch, steps = melody.shape
        chosen = torch.full((batch, 1, 3), VOCAB, dtype=torch.long)
        hidden, out = None, []
        for t in range(steps):
            state, hidden = self.decoder(self.step_inputs(context[:, t:t + 1], chosen), hidden)
            now = torch.zeros((batch, 1, 3), dtype=torch.long)
            for v in range(3):
                upper = now[..., v - 1] if v else torch.zeros_like(now[..., 0])  # the alto answers to the melody alone
                logits = self.head_logits(state, now, v) + (0 if bias is None else bias)
                allowed = below(melody[:, t:t + 1], upper)
                if strict and t:
                    before = torch.cat([melody[:, t - 1:t, None], chosen], -1)[:, 0]
                    allowed &= no_parallels(before, torch.cat([melody[:, t:t + 1, None], now], -1)[:, 0], v + 1).unsqueeze(1)
                now[..., v] = pick(logits.masked_fill(~allowed, -1e9), temperature, generator)
            out.append(now)
            chosen = now
        return torch.cat(out, 1)


def no_parallels(before: torch.Tensor, now: torch.Tensor, voice: int) -> torch.Tensor:
    """[batch, VOCAB] bool: the tokens `voice` may take now without moving in parallel fifths or octaves (or
    unisons) with a voice above it, given every voice's token `before` and the upper voices' `now` [batch, 4]."""
    token = torch.arange(VOCAB)
    allowed = torch.ones((before.shape[0], VOCAB), dtype=torch.bool)
    was = before[:, voice:voice + 1]
    for upper in range(voice):
        a, b = before[:, upper:upper + 1], now[:, upper:upper + 1]
        sounding = (was > 0) & (a > 0) & (b > 0) & (a != b) & (token > 0) & (token != was)
        perfect = ((a - was) % 12 == (b - token) % 12) & (((a - was) % 12 == 0) | ((a - was) % 12 == 7))
        allowed &= ~(sounding & perfect & (torch.sign(b - a) == torch.sign(token - was)))
    return allowed


def pick(logits: torch.Tensor, temperature: float, generator: torch.Generator) -> torch.Tensor:
    """Sample a token per row of `logits` [..., VOCAB] (argmax at temperature 0)."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = F.softmax(logits / temperature, -1)
    flat = torch.multinomial(probs.reshape(-1, VOCAB), 1, generator=generator)
    return flat.reshape(logits.shape[:-1])


def build_model(config: HarmonyConfig) -> nn.Module:
    if config.arch == "ar":
        return AutoregressiveHarmonizer(config)
    if config.arch == "coconet":
        from pipelines.text_to_music.harmony.coconet import Coconet

        return Coconet(config)
    raise ValueError(f"unknown harmony architecture {config.arch!r}: 'ar' or 'coconet'")
