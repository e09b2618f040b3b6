"""Turn a pipeline's ValueError (or a missing file) into a plain message in the page."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging

import gradio as gr

log = logging.getLogger("generative_studio")


@contextlib.contextmanager
def _as_user_error(name: str):
    try:
        yield
    except gr.Error:
        raise
    except (ValueError, FileNotFoundError) as exc:
        raise gr.Error(str(exc)) from None
    except Exception as exc:  # a bug: log it whole, show a sentence
        log.exception("unexpected error in %s", name)
        raise gr.Error(f"Something went wrong ({type(exc).__name__}). Please try again; if it persists, report it.") from None


def user_errors(fn):
    """Wrap an event handler: bad input → gr.Error with the pipeline's sentence, never a traceback.
    Generator handlers (streaming events) stay generators, so errors raised while they run count too."""

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            with _as_user_error(fn.__name__):
                yield from fn(*args, **kwargs)

        return streaming

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _as_user_error(fn.__name__):
            return fn(*args, **kwargs)

    return wrapper
