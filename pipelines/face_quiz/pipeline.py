"""The quiz's rules: rounds, answers and scores. The answer never leaves the server.

    quiz = get_pipeline()
    dealt = quiz.new_round(RoundRequest(mode="pair"))  # dealt.round stays on the server, dealt.images are shown
    outcome = quiz.answer(AnswerRequest(choice="left", round=dealt.round, score=Score()))

A `Round` is kept in the player's server-side state; what goes to the browser is the faces
only, enlarged with the same smooth filter, stripped of metadata, and each freshly dithered
(±1 grey level) so that a real photo seen twice never gives the same bytes, or the same cache
file name, twice. Every answer is recorded in the all-players totals (stats.py) before it is shown.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
from PIL import Image

from pipelines.common.config import get_settings
from pipelines.common.images import upscale
from pipelines.common.korean import korean_names
from pipelines.common.loading import cached_loader, resolve_model_source
from pipelines.common.outputs import output_folder
from pipelines.common.torch_setup import configure_torch
from pipelines.common.validation import UserInputError, check_choice, set_checked
from pipelines.face_quiz.data import held_out_faces
from pipelines.face_quiz.fakes import FakeFaces, FakePool
from pipelines.face_quiz.stats import QuizStats, Totals

MODES = ("pair", "single")
CHOICES = {"pair": ("left", "right"), "single": ("real", "generated")}
korean_names({"mode": "방식", "choice": "선택"})
DISPLAY_SIZE = 256
HUMAN_BASELINES = {"untrained": 48.2, "trained": 59.0}  # Nightingale & Farid, PNAS 2022, % correct
# Tips that fit what is on screen: tiny 25 × 25 grey archive photos, where teeth, glasses or
# skin texture cannot be seen. demos/face_quiz.py holds the Korean of each, in this order.
TIPS = (
    "These are tiny 25 × 25 grey archive photos: judge the whole face — its shape and light — not fine detail.",
    "Real photos are lit from one side, with shadows that agree; generated faces are often lit evenly or shaded oddly.",
    "Look at the outline of the head: generators often blur or bend where the face meets the hair and background.",
    "Compare the two eyes: in a generated face the dark patches of the eyes may differ in size or height.",
    "Real archive photos are framed alike (centred, upright); an odd crop or tilt is a hint, though not proof.",
    "Blotchy or smeared patches on the cheeks and forehead hint at a generator; real photos are only blurred.",
)


@dataclass
class Round:
    mode: str
    answer: str  # the right choice: "left"/"right" (where the real one is) or "real"/"generated"
    real_index: Optional[int]  # index into the held-out photos, if a real photo is shown
    fake_seed: Optional[int]  # the generator seed, if a fake is shown
    answered: bool = False  # set, under the quiz's lock, by the one answer that counts


@dataclass
class Score:
    played: int = 0
    correct: int = 0
    streak: int = 0
    best_streak: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.played if self.played else 0.0


@dataclass
class NewRound:
    round: Round  # for the player's server-side state only: it holds the answer
    images: list[Image.Image]  # the 1 or 2 faces to show, left to right
    files: list[Path] = field(default_factory=list)  # the same faces as files to serve, all of one size (save_faces)


@dataclass
class Outcome:
    correct: bool
    real: str  # pair: "left" or "right"; single: "real" or "generated" (what the face was)
    tip: str
    score: Score = field(default_factory=Score)


def check_mode(mode: Any) -> str:
    return check_choice(mode, "mode", MODES)


# -- requests ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoundRequest:
    mode: str = "pair"  # "pair": which of two faces is real? "single": is this one face real or generated?

    def __post_init__(self) -> None:
        set_checked(self, mode=check_mode(self.mode))


@dataclass(frozen=True)
class AnswerRequest:
    choice: str  # pair: "left"/"right" (where the real photo is); single: "real"/"generated"
    round: Optional[Round]  # the player's open round, from their server-side state (None: none is open)
    score: Score = field(default_factory=Score)  # the player's score before this answer
    player: Optional[str] = None  # who answers (a user id of the app's database), for their all-time score

    def __post_init__(self) -> None:
        if self.round is not None and not self.round.answered:  # with no open round, the quiz says that instead
            set_checked(self, choice=check_choice(self.choice, "choice", CHOICES[self.round.mode]))


class FaceQuiz:
    def __init__(self, fakes: FakeFaces, pool: FakePool, reals: np.ndarray) -> None:
        if not pool.seeds:
            raise UserInputError("quiz.no_fakes", "no generated face passed the near-copy check: the quiz has nothing to show",
                                 "베낀 얼굴 검사를 통과한 생성 얼굴이 없어 퀴즈에 보여 줄 것이 없습니다.")
        self.fakes, self.pool, self.reals = fakes, pool, reals
        self.rng = random.SystemRandom()  # unpredictable: a client cannot replay the draw
        self._lock = threading.Lock()  # one answer per round, even when a client sends two at once

    def _display(self, face: np.ndarray, mirror: bool = False) -> Image.Image:
        small = Image.fromarray((face * 255).round().astype(np.uint8), mode="L")
        if mirror:
            small = small.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        big = upscale(small, DISPLAY_SIZE)
        noise = np.random.default_rng(self.rng.getrandbits(64)).integers(-1, 2, size=(DISPLAY_SIZE, DISPLAY_SIZE), dtype=np.int16)
        pixels = np.asarray(big, dtype=np.int16) + noise
        return Image.fromarray(pixels.clip(0, 255).astype(np.uint8), mode="L")  # a new image: no .info, no metadata

    def new_round(self, request: RoundRequest) -> NewRound:
        """The round to keep on the server and the 1 or 2 images to show."""
        real_index = self.rng.randrange(len(self.reals))
        fake_seed = self.rng.choice(self.pool.seeds)
        real, fake = self.reals[real_index], self.fakes.render([fake_seed])[0]
        mirror = self.rng.random() < 0.5  # both faces alike: a seen photo is not the same picture twice
        if request.mode == "pair":
            real_left = self.rng.random() < 0.5
            faces = [real, fake] if real_left else [fake, real]
            return NewRound(Round("pair", "left" if real_left else "right", real_index, fake_seed), [self._display(f, mirror) for f in faces])
        if self.rng.random() < 0.5:
            return NewRound(Round("single", "real", real_index, None), [self._display(real, mirror)])
        return NewRound(Round("single", "generated", None, fake_seed), [self._display(fake, mirror)])

    def answer(self, request: AnswerRequest, record: Callable[[str, bool], None] = lambda mode, correct: None) -> Outcome:
        """Judge a guess, `record` it, and only then close the round: a failed record (a ValueError) leaves the round
        open for another try. Raises ValueError without scoring if there is no open round."""
        current, score = request.round, request.score
        with self._lock:  # claim the round: of two answers sent at once, one goes on
            if current is None or current.answered:
                raise UserInputError("quiz.no_round", "there is no open round: start a new round first (each round takes one guess)",
                                     "진행 중인 라운드가 없습니다. 먼저 새 라운드를 시작하세요(라운드마다 한 번 추측합니다).")
            current.answered = True
        correct = request.choice == current.answer
        try:  # outside the lock: a slow disk holds this player, not every player
            record(current.mode, correct)
        except Exception:
            current.answered = False  # the write failed: the round stays open for the same guess again
            raise
        streak = score.streak + 1 if correct else 0
        new_score = replace(score, played=score.played + 1, correct=score.correct + correct, streak=streak, best_streak=max(score.best_streak, streak))
        return Outcome(correct, current.answer, self.rng.choice(TIPS), new_score)


def save_faces(images: list[Image.Image], folder: Path) -> list[Path]:
    """The faces as uncompressed PNGs. Compressed, a photo's file is larger than a generated face's (more fine
    detail), so the byte sizes alone told the real face 67 % of the time; stored, every face's file is the same size."""
    paths = []
    for i, image in enumerate(images):
        paths.append(folder / f"face_{i}.png")
        image.save(paths[-1], format="PNG", compress_level=0)
    return paths


