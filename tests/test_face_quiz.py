"""Face quiz pipeline: data split, domain, DiffAugment, near-copy check, rules, SQLite stats."""

import threading

import numpy as np
import pytest
import torch
from PIL import Image

from pipelines.face_quiz import data, metrics
from pipelines.face_quiz.augment import diff_augment
from pipelines.face_quiz.domain import QuizDomain
from pipelines.face_quiz.fakes import FakeFaces, FakePool, near_copy_threshold
from pipelines.face_quiz.pipeline import DISPLAY_SIZE, AnswerRequest, FaceQuiz, Round, RoundRequest, Score
from pipelines.face_quiz.stats import QuizStats
from tests.conftest import free_port
from pipelines.common.dcgan.model import DCGANConfig, Generator

TINY = DCGANConfig(z_dim=8, image_size=64, base_size=4, channels=3, ngf=2)


@pytest.fixture(scope="module")
def fakes():
    torch.manual_seed(0)
    return FakeFaces(Generator(TINY), QuizDomain())


@pytest.fixture()
def quiz(fakes):
    return FaceQuiz(fakes, FakePool(seeds=[1, 2, 3], nearest_real=[0.2] * 3, rejected=0, threshold=0.1), data.held_out_faces())


def test_split_is_disjoint_and_complete():
    train, held_out = data.split_indices()
    assert len(train) == 64 and len(held_out) == 36
    assert set(train).isdisjoint(held_out) and set(train) | set(held_out) == set(range(100))
    assert data.real_faces().shape == (100, 25, 25)


def test_domain_maps_generator_output_to_lfw_shape_and_passes_gradients():
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    out = QuizDomain()(x.tanh())
    assert out.shape == (2, 1, 25, 25) and out.abs().max() <= 1
    out.sum().backward()
    assert x.grad.abs().sum() > 0


def test_diff_augment_is_differentiable_and_seeded():
    x = torch.rand(4, 1, 32, 32, requires_grad=True)
    a = diff_augment(x, torch.Generator().manual_seed(1))
    b = diff_augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, diff_augment(x, torch.Generator().manual_seed(2)))
    a.sum().backward()
    assert x.grad.abs().sum() > 0


def test_near_copy_threshold_is_the_closest_pair_of_reals():
    faces = np.zeros((3, 2, 2), dtype=np.float32)
    faces[1] += 0.5
    faces[2] += 0.6
    assert near_copy_threshold(faces) == pytest.approx(0.1, abs=1e-6)


def test_pool_rejects_a_fake_that_copies_a_real_photo(fakes):
    class Copycat(FakeFaces):
        def render(self, seeds):
            out = super().render(seeds)
            out[seeds.index(0)] = data.real_faces()[5] if 0 in seeds else out[0]
            return out

    pool = Copycat(fakes.generator, fakes.domain).build_pool(candidates=8)
    assert 0 not in pool.seeds and pool.rejected >= 1
    assert all(d >= pool.threshold for d in pool.nearest_real)


def test_pair_round_shows_the_real_photo_on_the_answer_side(quiz):
    for _ in range(6):
        dealt = quiz.new_round(RoundRequest("pair"))
        current, images = dealt.round, dealt.images
        assert len(images) == 2 and all(im.size == (DISPLAY_SIZE, DISPLAY_SIZE) and im.mode == "L" for im in images)
        real = quiz.reals[current.real_index]
        shown = np.asarray(images[0 if current.answer == "left" else 1].resize((25, 25), Image.Resampling.BOX), dtype=np.float32) / 255
        assert min(np.abs(shown - real).mean(), np.abs(shown - real[:, ::-1]).mean()) < 0.05  # as it is, or mirrored


def test_images_carry_no_metadata_and_never_repeat_bytes(quiz):
    images = quiz.new_round(RoundRequest("single")).images
    assert not images[0].info
    again = quiz._display(quiz.reals[0]).tobytes()
    assert again != quiz._display(quiz.reals[0]).tobytes()  # fresh dither every time


