"""DiffAugment (Zhao et al., NeurIPS 2020): differentiable augmentation for data-efficient GANs.

The same random brightness, contrast, translation and cutout are applied to real and generated
images before the discriminator sees them, so it cannot memorise ~100 training images, and
gradients still flow to the generator. Grayscale: the colour-saturation step is left out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def diff_augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """x: (N, C, H, W) in [-1, 1]."""
    n = x.shape[0]

    def rand(*shape):
        return torch.rand(*shape, generator=generator)

    x = x + (rand(n, 1, 1, 1) - 0.5)  # brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (rand(n, 1, 1, 1) + 0.5) + mean  # contrast
    x = _translate(x, 0.125, rand)
    return _cutout(x, 0.5, rand)


def _translate(x: torch.Tensor, ratio: float, rand) -> torch.Tensor:
    n, _, h, w = x.shape
    max_shift = int(h * ratio + 0.5)
    shifts = (rand(n, 2) * (2 * max_shift + 1)).floor() - max_shift  # whole pixels
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = shifts[:, 0] * 2 / w
    theta[:, 1, 2] = shifts[:, 1] * 2 / h
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def _cutout(x: torch.Tensor, ratio: float, rand) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = (rand(n, 1, 1) * (h + 1 - ch % 2)).long()
    cx = (rand(n, 1, 1) * (w + 1 - cw % 2)).long()
    ys = torch.arange(h).view(1, h, 1)
    xs = torch.arange(w).view(1, 1, w)
    inside = ((ys - cy).abs() <= ch // 2) & ((xs - cx).abs() <= cw // 2)
    return x * (~inside).unsqueeze(1).to(x.dtype)
