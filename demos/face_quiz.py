"""Which Face Is Real? tab: one real photo and one generated face; guess, score, reveal.

The round (and so the answer) lives in the player's gr.State, on the server; the browser
and the API get only the images until the guess is made.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Optional

import gradio as gr
from gradio.components.api_component import Api

from demos import history
from demos.api import file_out, publish
from demos.errors import status_line, user_errors
from demos.i18n import language, strings
from demos.page_js import reveal, revealing
from pipelines.common.validation import say
from pipelines.face_quiz.pipeline import CHOICES, HUMAN_BASELINES, TIPS, AnswerRequest, RoundRequest, Score, get_pipeline

t, MESSAGES = strings("face_quiz", **HUMAN_BASELINES)  # demos/strings/face_quiz.toml

STATE_TTL = 3 * 3600  # seconds: an idle player's round and score are dropped (the totals are in SQLite)
MODE_CHOICES = [(t("quiz.mode_pair"), "pair"), (t("quiz.mode_single"), "single")]

TIPS_KO = (  # pipelines.face_quiz.pipeline.TIPS, in the same order
    "25 × 25 픽셀의 작은 회색 기록 사진입니다. 세부가 아니라 얼굴 전체의 모양과 빛을 보세요.",
    "진짜 사진은 한쪽에서 빛이 들고 그림자가 서로 맞습니다. 생성된 얼굴은 빛이 고르거나 그늘이 어색한 경우가 많습니다.",
    "머리의 윤곽을 보세요. 생성기는 얼굴이 머리카락·배경과 만나는 곳을 흐리거나 휘게 만들곤 합니다.",
    "두 눈을 비교하세요. 생성된 얼굴에서는 눈의 어두운 부분의 크기나 높이가 다를 수 있습니다.",
    "진짜 기록 사진은 비슷하게 잘려 있습니다(가운데, 똑바로). 어색한 구도나 기울기는 단서이지만 증거는 아닙니다.",
    "뺨과 이마의 얼룩지거나 번진 부분은 생성기의 흔적입니다. 진짜 사진은 흐릿할 뿐입니다.",
)


def new_state() -> dict:
    return {"round": None, "score": Score()}


def tip_text(tip: str, lang: str) -> str:
    return TIPS_KO[TIPS.index(tip)] if lang == "ko" and tip in TIPS else tip


def score_text(score: Score, lang: str = "en") -> str:
    return MESSAGES("score", lang, correct=score.correct, played=score.played, percent=score.percent,
                    streak=score.streak, best=score.best_streak)


def players_text(lang: str = "en", player: Optional[str] = None) -> str:
    """All players' totals, then the player's own all time (kept across visits), when they have answered before."""
    try:
        totals = get_pipeline().stats()
        own = get_pipeline().stats(player=player) if player else None
    except ValueError as exc:  # the database cannot be reached or written: say so where the totals would be
        return f"⚠️ {say(exc, lang)}"
    if not totals.answers:
        return MESSAGES("no_players", lang)
    line = MESSAGES("players", lang, percent=totals.percent, answers=totals.answers,
                    untrained=HUMAN_BASELINES["untrained"], trained=HUMAN_BASELINES["trained"])
    if own and own.answers:
        line += "\n\n" + MESSAGES("all_time", lang, correct=own.correct, answers=own.answers, percent=own.percent)
    return line


def guess_radio(mode: str, interactive: bool, lang: str = "en") -> gr.Radio:
    return gr.Radio([(MESSAGES(c, lang), c) for c in CHOICES[mode]], value=None, interactive=interactive)


def start_round(mode, state):
    """A new round kept in the player's state; returns (the round's mode, images, new state)."""
    dealt = get_pipeline().new_round(RoundRequest(mode=mode))
    return dealt.round.mode, [str(path) for path in dealt.files], {**state, "round": dealt.round}


def judge(choice, state, player: Optional[str]):
    """Judge a guess against the player's open round (the pipeline records it, with who answered, before it is shown)."""
    current = state["round"]
    outcome = get_pipeline().answer(AnswerRequest(choice=choice, round=current, score=state["score"], player=player))
    return current, outcome, {"round": None, "score": outcome.score}


def result_text(current, outcome, lang: str) -> str:
    if current.mode == "pair":
        reveal = MESSAGES("reveal_pair", lang, side=MESSAGES(f"side_{outcome.real}", lang))
    else:
        reveal = MESSAGES(f"reveal_{outcome.real}", lang)
    verdict = MESSAGES("right_answer" if outcome.correct else "wrong_answer", lang)
    return f"{verdict} {reveal}\n\n{MESSAGES('tip', lang, tip=tip_text(outcome.tip, lang))}"