@cached_loader
def load_quiz() -> FaceQuiz:
    """The quiz with its generator and its pool of checked fakes, built on first use (~2 s)."""
    configure_torch()
    folder = resolve_model_source(get_settings().quiz_generator, what="quiz generator")
    fakes = FakeFaces.from_checkpoint(folder)
    return FaceQuiz(fakes, fakes.build_pool(), held_out_faces())


# -- the pipeline --------------------------------------------------------------------------------
class FaceQuizPipeline:
    """The tab's one entry (see get_pipeline): rounds, answers (each recorded in the all-players totals), totals."""

    @cached_property
    def answers(self) -> QuizStats:
        """Every player's answers, in the app's database (opened on first use)."""
        return QuizStats()

    def new_round(self, request: RoundRequest) -> NewRound:
        dealt = load_quiz().new_round(request)
        return replace(dealt, files=save_faces(dealt.images, output_folder("quiz")))

    def answer(self, request: AnswerRequest) -> Outcome:
        # Committed before the player sees the result; a failed write leaves the round open.
        return load_quiz().answer(request, record=lambda mode, correct: self.answers.record(mode, correct, request.player))

    def stats(self, mode: Optional[str] = None, player: Optional[str] = None) -> Totals:
        """Every player's answers so far (of one mode, of one player)."""
        return self.answers.totals(mode, player)


@cached_loader
def get_pipeline() -> FaceQuizPipeline:
    """The tab's pipeline, made on first use and shared."""
    return FaceQuizPipeline()
