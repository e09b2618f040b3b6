"""Turn a pipeline's ValueError (or a missing file) into a plain message in the user's language.

Pipelines never import gradio; a `UserInputError` carries its English sentence and, beside it, its
Korean template and parameters (pipelines/common/validation.py). Anything unexpected is logged whole
and the user gets one sentence without Python's text.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging

import gradio as gr

from demos.i18n import language, strings
from pipelines.common.validation import say

log = logging.getLogger("generative_studio")

_, ERRORS = strings("errors")  # demos/strings/errors.toml


def warn(message: str, lang: str) -> None:
    """A toast that warns, titled in the user's language (Gradio's own title is English)."""
    gr.Warning(message, title=ERRORS("warning", lang))


def inform(message: str, lang: str) -> None:
    gr.Info(message, title=ERRORS("info", lang))


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
        raise gr.Error(say(exc, lang), title=ERRORS("title", lang), print_exception=False) from None
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
            message = say(exc, language(request))
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
            message = say(exc, request_language(args, kwargs))
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
