"""Turn a pipeline's ValueError (or a missing file) into a plain message in the user's language.

Pipelines never import gradio and write English; a `UserInputError` also carries a key and
parameters, which `ERRORS` below renders in Korean. Anything unexpected is logged whole and the
user gets one sentence without Python's text.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging

import gradio as gr

from demos.i18n import Messages, language
from pipelines.common.validation import UserInputError

log = logging.getLogger("generative_studio")

ERRORS = Messages(
    en={"title": "Error", "unexpected": "Something went wrong on our side. Please try again; if it persists, report it."},
    ko={"title": "오류", "unexpected": "서버에서 문제가 생겼습니다. 다시 시도해 주세요. 계속되면 알려 주세요."},
)
# Korean sentences for the pipelines' UserInputError keys (pipelines/common/validation.py and callers).
KOREAN = {
    "choice": "{name}은(는) {choices} 중 하나여야 합니다. 받은 값: {value}",
    "number.range": "{name}은(는) {low}부터 {high}까지여야 합니다. 받은 값: {value}",
    "number.type": "{name}은(는) {low}부터 {high}까지의 숫자여야 합니다. 받은 값: {value}",
    "number.whole": "{name}은(는) 0–9 숫자로 쓴 정수여야 합니다. 받은 값: {value}",
    "seed.range": "{name}은(는) 0부터 4294967295까지여야 합니다. 받은 값: {value}",
    "text.type": "{name}은(는) 글이어야 합니다. 받은 값: {value}",
    "text.long": "{name}이(가) {length}자입니다. 최대 {limit}자까지 받습니다.",
    "text.surrogate": "{name}에 깨진 문자(짝 없는 UTF-16 서로게이트)가 있습니다. 올바른 UTF-8 글로 보내 주세요.",
    "text.empty": "{name}이(가) 비어 있습니다. 내용을 입력해 주세요.",
    "list.long": "{name}의 항목이 너무 많습니다. 최대 {limit}개입니다.",
    "list.type": "{name}은(는) 목록이어야 합니다. 받은 값: {value}",
    "list.empty": "{name}이(가) 비어 있습니다. 샘플을 하나 이상 고르세요.",
    "model.offline": "모델 {value}이(가) 이 컴퓨터에 없고, 이 컴퓨터는 오프라인입니다. 인터넷이 되는 곳에서 내려받거나 "
                     "로컬 폴더나 .safetensors 파일을 지정하세요.",
    "model.broken": "이미지 모델 {value}을(를) 불러올 수 없습니다. 파일이 손상되었거나 불완전하거나 Stable Diffusion 체크포인트가 아닙니다.",
    "model.refused": "모델 {value}은(는) 여기서 쓸 수 없습니다. {choices} 중에서 고르세요.",
    "mood.no_words": "{value}에는 분위기를 읽을 단어가 없습니다. 단어를 몇 개 더 쓰거나 분위기를 직접 고르세요.",
    "music.note": "{value}은(는) 음이 아닙니다. 음이름, 선택적인 # 또는 b, 옥타브를 쓰세요. 예: C4, F#3, Bb4",
    "music.primer_missing": "프라이머는 업로드한 MIDI 파일이어야 합니다.",
    "music.primer_large": "프라이머 파일이 {size} kB입니다. 최대 {limit} kB까지 받습니다.",
    "music.midi_unreadable": "프라이머가 읽을 수 있는 MIDI 파일이 아닙니다.",
    "music.midi_timing": "프라이머가 이 앱이 읽을 수 없는 MIDI 시간 형식(SMPTE)을 씁니다.",
    "music.midi_long": "프라이머의 음이 {limit}개를 넘습니다. 짧은 파일을 올려 주세요.",
    "music.midi_empty": "프라이머에 이어 갈 음이 없습니다.",
    "image.unreadable": "이 앱이 읽을 수 있는 이미지 파일(PNG, JPEG, WebP, GIF, BMP)이 아닙니다.",
    "image.format": "{format} 이미지입니다. {formats} 형식으로 보내 주세요.",
    "image.large": "이미지가 너무 큽니다 ({width} × {height} 픽셀). 최대 {limit:,} 픽셀까지 받습니다.",
    "file.missing": "{name}은(는) 업로드한 파일이어야 합니다 (gradio_client의 handle_file을 쓰세요).",
    "text.symbols": "{name} {value}에는 단어가 없고 기호뿐입니다. 그림을 말로 설명해 주세요. 예: 빨간 하트",
    "style.none": "{model}에는 스타일이 없습니다. 스타일을 비우거나 'auto'로 두세요. 받은 값: {value}",
    "strength.none": "{model}은(는) 늘 순수한 잡음에서 시작합니다. 강도를 비우거나 1로 두세요. 받은 값: {value}",
    "style.only": "프롬프트 {value}에는 스타일만 있습니다. 무엇을 그릴지 적어 주세요. 예: 빨간 사과, 오픈모지 스타일",
    "png.unreadable": "이 앱이 읽을 수 있는 PNG 파일이 아닙니다.",
    "png.no_settings": "이 그림에는 생성 설정이 없습니다 (이 앱이나 AUTOMATIC1111이 저장한 PNG에만 있습니다).",
    "quiz.no_round": "진행 중인 라운드가 없습니다. 먼저 새 라운드를 시작하세요 (라운드마다 한 번 추측합니다).",
    "nearest.none": "확인할 그림이 아직 없습니다. 먼저 샘플을 편집하세요.",
    "nearest.unavailable": "이 생성기는 여기서 학습하지 않아 학습 이미지가 없습니다. Fashion-MNIST 생성기로 해 보세요.",
    "learn.outside": "점 ({x}, {y})이(가) 지도 밖에 있습니다. x는 {x_low}부터 {x_high}까지, y는 {y_low}부터 {y_high}까지여야 합니다.",
    "learn.click_outside": "클릭한 픽셀 ({px}, {py})이(가) 지도 밖입니다. 그려진 사각형 안을 클릭하세요.",
    "learn.line": "선을 그리려면 x2와 y2가 둘 다 있어야 합니다 (점 하나만 원하면 둘 다 비우세요).",
    "learn.busy": "이 세션에서 이미 학습이 진행 중입니다. 먼저 정지를 누르거나 끝날 때까지 기다리세요.",
    "learn.nothing": "아직 이어서 학습할 모델이 없습니다. 먼저 학습을 누르세요.",
}
# Korean names of the inputs the pipelines name in their sentences; others are shown as sent.
NAMES_KO = {
    "seed": "시드", "steps": "단계 수", "guidance": "가이던스", "width": "너비", "height": "높이", "number of images": "그림 수",
    "prompt": "프롬프트", "negative prompt": "네거티브 프롬프트", "model": "모델", "scheduler": "스케줄러", "generator": "생성기",
    "count": "샘플 수", "truncation": "다양성(절단 ψ)", "mode": "방식", "choice": "선택", "mood": "분위기", "the text": "글",
    "text": "글", "seconds": "길이(초)", "tempo": "템포", "instrument": "악기", "temperature": "온도", "top_k": "top-k",
    "group A": "그룹 A", "group B": "그룹 B", "group C": "그룹 C", "seed_a": "시작 시드", "seed_b": "끝 시드",
    "group A entry": "그룹 A 항목", "group B entry": "그룹 B 항목", "group C entry": "그룹 C 항목", "trait amount": "특성 강도",
    "generators": "생성기 목록", "models": "모델 목록", "a_seeds": "그룹 A", "b_seeds": "그룹 B", "c_seeds": "그룹 C",
    "image": "그림", "style": "스타일", "strength": "강도", "primer": "프라이머", "directions": "방향", "amounts": "방향 값",
    "family": "모델 종류", "dataset": "이미지", "learning rate": "학습률", "latent size": "코드 크기", "label": "클래스",
    "frames": "프레임 수", "sampling steps": "샘플링 단계 수", "batch size": "배치 크기", "grey levels": "회색 단계 수",
    "label drop rate": "레이블 제외 비율", "EMA decay": "EMA 감쇠",
}


def render_error(exc: Exception, lang: str) -> str:
    """The sentence for a pipeline error in `lang` (English: the pipeline's own)."""
    if lang == "ko" and isinstance(exc, UserInputError) and exc.key in KOREAN:
        params = dict(exc.params)
        if "name" in params:
            params["name"] = NAMES_KO.get(params["name"], NAMES_KO.get(str(params["name"]).split(" (")[0], params["name"]))
        try:
            return KOREAN[exc.key].format(**params)
        except (KeyError, ValueError, IndexError):
            pass
    return str(exc)


def request_language(args, kwargs) -> str:
    """The language of the gr.Request among a handler's arguments ("en" when there is none)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, gr.Request):
            return language(value)
    return "en"


@contextlib.contextmanager
def _as_user_error(name: str, args, kwargs):
    try:
        yield
    except gr.Error:
        raise
    except (ValueError, FileNotFoundError) as exc:
        lang = request_language(args, kwargs)
        raise gr.Error(render_error(exc, lang), title=ERRORS("title", lang), print_exception=False) from None
    except Exception:  # a bug: log it whole, show a sentence
        log.exception("unexpected error in %s", name)
        lang = request_language(args, kwargs)
        raise gr.Error(ERRORS("unexpected", lang), title=ERRORS("title", lang), print_exception=False) from None


def field_validator(check, names: list[str]):
    """A Gradio `validator=` for an event whose inputs are called `names` (the names the pipeline's sentences use).
    It runs `check(*values)` as the event is sent, before the event waits for a free slot in its queue, so a bad
    value is explained at once, under its own control and in the user's language, even when every slot is busy.
    A sentence that names none of the inputs goes under the first."""

    def validate(request: gr.Request, *values):  # Gradio passes the request to a first parameter typed so
        try:
            check(*values)
        except ValueError as exc:
            name = getattr(exc, "params", {}).get("name")
            at = names.index(name) if name in names else 0
            message = render_error(exc, language(request))
            return [gr.validate(i != at, message if i == at else "") for i in range(len(values))]
        except Exception:  # a bug: the event itself runs and reports it (Gradio would show this one's raw text)
            log.exception("unexpected error in the validator of %s", getattr(check, "__name__", check))
        return [gr.validate(True, "") for _ in values]

    return validate


def user_errors(fn):
    """Wrap an event handler: bad input → gr.Error with the pipeline's sentence in the user's language, never
    a traceback. Handlers that take a `request: gr.Request` get Korean where asked. Generator handlers
    (streaming events) stay generators, so errors raised while they run count too."""

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            with _as_user_error(fn.__name__, args, kwargs):
                yield from fn(*args, **kwargs)

        return streaming

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _as_user_error(fn.__name__, args, kwargs):
            return fn(*args, **kwargs)

    return wrapper


def status_line(fn, outputs: int, status: int = -1, separate: bool = True):
    """A page event that shows its errors where the user looks: in the status line beside its button
    (output number `status` of `outputs`), leaving every other output as it was — no toast that fades,
    no red "Error" pills on unrelated controls. With `separate`, `fn` does not return the status line
    itself and it is cleared on success; otherwise it is one of `fn`'s own outputs (e.g. a result text).
    A generator `fn` (a streaming event) stays a generator: an error while it streams ends it the same way."""
    index = status % outputs

    def shown(result):
        returned = outputs - 1 if separate else outputs  # how many values fn itself returns
        result = [result] if returned == 1 else list(result)  # one value may itself be a list (a gallery's)
        return tuple(result[:index] + [""] + result[index:]) if separate else tuple(result)

    @contextlib.contextmanager
    def reported(args, kwargs, sink: list):
        try:
            yield
        except gr.Error as exc:  # user_errors has already written the sentence in the user's language
            message = exc.message
        except (ValueError, FileNotFoundError) as exc:
            message = render_error(exc, request_language(args, kwargs))
        except Exception:
            log.exception("unexpected error in %s", fn.__name__)
            message = ERRORS("unexpected", request_language(args, kwargs))
        else:
            return
        values = [gr.skip()] * outputs
        values[index] = f"⚠️ {message}"
        sink.append(tuple(values))

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            error: list = []
            with reported(args, kwargs, error):
                for result in fn(*args, **kwargs):
                    yield shown(result)
            yield from error

        return streaming

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        error: list = []
        with reported(args, kwargs, error):
            return shown(fn(*args, **kwargs))
        return error[0]

    return wrapper
