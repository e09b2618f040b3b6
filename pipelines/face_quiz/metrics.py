"""How hard are the fakes? A real-vs-fake classifier's held-out accuracy, and KID.

KID (Bińkowski et al., 2018) is the unbiased squared MMD with the kernel
k(x, y) = (x·y / d + 1)³, averaged over subsets. It is usually computed on Inception
features; no Inception weights can be had offline, so here the features are the 625
pixels of each 25×25 face (stated wherever the figure is reported).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def kid(real: np.ndarray, fake: np.ndarray, subsets: int = 50, subset_size: int = 32, seed: int = 0) -> tuple[float, float]:
    """(mean, std) of KID over random subsets; inputs (N, ...) flattened to feature vectors."""
    x = torch.as_tensor(real, dtype=torch.float64).reshape(len(real), -1)
    y = torch.as_tensor(fake, dtype=torch.float64).reshape(len(fake), -1)
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(x)} and {len(y)}")
    d = x.shape[1]
    gen = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        a = x[torch.randperm(len(x), generator=gen)[:m]]
        b = y[torch.randperm(len(y), generator=gen)[:m]]
        kxx, kyy, kxy = (a @ a.T / d + 1) ** 3, (b @ b.T / d + 1) ** 3, (a @ b.T / d + 1) ** 3
        off = 1 - torch.eye(m, dtype=torch.float64)
        mmd = (kxx * off).sum() / (m * (m - 1)) + (kyy * off).sum() / (m * (m - 1)) - 2 * kxy.mean()
        values.append(float(mmd))
    return float(np.mean(values)), float(np.std(values))


class _SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 6 * 6, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def classifier_accuracy(
    real_train: np.ndarray, fake_train: np.ndarray, real_test: np.ndarray, fake_test: np.ndarray, steps: int = 400, seed: int = 0
) -> float:
    """Train a small CNN to tell real (1) from fake (0) 25×25 faces; accuracy on the held-out sets."""
    torch.manual_seed(seed)

    def stack(real, fake):
        x = torch.as_tensor(np.concatenate([real, fake]), dtype=torch.float32).reshape(-1, 1, 25, 25)
        return x, torch.cat([torch.ones(len(real)), torch.zeros(len(fake))])

    x, y = stack(real_train, fake_train)
    model = _SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    for _ in range(steps):
        idx = torch.randint(len(x), (32,))
        batch = torch.where(torch.rand(32, 1, 1, 1) < 0.5, x[idx], x[idx].flip(3))  # mirror: a face stays a face
        loss = F.binary_cross_entropy_with_logits(model(batch), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    xt, yt = stack(real_test, fake_test)
    with torch.no_grad():
        return float(((model(xt) > 0).float() == yt).float().mean())
