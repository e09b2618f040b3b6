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

IMAGE_ITERATIONS ?= 20000
VAE_ITERATIONS ?= 500
FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
PORTAUDIO := /usr/include/portaudio.h
CHROMIUM := /usr/bin/chromium
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
NANUM := /usr/share/fonts/truetype/nanum/NanumGothic.ttf

.PHONY: run test setup test-setup system-data bench train-fashion train-quiz train-music train-harmony harmony-corpus train-stargan train-image train-learn emoji-corpus clean postgres

run: setup system-data
	$(PY) app.py

test: test-setup system-data $(CHROMIUM) $(EMOJI_FONT) postgres
	HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False $(PY) -m pytest

setup: $(VENV)/.installed
test-setup: $(VENV)/.test-installed
system-data: $(FASHION_MNIST) $(NANUM)

# torch first, pinned: pip takes the CPU wheel on disk; anything looser pulls CUDA packages. requirements.txt's own
# torch line is the Space's (a version ZeroGPU accepts), so it is left out here.
# portaudio's headers: tinysoundfont requires pyaudio, which compiles against them.
TORCH := torch==2.13.0
$(VENV)/.installed: requirements.txt | $(PORTAUDIO)
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install $(TORCH)
	grep -v '^torch==' requirements.txt > $(VENV)/requirements-local.txt
	$(PIP) install -r $(VENV)/requirements-local.txt
	touch $@

# open-clip-torch only for the CLIP vocabulary file it ships (SD's tokenizer, offline); --no-deps because
# its dependencies (torchvision, timm) would replace the pinned CPU torch.
$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt requirements-train.txt requirements-ray.txt
	$(PIP) install -r requirements-test.txt -r requirements-train.txt
	$(PIP) install -r requirements-ray.txt
	$(PIP) install --no-deps open-clip-torch==3.3.0
	touch $@

# Debian packages: try with the current lists, refresh them only if that fails.
$(FASHION_MNIST):
	$(APT_INSTALL) dataset-fashion-mnist || ($(SUDO) apt-get update -q && $(APT_INSTALL) dataset-fashion-mnist)

# Hangul in the pictures the app draws (comparison grids, captions), as on a Space (packages.txt).
$(NANUM):
	$(APT_INSTALL) fonts-nanum || ($(SUDO) apt-get update -q && $(APT_INSTALL) fonts-nanum)

$(PORTAUDIO):
	$(APT_INSTALL) portaudio19-dev || ($(SUDO) apt-get update -q && $(APT_INSTALL) portaudio19-dev)

$(CHROMIUM):
	$(APT_INSTALL) chromium fonts-nanum || ($(SUDO) apt-get update -q && $(APT_INSTALL) chromium fonts-nanum)

# PostgreSQL's server, for the replica tests and bench.history (tests/postgres.py starts a throwaway one on a free
# port, as the postgres user when run as root; Debian's own default cluster is never used). The server's path has
# its version in it, hence the glob.
postgres:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(APT_INSTALL) postgresql || ($(SUDO) apt-get update -q && $(APT_INSTALL) postgresql)

# Emoji in the page (buttons such as 🎲) render in the browser tests and screenshots.
$(EMOJI_FONT):
	$(APT_INSTALL) fonts-noto-color-emoji || ($(SUDO) apt-get update -q && $(APT_INSTALL) fonts-noto-color-emoji)

bench: test-setup system-data $(EMOJI_FONT)
	$(PY) -m bench.text_to_image
	$(PY) -m bench.latent_lab
	$(PY) -m bench.face_quiz
	$(PY) -m bench.mood_tagger
	$(PY) -m bench.music
	$(PY) -m bench.music_gpt2
	$(PY) -m bench.arrangement
	$(MAKE) harmony-corpus && $(PY) -m bench.harmony --models assets/music/harmony data/harmony/coconet
	$(PY) -m bench.learn
	$(PY) -m bench.busy_app
	$(PY) -m bench.serving

# Retrain the shipped generators (on one CPU core: about 40 and 12 minutes).
train-fashion: setup system-data
	$(PY) -m pipelines.latent_lab.train --iterations 8000 --seed 0
train-quiz: setup
	$(PY) -m pipelines.face_quiz.train --iterations 2000 --seed 0
# The music corpus (about 30 CPU-minutes), the mood tagger, then the five mood models two at a time.
train-music: test-setup
	$(PY) -m pipelines.text_to_music.corpus --workers 2
	$(PY) -m pipelines.text_to_music.mood.train
	printf '%s\n' happy sad calm tense triumphant | xargs -P 2 -I{} $(PY) -m pipelines.text_to_music.train --mood {}

# The harmony model (#19): music21's four-voice corpus (a few CPU minutes; Bach's chorales with a tenth held out,
# Palestrina, Monteverdi, string quartets), the autoregressive harmonizer the app ships (about 40 minutes on one
# core), and the Coconet it was measured against (bench.harmony); both resumable with --state … --resume.
HARMONY_CORPUS := data/text_to_music/harmony_corpus.npz
harmony-corpus: $(HARMONY_CORPUS)
$(HARMONY_CORPUS): | $(VENV)/.test-installed
	$(PY) -m pipelines.text_to_music.harmony.data --workers 2 --out $@
