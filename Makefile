# Generative Studio. Two commands set up everything on a fresh machine:
#   make run    .venv + requirements + system data, then the app at http://127.0.0.1:7860
#   make test   the same plus test tools and Debian's chromium, then the whole suite (offline)
# Stamp files make both fast when nothing changed.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends

FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
CHROMIUM := /usr/bin/chromium

.PHONY: run test setup test-setup system-data bench train-fashion train-quiz clean

run: setup system-data
	$(PY) app.py

test: test-setup system-data $(CHROMIUM)
	HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False $(PY) -m pytest

setup: $(VENV)/.installed
test-setup: $(VENV)/.test-installed
system-data: $(FASHION_MNIST)

# torch first, pinned: pip takes the CPU wheel on disk; anything looser pulls CUDA packages.
$(VENV)/.installed: requirements.txt
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(PIP) install -r requirements-test.txt
	touch $@

# Debian packages: try with the current lists, refresh them only if that fails.
$(FASHION_MNIST):
	$(APT_INSTALL) dataset-fashion-mnist || ($(SUDO) apt-get update -q && $(APT_INSTALL) dataset-fashion-mnist)

$(CHROMIUM):
	$(APT_INSTALL) chromium || ($(SUDO) apt-get update -q && $(APT_INSTALL) chromium)

bench: test-setup system-data
	$(PY) -m bench.latent_lab
	$(PY) -m bench.face_quiz

# Retrain the shipped generators (on one CPU core: about 40 and 12 minutes).
train-fashion: setup system-data
	$(PY) -m pipelines.latent.train --iterations 8000 --seed 0
train-quiz: setup
	$(PY) -m pipelines.face_quiz.train --iterations 2000 --seed 0

clean:
	rm -rf $(VENV) .pytest_cache
