"""Generative Studio: one gr.Blocks with a tab per capability, built from demos/.

    python app.py          # http://127.0.0.1:7860 (what a Hugging Face Space runs)

`demo` is importable (tests launch it on a free port). Only this file calls queue()/launch().
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no outside calls unless a host asks for them

import gradio as gr  # noqa: E402

from demos import face_quiz, latent_lab, learn, text_to_image, text_to_music  # noqa: E402
from demos.api import guard_inputs, publish, request_errors  # noqa: E402
from demos.i18n import I18N, add_strings  # noqa: E402
from pipelines.common.config import get_settings  # noqa: E402

t = add_strings(
    en={"app.title": "# Generative Studio\nTurn words into pictures and music, and explore the hidden space generative models draw from.",
        # Short tab labels, so all five fit on a phone; each tab's heading has the full name.
        "tab.image": "🖼️ Image", "tab.music": "🎵 Music", "tab.latent": "🧭 Latent", "tab.quiz": "🎭 Quiz",
        "tab.learn": "🎓 Learn"},
    ko={"app.title": "# 생성 스튜디오\n글을 그림과 음악으로 바꾸고, 생성 모델이 그려 내는 숨은 공간을 탐험해 보세요.",
        "tab.image": "🖼️ 그림", "tab.music": "🎵 음악", "tab.latent": "🧭 잠재", "tab.quiz": "🎭 진짜?",
        "tab.learn": "🎓 배우기"},
)

# (tab label key, module): each module's build() returns its own gr.Blocks.
TABS = [("tab.image", text_to_image), ("tab.music", text_to_music), ("tab.latent", latent_lab), ("tab.quiz", face_quiz), ("tab.learn", learn)]

# Generators draw 28–64 px images: show them filling their boxes, smoothly enlarged.
# The quiz's two faces stay side by side on a phone (stacked, they are never seen together).
CSS = """
.latent-big img { width: 100%; height: 100%; object-fit: contain; image-rendering: auto; }
#quiz-faces { flex-wrap: nowrap !important; }
#quiz-faces > * { min-width: 0 !important; }
/* Korean breaks between words, not inside them ("가이던스" stays on one line). */
.gradio-container { word-break: keep-all; }
/* Text → Image: the seed under a thumbnail shows on hover (the summary line lists them all), not over a third of it. */
#image-gallery .thumbnail-item .caption-label { opacity: 0; transition: opacity .15s; }
#image-gallery .thumbnail-item:hover .caption-label { opacity: 1; }
/* The model names are long ("Emoji diffusion (embedded, offline)", hub ids): those pickers take a row of their own. */
#image-model, #learn-denoiser { min-width: 100% !important; }
/* The PNG drop zone's label floats over the zone, covering its icon: it takes its own line above the zone instead. */
#image-png label[data-testid=block-label] { position: static; width: fit-content; }
@media (max-width: 500px) {
  .tab-container button { padding: 6px 3px !important; font-size: 13px !important; }
  /* all four pictures in one row, in a box no taller than they are */
  #image-gallery .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important; }
  #image-gallery, #image-gallery .grid-wrap { height: auto !important; }
  /* a picker whose names are long gets the whole width */
  #learn-dataset { min-width: 100% !important; }
}
"""

# delete_cache: every hour, drop outputs older than two hours from Gradio's cache (quiz images are all unique).
with gr.Blocks(title="Generative Studio", delete_cache=(3600, 7200)) as demo:
    gr.Markdown(t("app.title"))
    with gr.Tabs():
        for key, module in TABS:
            with gr.Tab(t(key), id=key):
                module.build()

    def ping() -> str:
        """Health check: answers at once, touches no model (the floor under every endpoint's time)."""
        return "ok"

    publish(ping, "ping")

demo.queue(default_concurrency_limit=get_settings().concurrency)
# Raw HTTP clients may leave out optional inputs, as gradio_client callers may, and may name files on the
# server or URLs where uploads belong (demos/api.py).
demo.validate_inputs = guard_inputs(demo.validate_inputs)

# show_error: Gradio's own input checks (a seed sent as "abc") reach the user as sentences too.
# System font stacks: the stock themes fetch Google Fonts, which hangs a page offline.
THEME = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
# Bounded memory: each session Gradio keeps costs about 0.3 MiB (a copy of every component's config),
# so at most SESSION_CAPACITY are kept, the least recently used dropped first (an evicted quiz player
# loses the open round and the session score; the all-players totals are in SQLite).
SESSION_CAPACITY = 400
MAX_FILE_SIZE = "5mb"  # every upload: PNGs to read settings from, MIDI primers (1 MB), images to check
LAUNCH_OPTIONS = dict(i18n=I18N, css=CSS, theme=THEME, show_error=True, state_session_capacity=SESSION_CAPACITY,
                      max_file_size=MAX_FILE_SIZE, app_kwargs={"exception_handlers": request_errors()})

if __name__ == "__main__":
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        **LAUNCH_OPTIONS,
    )
