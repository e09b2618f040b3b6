"""A model whose every sample comes out bit for bit the same alone or in a batch of any size (on a CPU).

    make_batch_invariant(pipe.unet, pipe.vae, pipe.prior)

Batching requests must not change a picture: the seed a user is shown has to give the same PNG bytes tomorrow,
alone. Plain PyTorch does not promise that. Measured on the emoji model (torch 2.13, CPU, one thread): images
drawn alone and in a batch of 4 differed by up to 1.3e-5, enough to move a few pixels of a PNG by one level:
- `nn.Linear` on one row per sample (the time and pooled-text embeddings, the layout prior, a GPT's decoding
  step): a batch of one goes to a matrix-vector kernel, a batch of many to a matrix-matrix one, and MKL's blocking
  of the latter changes with the number of rows;
- 1 × 1 convolutions: oneDNN runs them as one matrix product over batch × height × width, blocked by that size
  (batches of 16 and 32 differed from a batch of 2);
- other convolutions: oneDNN picks another algorithm for a batch of one;
- group norm and convolutions on a channels-last tensor (what attention hands on) take other kernels than on
  a contiguous one.
So each such layer is swapped for one that computes every sample with shapes that do not depend on the batch:
linear layers and 1 × 1 convolutions as one batched matrix product (`bmm`: one product per sample, all of
the same shape), a batch of one doubled for the other convolutions (and only the first half kept), and inputs
made contiguous. The cost (`bench/serving.py`, the emoji model): 8 %, 11 % and 9 % of its speed at batches of 1, 4
and 32.
Weights, state dicts and saved files are unchanged. On a GPU cuBLAS and cuDNN choose kernels by shape too, and
this does not make them invariant.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class InvariantLinear(nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            return super().forward(x)
        b = x.shape[0]
        rows = x.reshape(b, -1, x.shape[-1])  # (batch, rows per sample, in): each sample's product has one shape
        out = torch.bmm(rows, self.weight.t().expand(b, -1, -1))
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)


class InvariantConv2d(nn.Conv2d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        if self._pointwise():
            b, c, h, w = x.shape
            out = torch.bmm(self.weight.view(self.out_channels, c).expand(b, -1, -1), x.view(b, c, h * w))
            if self.bias is not None:
                out = out + self.bias[:, None]
            return out.view(b, self.out_channels, h, w)
        if x.shape[0] == 1:
            return super().forward(torch.cat([x, x]))[:1]
        return super().forward(x)

    def _pointwise(self) -> bool:
        return (self.kernel_size == (1, 1) and self.stride == (1, 1) and self.dilation == (1, 1) and self.groups == 1
                and self.padding in ((0, 0), "valid"))


class InvariantConvTranspose2d(nn.ConvTranspose2d):
    def forward(self, x: torch.Tensor, output_size=None) -> torch.Tensor:
        x = x.contiguous()
        if x.shape[0] == 1:
            return super().forward(torch.cat([x, x]), output_size)[:1]
        return super().forward(x, output_size)


class InvariantGroupNorm(nn.GroupNorm):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.group_norm(x.contiguous(), self.num_groups, self.weight, self.bias, self.eps)


SWAPS = {nn.Linear: InvariantLinear, nn.Conv2d: InvariantConv2d, nn.ConvTranspose2d: InvariantConvTranspose2d,
         nn.GroupNorm: InvariantGroupNorm}


def make_batch_invariant(*models: nn.Module | None) -> None:
    """Swap, in place, the layers whose results depend on the batch (see above) for invariant ones. Only exact
    PyTorch classes are swapped (a subclass may compute differently); calling it twice changes nothing."""
    for model in models:
        for module in (model.modules() if model is not None else ()):
            swap = SWAPS.get(type(module))
            if swap is not None:
                module.__class__ = swap
