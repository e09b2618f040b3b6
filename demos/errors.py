"""Turn a pipeline's ValueError (or a missing file) into a plain message in the page."""

from __future__ import annotations

import functools
import logging

import gradio as gr

log = logging.getLogger("generative_studio")


def user_errors(fn):
    """Wrap an event handler: bad input → gr.Error with the pipeline's sentence, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, FileNotFoundError) as exc:
            raise gr.Error(str(exc)) from None
        except Exception as exc:  # a bug: log it whole, show a sentence
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(f"Something went wrong ({type(exc).__name__}). Please try again; if it persists, report it.") from None

    return wrapper
