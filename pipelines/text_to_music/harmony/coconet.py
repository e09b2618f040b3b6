"""Coconet (Huang, Cooijmans, Roberts, Courville, Eck 2017, "Counterpoint by Convolution"), small enough for a CPU.

The piano roll is an image: one channel per voice (one-hot pitch per eighth, rest as its own row) and one
per voice saying which of its cells are hidden, plus two saying where the beats are. Residual 3×3
convolutions, dilated in time, predict every voice's pitch at every step; training hides a random share
of the lower voices' cells (the soprano is always given) and scores the hidden ones (an orderless NADE).
Harmonising is blocked Gibbs sampling: hide everything below the melody, fill it in, then hide and redraw a
shrinking share of it (Coconet's annealed schedule).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from pipelines.text_to_music.harmony.model import VOCAB, HarmonyConfig, below, pick

DILATIONS = (1, 2, 4, 8)


class Block(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels)
        self.conv = nn.Conv2d(channels, channels, 3, padding=(dilation, 1), dilation=(dilation, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(F.relu(self.norm(x)))


class Coconet(nn.Module):
    def __init__(self, config: HarmonyConfig) -> None:
        super().__init__()
        self.config = config
        self.stem = nn.Conv2d(4 + 4 + 2, config.channels, 3, padding=1)
        self.blocks = nn.Sequential(*(Block(config.channels, DILATIONS[i % len(DILATIONS)]) for i in range(config.conv_layers)))
        self.out = nn.Conv2d(config.channels, 4, 1)

    def forward(self, voices: torch.Tensor, positions: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """Logits [batch, steps, 4, VOCAB] from `voices` [batch, steps, 4] (tokens; hidden cells' values unused),
        `hidden` [batch, steps, 4] (bool: cells to predict)."""
        roll = F.one_hot(voices, VOCAB).float() * (~hidden).unsqueeze(-1)  # [b, t, 4, V], hidden cells blank
        masks = hidden.float().unsqueeze(-1).expand_as(roll)
        beats = torch.stack([positions == 0, positions % 2 == 0], -1).float()  # downbeat, on a beat
        beats = beats.unsqueeze(-1).expand(*beats.shape, VOCAB)
        image = torch.cat([roll, masks, beats], 2).permute(0, 2, 1, 3)  # [b, channels, t, V]
        logits = self.out(F.relu(self.blocks(self.stem(image))))  # [b, 4, t, V]
        return logits.permute(0, 2, 1, 3)

    def allowed(self, voices: torch.Tensor) -> torch.Tensor:
        """[b, t, 3, V]: the tokens each lower voice may take given the melody and the voice above as they stand."""
        melody = voices[..., 0]
        rests = torch.zeros_like(melody)
        return torch.stack([below(melody, rests), below(melody, voices[..., 1]), below(melody, voices[..., 2])], 2)

    @torch.no_grad()
    def sample(self, melody: torch.Tensor, positions: torch.Tensor, generator: torch.Generator,
               temperature: float = 0.7, bias: torch.Tensor | None = None, rounds: int = 24) -> torch.Tensor:
        """Lower voices [batch, steps, 3] by blocked Gibbs sampling: all hidden first, then a share falling
        from 0.9 to 0.05 of the cells hidden and redrawn each round."""
        voices = torch.zeros((*melody.shape, 4), dtype=torch.long)
        voices[..., 0] = melody
        hidden = torch.zeros_like(voices, dtype=torch.bool)
        hidden[..., 1:] = True
        for r in range(rounds):
            logits = self(voices, positions, hidden)[..., 1:, :] + (0 if bias is None else bias)
            logits = logits.masked_fill(~self.allowed(voices), -1e9)
            drawn = pick(logits, temperature if r < rounds - 1 else min(temperature, 0.3), generator)
            voices[..., 1:] = torch.where(hidden[..., 1:], drawn, voices[..., 1:])
            share = 0.9 - (0.85 * r / max(rounds - 1, 1))
            hidden = torch.zeros_like(hidden)
            hidden[..., 1:] = torch.rand(hidden[..., 1:].shape, generator=generator) < share
        for v in (2, 3):  # voices redrawn together may have crossed: a voice above its upper one doubles it
            upper = voices[..., v - 1]
            voices[..., v] = torch.where((voices[..., v] > upper) & (upper > 0), upper, voices[..., v])
        return voices[..., 1:]
