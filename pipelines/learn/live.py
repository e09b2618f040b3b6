"""Train it yourself: a family trained from scratch in the page, a sample grid every few seconds.

One training per session (a `LiveSession`, kept in a registry by the demo's session id), run
in slices of REFRESH seconds by the shared loop; the caller draws a grid after each slice. Each
press of Train is capped at TIME_CAP seconds and MAX_LIVE_STEPS steps. Nothing runs between
slices: if the page stops pulling updates (Stop, a closed tab), training simply stops, and the
session's lease runs out after LEASE seconds so a later Train is not refused forever.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import torch
from PIL import Image

from pipelines.common.images import image_grid, tensor_to_pil
from pipelines.common.seeding import check_seed
from pipelines.common.torch_setup import configure_torch
from pipelines.common.validation import UserInputError, check_number, set_checked
from pipelines.learn.base import FamilyConfig
from pipelines.learn.data import check_dataset, load_split
from pipelines.learn.families import FAMILIES, check_family
from pipelines.learn.scaffold import Trainer

MIN_LIVE_STEPS, MAX_LIVE_STEPS = 10, 5000  # steps one press of Train may ask for
MAX_LIVE_LATENT = 64  # code size a live training may ask for (the training scripts take up to 256)
TIME_CAP = 90.0  # seconds one press of Train may run
REFRESH = 2.0  # seconds of training between sample grids
FIRST_SLICE = 0.3  # the first grid comes quickly, so the page shows life at once
LEASE = REFRESH + 15.0  # a session whose updates stop being pulled is free again after this
GRID = 16  # samples in the live grid (always the same seed: successive grids show learning)
MAX_STEPS_ANY = 100_000  # the config's own step count: each press of Train sets its own stop step instead
MAX_SESSIONS = 32  # trained models kept at once; the least recently used idle one goes first


@dataclass(frozen=True)
class LiveRequest:
    family: str
    dataset: str
    lr: Optional[float] = None  # None: the family's default
    latent_dim: Optional[int] = None
    steps: int = 300  # the page's first value too
    seed: int = 0

    def __post_init__(self) -> None:
        set_checked(self, family=check_family(self.family), dataset=check_dataset(self.dataset),
                    steps=check_number(self.steps, "steps", MIN_LIVE_STEPS, MAX_LIVE_STEPS, whole=True),
                    seed=check_seed(self.seed))
        if self.latent_dim is not None:
            set_checked(self, latent_dim=check_number(self.latent_dim, "latent size", 1, MAX_LIVE_LATENT, whole=True))
        self.config()  # the family's config validates the learning rate and latent size

    def config(self) -> FamilyConfig:
        overrides = {"lr": self.lr, "latent_dim": self.latent_dim}
        return FAMILIES[self.family].Config(steps=MAX_STEPS_ANY, **{k: v for k, v in overrides.items() if v is not None})


def family_defaults(family: str) -> tuple[float, int]:
    """A family's own learning rate and code size: what a training without `lr` or `latent_dim` uses."""
    config = FAMILIES[check_family(family)].Config()
    return config.lr, config.latent_dim


@dataclass
class LiveUpdate:
    step: int
    target: int  # the step this press stops at
    cpu_seconds: float  # training CPU time so far (all presses)
    elapsed: float  # wall seconds since this press
    grid: Image.Image
    losses: list[tuple[int, float]]  # (step, loss) rows of the curve so far
    status: str  # "training", "finished", "stopped" or "time limit"


def busy_error() -> UserInputError:
    return UserInputError("learn.busy", "a training is already running in this session: press Stop first, or wait for it to end",
                          "이 세션에서 이미 학습이 진행 중입니다. 먼저 정지를 누르거나 끝날 때까지 기다리세요.")