def test_answers_score_streaks_and_refuse_replays(quiz):
    score = Score()
    outcome = quiz.answer(AnswerRequest("left", Round("pair", "left", 0, 1), score))
    assert outcome.correct and outcome.real == "left" and outcome.score.correct == 1 and outcome.score.streak == 1
    outcome = quiz.answer(AnswerRequest("real", Round("single", "generated", None, 1), outcome.score))
    assert not outcome.correct and outcome.score.played == 2 and outcome.score.streak == 0 and outcome.score.best_streak == 1
    with pytest.raises(ValueError, match="no open round"):
        quiz.answer(AnswerRequest("left", None, score))
    with pytest.raises(ValueError, match="'sideways'"):
        quiz.answer(AnswerRequest("sideways", Round("pair", "left", 0, 1), score))
    with pytest.raises(ValueError, match="'triple'"):
        quiz.new_round(RoundRequest("triple"))


def test_a_data_folder_that_cannot_be_written_is_a_sentence_and_keeps_the_round_open(quiz, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # as root, permissions would not stop a write; a file in the way does
    with pytest.raises(ValueError, match="cannot save to its data folder") as refused:
        QuizStats(blocked / "data" / "stats.sqlite3")
    assert "unable to open" not in str(refused.value) and refused.value.ko  # the raw SQLite text never shows
    open_round, recorded = Round("pair", "left", 0, 1), []

    def failing(mode, correct):
        raise refused.value

    with pytest.raises(ValueError, match="cannot save"):
        quiz.answer(AnswerRequest("left", open_round, Score()), record=failing)
    assert not open_round.answered  # the failed write used up nothing: the same guess goes through once it can
    outcome = quiz.answer(AnswerRequest("left", open_round, Score()), record=lambda *row: recorded.append(row))
    assert outcome.correct and recorded == [("pair", True)] and open_round.answered


def test_stats_are_exact_under_concurrent_answers(tmp_path):
    stats = QuizStats(tmp_path / "stats.sqlite3")

    def play(k):
        for i in range(50):
            stats.record("pair" if i % 2 else "single", correct=(i + k) % 3 == 0)

    threads = [threading.Thread(target=play, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    expected_correct = sum((i + k) % 3 == 0 for k in range(8) for i in range(50))
    totals = stats.totals()
    assert (totals.answers, totals.correct) == (400, expected_correct)
    assert stats.totals("pair").answers == 200
    # survives a restart (a new object on the same file), and only an explicit reset empties it
    assert QuizStats(tmp_path / "stats.sqlite3").totals().answers == 400
    assert stats.reset() == 400 and stats.totals().answers == 0


def test_kid_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(0)
    a, b = rng.random((64, 25, 25)), rng.random((64, 25, 25))
    same, _ = metrics.kid(a, b)
    different, _ = metrics.kid(a, rng.random((64, 25, 25)) * 0.5)
    assert abs(same) < 0.05 and different > 10 * max(abs(same), 1e-3)
    with pytest.raises(ValueError, match="at least 2"):
        metrics.kid(a[:1], b)


def test_classifier_tells_apart_what_differs_and_not_what_does_not():
    rng = np.random.default_rng(0)
    bright, dark = rng.random((40, 25, 25)) * 0.5 + 0.5, rng.random((40, 25, 25)) * 0.5
    assert metrics.classifier_accuracy(bright[:30], dark[:30], bright[30:], dark[30:], steps=150) > 0.9
    same = rng.random((80, 25, 25))
    assert metrics.classifier_accuracy(same[:30], same[30:60], same[60:70], same[70:], steps=150) < 0.8


def test_a_round_is_answered_once_even_from_many_threads(quiz):
    current = quiz.new_round(RoundRequest("pair")).round
    results = []

    def guess():
        try:
            results.append(quiz.answer(AnswerRequest("left", current, Score())))
        except ValueError:
            pass

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 1


def test_a_database_that_does_not_answer_is_a_sentence_in_both_languages(tmp_path):
    from pipelines.common.store.database import Database

    free = free_port()  # nothing listens there: what the app meets while its PostgreSQL restarts
    with pytest.raises(ValueError, match="cannot be reached just now") as down:
        QuizStats(Database(f"postgresql+psycopg://nobody@127.0.0.1:{free}/studio"))
    assert "psycopg" not in str(down.value) and "connection" not in str(down.value).lower()
    assert "데이터베이스" in down.value.ko