train-harmony: harmony-corpus
	$(PY) -m pipelines.text_to_music.harmony.train --arch ar --iterations 4000 --seed 0 --out assets/music/harmony \
		--state data/harmony/ar_state.pt
	$(PY) -m pipelines.text_to_music.harmony.train --arch coconet --iterations 2000 --batch-size 16 --channels 48 \
		--conv-layers 10 --seed 0 --out data/harmony/coconet --state data/harmony/coconet_state.pt

# The emoji StarGAN (image → image restyling): the seven emoji styles as its domains, on the emoji corpus; about
# Two stages, each resumable with --resume from its state: StarGAN's own objective (18,000 steps, about 2.5 hours on one
# CPU core), then 5,000 more with the content term (--lambda-content 10) from its weights into the shipped folder. The
# shipped one's first stage ran as 10,000 steps and then a resumed 30,000-step schedule stopped at 18,000; its record says.
train-stargan: test-setup emoji-corpus
	$(PY) -m pipelines.text_to_image.stargan.train --iterations 18000 --seed 0 --threads 1 --state data/stargan/state.pt \
		--out data/stargan/stage1
	$(PY) -m pipelines.text_to_image.stargan.train --iterations 5000 --seed 1 --threads 1 --lambda-content 10 \
		--warm-start data/stargan/state.pt --state data/stargan/state-content.pt

# The embedded text-to-image model's corpus: seven emoji sets from npm and Debian, kept outside git in
# data/emoji_sources (about 190 MB of packages), joined by code point into data/text_to_image/emoji_corpus.npz.
EMOJI_SOURCES := data/emoji_sources
EMOJI_PACKAGES := emoji-datasource-google@16.0.0 emoji-datasource-twitter@16.0.0 openmoji@17.0.0 \
	fluentui-emoji@1.3.0 @lobehub/fluent-emoji-3d@1.1.0 emojibase-data@17.0.0
EMOJI_CORPUS := data/text_to_image/emoji_corpus.npz
LIBCAIRO := /usr/lib/x86_64-linux-gnu/libcairo.so.2

emoji-corpus: $(EMOJI_CORPUS)
$(EMOJI_CORPUS): | $(VENV)/.test-installed $(LIBCAIRO)
	mkdir -p $(EMOJI_SOURCES)/unpacked/gemojione
	cd $(EMOJI_SOURCES) && (npm pack --silent $(EMOJI_PACKAGES) >/dev/null && apt-get download -q ruby-gemojione) \
		|| { echo "emoji-corpus: could not fetch the emoji packages from npm / Debian (no registry?)" >&2; exit 1; }
	cd $(EMOJI_SOURCES) && for f in *.tgz; do mkdir -p unpacked/$${f%.tgz} && tar xzf $$f -C unpacked/$${f%.tgz}; done \
		&& dpkg -x ruby-gemojione_*.deb unpacked/gemojione
	$(PY) -m pipelines.text_to_image.emoji_corpus --sources $(EMOJI_SOURCES)/unpacked --out $@

$(LIBCAIRO):
	$(APT_INSTALL) libcairo2 || ($(SUDO) apt-get update -q && $(APT_INSTALL) libcairo2)

# The embedded text-to-image model: the VAE and its decoder's fine-tuning, the UNet on its latents (on 2 CPU
# cores: hours; resumable with --resume, from data/text_to_image/*_state.pt or, on a new machine, from the
# committed weights), then the layout prior (about 20 minutes).
train-image: test-setup emoji-corpus
	$(PY) -m pipelines.text_to_image.train --stage vae --iterations $(VAE_ITERATIONS) --lr 1e-3 --warmup 100 --noto-weight 2 --seed 0
	$(PY) -m pipelines.text_to_image.train --stage decoder --iterations 1000 --lr 5e-4 --warmup 100 --seed 0
	$(PY) -m pipelines.text_to_image.train --stage unet --iterations $(IMAGE_ITERATIONS) --seed 0
	$(PY) -m pipelines.text_to_image.train --stage prior --iterations 6000 --batch 256 --lr 2e-3 --lr-schedule cosine \
		--warmup 100 --seed 0

# The "How models learn" tab: six families and the measuring classifier on both datasets, two at a time
# on one thread each: 8 CPU minutes per diffusion model, under 2 for each other model (about 40 wall
# minutes on a busy 2-core machine); each checkpoint's config.json records its own CPU time.
LEARN_MODELS := classifier pixel autoencoder vae gan dcgan diffusion
train-learn: setup system-data
	for d in mnist fashion-mnist; do for f in $(LEARN_MODELS); do echo $$f $$d; done; done | \
	  xargs -P 2 -L 1 sh -c '$(PY) -m pipelines.learn.train --family $$0 --dataset $$1 --seed 0'

clean:
	rm -rf $(VENV) .pytest_cache
