"""Which Face Is Real? through the API: no leaks before the guess, exact totals, no mixing."""

import random
import re
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from pipelines.face_quiz.pipeline import get_pipeline


def png_chunks(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.append(kind.decode("ascii"))
        pos += 12 + length
    return chunks


def test_a_new_round_reveals_nothing(client):
    answer_words = re.compile(r"real|generated|fake|left|right|seed|answer", re.I)
    names, sizes = [], set()
    for mode in ("pair", "single") * 4:
        response = client.predict(mode, api_name="/quiz_new_round")
        paths = response["images"]
        assert len(paths) == (2 if mode == "pair" else 1)
        assert set(response) == {"mode", "images"}  # the images, nothing else
        for path in paths:
            data = Path(path).read_bytes()
            assert png_chunks(data) == ["IHDR"] + ["IDAT"] * (png_chunks(data).count("IDAT")) + ["IEND"]
            assert not answer_words.search(Path(path).name)
            sizes.add(len(data))
            names.append(Path(path).parent.name)
        client.predict("left" if mode == "pair" else "real", api_name="/quiz_answer")
    assert len(set(names)) == len(names)  # every image is new bytes: a repeated photo cannot be recognised by name
    assert len(sizes) == 1  # a photo's file is no larger than a generated face's (compressed, size told them apart)


def test_answering_twice_or_without_a_round_scores_nothing(app_url):
    player = Client(app_url, verbose=False)
    with pytest.raises(AppError, match="no open round"):
        player.predict("left", api_name="/quiz_answer")
    player.predict("pair", api_name="/quiz_new_round")
    before = get_pipeline().stats().answers
    first = player.predict("left", api_name="/quiz_answer")
    with pytest.raises(AppError, match="no open round"):
        player.predict("right", api_name="/quiz_answer")
    assert get_pipeline().stats().answers == before + 1
    assert first["score"]["played"] == 1 and first["message"]


@pytest.mark.parametrize("args, api_name, message", [(("triple",), "/quiz_new_round", "triple"), (("sideways",), "/quiz_answer", "sideways"),
                                                     (("x" * 10_000,), "/quiz_answer", "must be one of")])
def test_bad_input(app_url, args, api_name, message):
    player = Client(app_url, verbose=False)
    player.predict("pair", api_name="/quiz_new_round")
    with pytest.raises(AppError, match=message):
        player.predict(*args, api_name=api_name)


def test_200_rounds_from_8_sessions_add_up(app_url):
    before = get_pipeline().stats()

    def play(k: int) -> tuple[int, int]:
        player, rng, correct = Client(app_url, verbose=False), random.Random(k), 0
        for i in range(25):
            mode = ("pair", "single")[(i + k) % 2]
            player.predict(mode, api_name="/quiz_new_round")
            choice = rng.choice(("left", "right") if mode == "pair" else ("real", "generated"))
            summary = player.predict(choice, api_name="/quiz_answer")
            correct += summary["correct"]
            assert summary["score"] == {**summary["score"], "played": i + 1, "correct": correct}  # never another session's
        return 25, correct

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(play, range(8)))
    after = get_pipeline().stats()
    assert after.answers - before.answers == 200
    assert after.correct - before.correct == sum(c for _, c in results)


def test_two_answers_sent_at_once_count_once(app_url):
    player = Client(app_url, verbose=False)
    player.predict("pair", api_name="/quiz_new_round")
    before = get_pipeline().stats().answers
    jobs = [player.submit(choice, api_name="/quiz_answer") for choice in ("left", "right", "left")]
    outcomes = []
    for job in jobs:
        try:
            outcomes.append(job.result())
        except AppError as error:
            assert "no open round" in str(error)
    assert len(outcomes) == 1 and get_pipeline().stats().answers == before + 1


def test_a_korean_player_gets_the_result_in_korean(app_url):
    player = Client(app_url, verbose=False, headers={"Accept-Language": "ko"})
    player.predict(api_name="/quiz_new_round")  # mode is optional: a pair
    outcome = player.predict("left", api_name="/quiz_answer")
    assert ("정답" in outcome["message"] or "틀렸어요" in outcome["message"]) and "팁" in outcome["message"]


def test_an_unwritable_data_folder_is_said_at_start_and_costs_no_round(tmp_path):
    """The host reads why in the log; a player reads a sentence (in their language), and the guess can be sent again."""
    from tests.test_kill import start_app

    (tmp_path / "a-file").write_text("in the way")  # as root, permissions stop nothing: a file where a folder goes
    process, url = start_app(tmp_path / "a-file" / "data", log=tmp_path / "app.log")
    try:
        assert "cannot be written" in (tmp_path / "app.log").read_text()
        player = Client(url, verbose=False)
        player.predict("pair", api_name="/quiz_new_round")
        for _ in range(2):  # the same round both times: a failed write does not close it
            with pytest.raises(Exception, match="cannot save to its data folder") as refused:
                player.predict("left", api_name="/quiz_answer")
            assert "unable to open" not in str(refused.value) and "no open round" not in str(refused.value)
        korean = Client(url, verbose=False, headers={"Accept-Language": "ko"})
        korean.predict("pair", api_name="/quiz_new_round")
        with pytest.raises(Exception, match="데이터 폴더"):
            korean.predict("left", api_name="/quiz_answer")
    finally:
        process.kill()
        process.wait(timeout=30)


def test_the_page_says_so_where_the_totals_would_be(monkeypatch, tmp_path):
    from demos.face_quiz import players_text
    from pipelines.face_quiz.stats import unwritable

    class Unwritable:
        def totals(self, mode=None, player=None):
            raise unwritable(tmp_path)

    monkeypatch.setitem(get_pipeline().__dict__, "answers", Unwritable())  # the cached_property's slot
    assert players_text("en").startswith("⚠️ the app cannot save")
    assert "데이터 폴더" in players_text("ko") and "(를)" not in players_text("ko")