class LiveSession:
    def __init__(self) -> None:
        self.trainer: Optional[Trainer] = None
        self.request: Optional[LiveRequest] = None
        self._lock = threading.Lock()
        self._busy_until = 0.0
        self._stop = False
        self._shown = False  # the running training has handed over an update
        self.last_used = time.monotonic()

    @property
    def busy(self) -> bool:
        return time.monotonic() < self._busy_until

    @property
    def shown_running(self) -> bool:
        """Busy with a training whose first update is out: one the page shows running."""
        return self.busy and self._shown

    def stop(self) -> None:
        self._stop = True

    def reset(self) -> None:
        self.stop()
        self.trainer, self.request = None, None

    def train(self, request: LiveRequest, resume: bool = False) -> Iterator[LiveUpdate]:
        """Train (from scratch, or continuing the session's model), yielding an update per slice."""
        with self._lock:
            if self.busy:
                raise busy_error()
            if resume and self.trainer is None:
                raise UserInputError("learn.nothing", "there is no model to continue yet: press Train first",
                                     "아직 이어서 학습할 모델이 없습니다. 먼저 학습을 누르세요.")
            self._busy_until, self._stop, self._shown = time.monotonic() + LEASE, False, False
        try:
            configure_torch()
            if not resume:
                torch.manual_seed(request.seed)  # the initial weights
                split = load_split(request.dataset)
                model = FAMILIES[request.family](request.config())
                self.trainer = Trainer(model, split.train_x, split.train_y, request.seed, log_every=5)
                self.request = request
            trainer = self.trainer
            target = trainer.step + request.steps
            start = time.monotonic()
            slice_seconds = FIRST_SLICE
            while True:
                trainer.run(max_seconds=slice_seconds, should_stop=lambda: self._stop, until_step=target)
                slice_seconds = REFRESH
                elapsed = time.monotonic() - start
                status = ("finished" if trainer.step >= target else "stopped" if self._stop
                          else "time limit" if elapsed >= TIME_CAP else "training")
                # the last update frees the session before it is handed over: a caller may stop pulling there
                self._busy_until = time.monotonic() + LEASE if status == "training" else 0.0
                self.last_used = time.monotonic()
                update = self.update(target, elapsed, status)
                self._shown = True
                yield update
                if status != "training":
                    return
        finally:
            self._busy_until = 0.0

    def update(self, target: int, elapsed: float, status: str) -> LiveUpdate:
        trainer = self.trainer
        grid = image_grid(tensor_to_pil(trainer.preview(GRID)), cols=8, cell=56)
        losses = [(row.step, row.loss) for row in trainer.log]
        return LiveUpdate(trainer.step, target, round(trainer.cpu_seconds, 1), round(elapsed, 1), grid, losses, status)


_sessions: dict[str, LiveSession] = {}
_sessions_lock = threading.Lock()


def get_session(session_id: Any) -> LiveSession:
    """The session's trainer holder, created on first use; the least recently used idle one is dropped
    when more than MAX_SESSIONS exist."""
    key = str(session_id)
    with _sessions_lock:
        if key not in _sessions:
            idle = sorted((s.last_used, k) for k, s in _sessions.items() if not s.busy)
            while len(_sessions) >= MAX_SESSIONS and idle:
                _sessions.pop(idle.pop(0)[1])
            _sessions[key] = LiveSession()
        return _sessions[key]


def check_free(session_id: Any) -> None:
    """Raise the sentence a second Train gets while the session's training runs (without making a session).
    A training counts from its first update: the page checks as each press is sent, the press that starts a
    training included, and either may reach the server first; until that update, the training may be this press's
    own (and a later press is only dropped, the training showing itself a moment later)."""
    with _sessions_lock:
        session = _sessions.get(str(session_id))
    if session is not None and session.shown_running:
        raise busy_error()


def drop_session(session_id: Any) -> None:
    """Forget a session's model (the page closed, or its state expired)."""
    with _sessions_lock:
        session = _sessions.pop(str(session_id), None)
    if session:
        session.reset()
