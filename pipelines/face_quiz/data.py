"""The real photos: the 100 LFW face crops in scikit-image, split once and for all.

`skimage.data.lfw_subset()` holds 200 images of 25×25 grayscale; the first 100 are faces
(the rest are non-faces). A fixed permutation (seed 0) puts 64 in the generator's training
part and 36 in the held-out part that only the quiz shows, so the generator never saw a photo
it is compared with.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

N_FACES = 100
N_TRAIN = 64
SPLIT_SEED = 0
SIZE = 25


@lru_cache(maxsize=1)
def real_faces() -> np.ndarray:
    """(100, 25, 25) float32 in [0, 1]."""
    from skimage.data import lfw_subset  # imported late: scikit-image takes a moment to load

    return lfw_subset()[:N_FACES].astype(np.float32)


def split_indices() -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices) into real_faces()."""
    order = np.random.default_rng(SPLIT_SEED).permutation(N_FACES)
    return np.sort(order[:N_TRAIN]), np.sort(order[N_TRAIN:])


def train_faces() -> np.ndarray:
    return real_faces()[split_indices()[0]]


def held_out_faces() -> np.ndarray:
    return real_faces()[split_indices()[1]]
