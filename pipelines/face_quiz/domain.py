"""From the face generator's output to the quiz's domain: 25×25 grayscale, LFW framing.

The DigiFace generator draws 64×64 RGB with some background; LFW crops are tight. A fixed
crop brings the framing close, luma makes it grayscale and area averaging downsamples it.
All three are differentiable, so the generator is fine-tuned through them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's convert("L")


@dataclass(frozen=True)
class QuizDomain:
    top: int = 8  # crop of the generator's 64×64 output: first row,
    left: int = 10  # first column,
    crop: int = 44  # and side
    size: int = 25  # side of the quiz images (LFW crops)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3|1, H, W) in [-1, 1] → (N, 1, size, size) in [-1, 1]."""
        x = images[:, :, self.top : self.top + self.crop, self.left : self.left + self.crop]
        if x.shape[1] == 3:
            x = (x * x.new_tensor(LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)
        return F.adaptive_avg_pool2d(x, self.size)

    def to_dict(self) -> dict:
        return asdict(self)
