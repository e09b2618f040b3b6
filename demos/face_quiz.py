"""Which Face Is Real? tab: one real photo and one generated face; guess, score, reveal.

The round (and so the answer) lives in the player's gr.State, on the server; the browser
and the API get only the images until the guess is made.
"""

from __future__ import annotations

from dataclasses import asdict

import gradio as gr

from demos.errors import user_errors
from demos.i18n import add_strings
from pipelines.face_quiz.quiz import CHOICES, HUMAN_BASELINES, Score, check_mode, get_quiz, get_stats

EN = {
    "quiz.intro": "## Which Face Is Real?\nOne face is a real photo (from the LFW data set), the other was drawn by a generator "
    "adapted to look like them. Can you tell? In a 2022 study (Nightingale & Farid, PNAS) people managed only "
    f"{HUMAN_BASELINES['untrained']} % — worse than a coin — and {HUMAN_BASELINES['trained']} % after training.",
    "quiz.mode": "Game",
    "quiz.mode_info": "Pair: which of two is real? Single: is this one face real or generated?",
    "quiz.new": "New round",
    "quiz.left": "Left",
    "quiz.right": "Right",
    "quiz.guess": "Your guess",
    "quiz.score": "### Your score",
    "quiz.players": "### All players",
}
KO = {
    "quiz.intro": "## 어느 얼굴이 진짜일까?\n하나는 실제 사진(LFW 데이터셋)이고, 다른 하나는 그 사진들처럼 보이도록 조정된 생성기가 그린 얼굴입니다. "
    f"구별할 수 있나요? 2022년 연구(Nightingale & Farid, PNAS)에서 사람들의 정답률은 {HUMAN_BASELINES['untrained']} %로 "
    f"동전 던지기보다 낮았고, 훈련 후에도 {HUMAN_BASELINES['trained']} %였습니다.",
    "quiz.mode": "게임 방식",
    "quiz.mode_info": "쌍: 둘 중 어느 쪽이 진짜일까? 단일: 이 얼굴은 진짜일까, 생성된 것일까?",
    "quiz.new": "새 라운드",
    "quiz.left": "왼쪽",
    "quiz.right": "오른쪽",
    "quiz.guess": "내 추측",
    "quiz.score": "### 내 점수",
    "quiz.players": "### 전체 플레이어",
}
t = add_strings(EN, KO)

MODE_CHOICES = [("Pair — which is real?", "pair"), ("Single — real or generated?", "single")]
CHOICE_LABELS = {"left": "⬅ Left is real", "right": "Right is real ➡", "real": "Real photo", "generated": "Generated"}


def new_state() -> dict:
    return {"round": None, "score": Score()}


def score_text(score: Score) -> str:
    return f"**{score.correct} / {score.played}** right ({score.percent:.0f} %) · streak {score.streak} · best {score.best_streak}"


def players_text() -> str:
    totals = get_stats().totals()
    if not totals.answers:
        return "No answers recorded yet: be the first."
    return (
        f"Players got **{totals.percent:.1f} %** right so far ({totals.answers} answer{'s' if totals.answers != 1 else ''}). "
        f"People in PNAS 2022: {HUMAN_BASELINES['untrained']} % untrained, {HUMAN_BASELINES['trained']} % after training."
    )


def guess_radio(mode: str, interactive: bool) -> gr.Radio:
    return gr.Radio([(CHOICE_LABELS[c], c) for c in CHOICES[mode]], value=None, interactive=interactive)


@user_errors
def quiz_new_round(mode, state, progress=gr.Progress()):
    mode = check_mode(mode)
    progress(0.2, desc="Preparing the faces (first round only)")
    current, images = get_quiz().new_round(mode)
    return images[0], images[1] if mode == "pair" else None, {**state, "round": current}


def open_guessing(mode):
    """After a new round: the guesses of this mode, a cleared result, the right image only in pair mode."""
    return guess_radio(mode, True), "", gr.Image(visible=mode == "pair")


@user_errors
def quiz_answer(choice, state):
    current = state["round"]
    outcome = get_quiz().answer(current, choice, state["score"])
    get_stats().record(current.mode, outcome.correct)  # committed before the player sees the result
    state = {"round": None, "score": outcome.score}
    if current.mode == "pair":
        reveal = f"The real photo was on the **{outcome.real}**; the other face was generated."
    else:
        reveal = "This face was a **real photo**." if outcome.real == "real" else "This face was **generated**."
    verdict = "✅ **Right!**" if outcome.correct else "❌ **Wrong.**"
    message = f"{verdict} {reveal}\n\n*Tip:* {outcome.tip}"
    summary = {"correct": outcome.correct, "real": outcome.real, "score": asdict(outcome.score), "tip": outcome.tip}
    return message, score_text(outcome.score), players_text(), summary, state


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("quiz.intro"))
        state = gr.State(new_state())  # per player, on the server: holds the open round's answer
        with gr.Row(equal_height=True):
            mode = gr.Radio(MODE_CHOICES, value="pair", label=t("quiz.mode"), info=t("quiz.mode_info"), scale=3)
            new_btn = gr.Button(t("quiz.new"), variant="primary", size="lg", scale=1, elem_id="quiz-new")
        with gr.Row():
            left = gr.Image(label=t("quiz.left"), format="png", height=300, interactive=False, buttons=["fullscreen"], elem_id="quiz-left")
            right = gr.Image(label=t("quiz.right"), format="png", height=300, interactive=False, buttons=["fullscreen"], elem_id="quiz-right")
        # Created with every choice (Gradio checks a client's value against these); each round's
        # update then shows only its mode's two, and the pipeline checks the choice fits the round.
        guess = gr.Radio([(label, choice) for choice, label in CHOICE_LABELS.items()], value=None, interactive=False, label=t("quiz.guess"))
        result = gr.Markdown(elem_id="quiz-result")
        with gr.Row():
            with gr.Column(variant="panel"):
                gr.Markdown(t("quiz.score"))
                score = gr.Markdown(score_text(Score()), elem_id="quiz-score")
            with gr.Column(variant="panel"):
                gr.Markdown(t("quiz.players"))
                players = gr.Markdown()
        summary = gr.JSON(visible=False)  # the same outcome, structured, for API clients

        # The endpoints return only what a client needs; the page's own updates follow privately.
        new_round = gr.on([new_btn.click, mode.change], quiz_new_round, [mode, state], [left, right, state], api_name="quiz_new_round")
        new_round.success(open_guessing, mode, [guess, result, right], api_visibility="private")
        answered = guess.input(quiz_answer, [guess, state], [result, score, players, summary, state], api_name="quiz_answer")
        answered.success(lambda mode: guess_radio(mode, False), mode, guess, api_visibility="private")
    return demo