# -- the page (private events) ------------------------------------------------------------------------
@user_errors
def ui_new_round(mode, state, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    progress(0.2, desc=MESSAGES("preparing", lang))
    mode, images, state = start_round(mode, state)
    pair = mode == "pair"
    return (gr.Image(images[0], label=MESSAGES("label_left" if pair else "face", lang)),
            gr.Image(images[1] if pair else None, label=MESSAGES("label_right", lang), visible=pair),
            state, guess_radio(mode, True, lang), "")


@user_errors
def ui_answer(choice, state, request: gr.Request = None):
    lang, player = language(request), history.who(request)
    current, outcome, state = judge(choice, state, player)
    if current.mode == "pair":  # mark the faces themselves
        real_left = outcome.real == "left"
        left = MESSAGES("marked_real" if real_left else "marked_generated", lang, label=MESSAGES("label_left", lang))
        right = gr.Image(label=MESSAGES("marked_generated" if real_left else "marked_real", lang, label=MESSAGES("label_right", lang)))
    else:
        left = MESSAGES(f"marked_{outcome.real}", lang, label=MESSAGES("face", lang))
        right = gr.Image()
    return (result_text(current, outcome, lang), score_text(outcome.score, lang), players_text(lang, player), state,
            gr.Radio(interactive=False), gr.Image(label=left), right)


def ui_open(request: gr.Request = None):
    """On page load: the all-players line and an empty score, in the page's language."""
    lang = language(request)
    return score_text(Score(), lang), players_text(lang)


# -- the typed endpoints (public; they need the player's state, so they are events of hidden buttons) --
@user_errors
def api_quiz_new_round(mode, state, request: gr.Request = None):
    """Start a round: `mode` "pair" (which of two is real?) or "single" (real or generated?).
    Returns {"mode", "images": the 1 or 2 faces, left to right} and nothing that gives the answer away."""
    mode, images, state = start_round(mode, state)
    return {"mode": mode, "images": [file_out(path) for path in images]}, state


@user_errors
def api_quiz_answer(choice, state, request: gr.Request = None):
    """Answer the open round: "left"/"right" in pair mode, "real"/"generated" in single mode.
    Returns {"correct", "real" (where the real photo was, or what the face was), "score": this client's
    session score, "tip", "message": the result as a sentence in the request's language}."""
    lang = language(request)
    current, outcome, state = judge(choice, state, history.who(request))
    return {"correct": outcome.correct, "real": outcome.real, "score": asdict(outcome.score),
            "tip": tip_text(outcome.tip, lang), "message": result_text(current, outcome, lang)}, state


def api_quiz_stats(request: gr.Request = None) -> dict:
    """All players' answers so far, in all and per mode, and the caller's own.

    Returns:
        {"answers", "correct", "percent" (None before any answer), "modes": {"pair": {"answers", "correct", "percent"},
         "single": {…}}, "you": the caller's own totals, the same fields}
    """
    def as_dict(totals) -> dict:
        percent = None if totals.percent is None else round(totals.percent, 2)
        return {"answers": totals.answers, "correct": totals.correct, "percent": percent}

    pipeline, player = get_pipeline(), history.who(request)
    return {**as_dict(pipeline.stats()), "modes": {mode: as_dict(pipeline.stats(mode)) for mode in CHOICES},
            "you": as_dict(pipeline.stats(player=player)) if player else as_dict(pipeline.stats(player="-"))}


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("quiz.intro"))
        state = gr.State(new_state(), time_to_live=STATE_TTL)  # per player, on the server: holds the open round's answer
        with gr.Row(equal_height=True):
            mode = gr.Radio(MODE_CHOICES, value="pair", label=t("quiz.mode"), info=t("quiz.mode_info"), scale=3)
            new_btn = gr.Button(t("quiz.new"), variant="primary", size="lg", scale=1, elem_id="quiz-new")
        with gr.Row(elem_id="quiz-faces"):  # side by side even on a phone (demos/studio.py: CSS)
            left = gr.Image(label=t("quiz.left"), format="png", height=300, interactive=False, buttons=["fullscreen"], elem_id="quiz-left")
            right = gr.Image(label=t("quiz.right"), format="png", height=300, interactive=False, buttons=["fullscreen"], elem_id="quiz-right")
        # Only the current mode's two choices (each round's update sets them; the pipeline checks the choice fits).
        guess = gr.Radio([(MESSAGES(c), c) for c in CHOICES["pair"]], value=None, interactive=False,
                         label=t("quiz.guess"), elem_id="quiz-guess")
        result = gr.Markdown(elem_id="quiz-result")
        with gr.Row():
            with gr.Column(variant="panel"):
                gr.Markdown(t("quiz.score"))
                score = gr.Markdown(score_text(Score()), elem_id="quiz-score")
            with gr.Column(variant="panel"):
                gr.Markdown(t("quiz.players"))
                players = gr.Markdown(elem_id="quiz-players")
        # The programs' endpoints need the player's state, which gr.api cannot take: events of a hidden button
        # with gr.api's own pass-through components (JSON in, one named result out, files served as files).
        api_mode = Api("pair", {"type": "string", "enum": list(CHOICES)}, label="mode")
        api_choice = Api(None, {"type": "string", "enum": [*CHOICES["pair"], *CHOICES["single"]]}, label="choice")
        api_round = Api(None, {"type": "object"}, label="result")
        api_outcome = Api(None, {"type": "object"}, label="result")
        api_new = gr.Button(visible=False)
        api_answer = gr.Button(visible=False)
        api_new.click(api_quiz_new_round, [api_mode, state], [api_round, state], api_name="quiz_new_round")
        api_answer.click(api_quiz_answer, [api_choice, state], [api_outcome, state], api_name="quiz_answer")
        publish(api_quiz_stats, "quiz_stats")

        page = [left, right, state, guess, result]
        # A round starts when the page opens; a failed action says why in the result line, changing nothing else.
        gr.on([new_btn.click, mode.change, demo.load], status_line(ui_new_round, 5, status=4, separate=False), [mode, state], page,
              api_visibility="private")
        demo.load(ui_open, None, [score, players], api_visibility="private")
        answered = guess.input(status_line(ui_answer, 7, status=0, separate=False), [guess, state],
                               [result, score, players, state, guess, left, right], api_visibility="private")
        revealing(answered, "#quiz-result")  # on a phone the verdict lands under the faces and the choices
        # A new round's faces come into view (not on the page's first load, which also deals one).
        new_btn.click(None, js=reveal("#quiz-faces"), api_visibility="private", show_progress="hidden")
    return demo
