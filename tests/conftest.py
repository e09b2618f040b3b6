"""Shared fixtures. The suite runs offline: nothing may reach a model hub."""

from __future__ import annotations

import os
import socket
import tempfile

# Set before anything imports gradio, huggingface_hub or our settings.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("GS_DATA_DIR", tempfile.mkdtemp(prefix="gs-test-data-"))
# The one folder users may name models in (GS_MODELS_DIR): tests save their tiny SD pipelines here.
os.environ.setdefault("GS_MODELS_DIR", tempfile.mkdtemp(prefix="gs-test-models-"))

import pytest  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def models_dir():
    from pathlib import Path

    return Path(os.environ["GS_MODELS_DIR"])


@pytest.fixture(scope="session")
def app_url() -> str:
    """The whole app, launched once for the session on a free local port."""
    import app

    app.demo.launch(
        server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, **app.LAUNCH_OPTIONS
    )
    yield app.demo.local_url.rstrip("/")
    app.demo.close()


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)
