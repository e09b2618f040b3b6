"""The whole app's page: a tab per capability (each built by its module in demos/), its CSS and launch options.

    from demos.studio import LAUNCH_OPTIONS, build
    demo = build()          # app.py queues and launches it

Nothing here launches.
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no outside calls unless a host asks for them
from pipelines.common.config import data_dir_problem, data_dir_survival, get_settings  # noqa: E402

SETTINGS = get_settings()
if not SETTINGS.monitoring:  # Gradio records calls for its monitoring dashboard even when it is closed:
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")  # keep fewer (it keeps 10,000 by default)
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**31))  # and never summarise them (pandas, each call)

import gradio as gr  # noqa: E402
from gradio.utils import get_upload_folder  # noqa: E402

from demos import creations, face_quiz, history, latent_lab, learn, text_to_image, text_to_music  # noqa: E402
from demos.api import publish, request_errors  # noqa: E402
from demos.i18n import I18N, strings  # noqa: E402
from demos.limits import UPLOAD_ENVELOPE, ServedFiles, body_limits, fewer_malloc_arenas  # noqa: E402
from demos.page_js import SLIDER_NOTES  # noqa: E402
from pipelines.common.outputs import serve_from  # noqa: E402
from pipelines.common.store.database import get_database  # noqa: E402

t, _ = strings("app")  # demos/strings/app.toml

# (tab label key, module): each module's build() returns its own gr.Blocks.
TABS = [("tab.image", text_to_image), ("tab.music", text_to_music), ("tab.latent", latent_lab), ("tab.quiz", face_quiz), ("tab.learn", learn)]

# Generators draw 28–64 px images: show them filling their boxes, smoothly enlarged.
# The quiz's two faces stay side by side on a phone (stacked, they are never seen together).
CSS = """
.latent-big img { width: 100%; height: 100%; object-fit: contain; image-rendering: auto; }
#quiz-faces { flex-wrap: nowrap !important; }
#quiz-faces > * { min-width: 0 !important; }
/* The page's side margins: Gradio's 32 px from 410 px wide up, down to 12 px on a 390 px phone, where the six tabs
   need the room. Outside @media on purpose: Gradio scopes a custom rule inside @media to its content (.contain),
   which the page's own margin is not in. */
.main.app { padding-left: clamp(12px, calc(100vw - 378px), 32px) !important;
  padding-right: clamp(12px, calc(100vw - 378px), 32px) !important; }
/* Saved: small previews, six to a row (three on a phone), however few there are. */
#history-gallery .grid-container { grid-template-columns: repeat(6, minmax(0, 1fr)) !important; }
#history-gallery, #history-gallery .grid-wrap { height: auto !important; max-height: none !important; min-height: 0 !important; }
@media (max-width: 500px) { #history-gallery .grid-container { grid-template-columns: repeat(3, minmax(0, 1fr)) !important; } }
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
  /* all six tabs in one row at 390 px (else Gradio folds the last ones into its "⋯" menu): narrower tabs, and
     narrower page margins (below) */
  .tab-container button { padding: 6px 1px !important; font-size: 12.5px !important; }
  /* all four pictures in one row, in a box no taller than they are */
  #image-gallery .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important; }
  #image-gallery, #image-gallery .grid-wrap { height: auto !important; }
  /* a picker whose names are long gets the whole width */
  #learn-dataset { min-width: 100% !important; }
}
/* Learn, side by side: each family's 8 samples fill one row and all six rows show at once (no scroll box). The family
   is named once, above its row's first sample, in the gap between rows: on the samples it covered them, and in a
   phone's narrow tile it was cut to "오토인…". The labels take their own line instead of floating over the content. */
#learn-compared, #learn-compared .grid-wrap { height: auto !important; max-height: none !important; min-height: 0 !important;
  overflow: visible !important; }
#learn-compared .grid-container { grid-template-columns: repeat(8, minmax(0, 96px)) !important;
  grid-auto-rows: auto !important; gap: 22px 6px !important; padding-top: 30px !important; }  /* under "Download all" */
#learn-compared .thumbnail-item { aspect-ratio: 1; height: auto; overflow: visible; }
#learn-compared .caption-label { max-width: none; left: 0; right: auto; bottom: calc(100% + 2px); padding: 0; border: none;
  background: none; font-size: 12px; line-height: 16px; opacity: 1 !important; }
#learn-compared label[data-testid=block-label], #learn-table label[data-testid=block-label] { position: static;
  width: fit-content; max-width: 100%; white-space: normal; height: auto; }
/* Measured tables (demos/tables.py): a plain table on a wide screen, a card per row on a phone. */
.gs-table table { width: 100%; border-collapse: collapse; font-size: var(--text-sm); font-variant-numeric: tabular-nums; }
.gs-table table, .gs-table tr, .gs-table th, .gs-table td { border: none !important; }  /* not prose's black grid */
.gs-table th, .gs-table td { padding: 6px 8px; border-bottom: 1px solid var(--border-color-primary) !important;
  text-align: right; vertical-align: bottom; }
.gs-table th:first-child { text-align: left; }
#learn-table .label-padding { padding-top: 0; }
.music-mood-head p { margin: 0; }
/* Text → Music: the piano roll's label takes its own line, off the note names. */
#music-roll label[data-testid=block-label] { position: static; width: fit-content; }
@media (max-width: 500px) {
  .gs-table thead { display: none; }
  .gs-table tr { display: grid; grid-template-columns: 1fr 1fr; column-gap: 14px; padding: 6px 0;
    border-bottom: 1px solid var(--border-color-primary) !important; }
  .gs-table th[scope=row] { grid-column: 1 / -1; border: none !important; padding: 2px 0; }
  .gs-table td { display: flex; justify-content: space-between; gap: 6px; border: none !important; padding: 2px 0; }
  .gs-table td::before { content: attr(data-label); color: var(--body-text-color-subdued); text-align: left; }
  .gs-table td:empty { display: none; }
  /* The piano roll keeps a readable height and scrolls sideways through time (scaled to the width, it was a strip). */
  #music-roll .image-container > button { width: 100%; min-width: 0; overflow-x: auto; justify-content: flex-start; }
  #music-roll .image-frame { width: max-content; height: auto; }
  #music-roll .image-frame img { height: 240px !important; width: auto !important; max-width: none !important; }
}
/* A note under a slider whose box held a number past an end (demos/page_js.py): the number taken instead. */
.range-note { margin-top: 6px; font-size: var(--text-sm); color: var(--body-text-color-subdued); }
/* Side by side (Text → Image, Latent Lab): a cell's caption (what differs, the time) shows whole under its picture. */
.full-captions .grid-wrap { height: auto !important; max-height: none !important; min-height: 0 !important; overflow-y: visible; }
.full-captions .grid-container { grid-auto-rows: auto !important; grid-template-rows: none !important; }
.full-captions .thumbnail-item { aspect-ratio: auto; height: auto; display: flex; flex-direction: column; overflow: visible; }
.full-captions .thumbnail-item img { aspect-ratio: 1; height: auto; }
.full-captions .caption-label { position: static; max-width: none; white-space: normal; text-overflow: clip; border: none;
  border-radius: 0; opacity: 1 !important; }
@media (max-width: 500px) {
  /* Quiz: a face's label ("오른쪽: 🤖 생성됨") wraps on its own lines above the face, clear of the full-screen button,
     in a box no taller than the face. */
  #quiz-faces label[data-testid=block-label] { position: static; white-space: normal; max-width: calc(100% - 30px);
    height: auto; }
  #quiz-faces > .block, #quiz-faces .image-container, #quiz-faces .image-frame { height: auto !important; }
  #quiz-faces img { height: auto !important; aspect-ratio: 1; }
  #image-compared .grid-container { grid-template-columns: repeat(2, minmax(0, 1fr)) !important; }
  #latent-compared .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important; gap: 6px; }
  #latent-compared .caption-label { font-size: 11px; padding: 2px 4px; }
}
"""

def build() -> gr.Blocks:
    """The page: the tabs, My creations last, and the health check."""
    fewer_malloc_arenas()  # before Gradio starts its worker threads (demos/limits.py says why)
    # One copy of each output on disk: the pipelines write into the folder Gradio serves from, and Gradio serves
    # the file where it lies (it copies only files from elsewhere). SERVED_FILES (below) deletes what was served or
    # received once older than GS_FILES_MAX_AGE, and the oldest beyond GS_FILES_MAX_MB; not delete_cache, whose
    # loop dies under load (demos/limits.py says how).
    serve_from(get_upload_folder())
    with gr.Blocks(title="Generative Studio") as demo:
        gr.Markdown(t("app.title"))
        browser = history.browser_identity()  # who this browser is, for My creations (outside the tabs: always there)
        with gr.Tabs() as tabs:
            for key, module in TABS:
                with gr.Tab(t(key), id=key):
                    module.build()
            # Last: "open in its tab" puts a creation's settings back into the controls the tabs above registered.
            with gr.Tab(creations.t("history.tab"), id="tab.history") as history_tab:
                creations.build(history_tab, tabs, browser)

        def ping() -> str:
            """Health check: answers at once, touches no model (the floor under every endpoint's time)."""
            return "ok"

        publish(ping, "ping")
    return demo


# show_error: Gradio's own input checks (a seed sent as "abc") reach the user as sentences too.
# System font stacks: the stock themes fetch Google Fonts, which hangs a page offline.
THEME = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
# Bounded memory: each session Gradio keeps costs about 0.53 MiB (a copy of every component's config),
# so at most SESSION_CAPACITY are kept, the least recently used dropped first (an evicted quiz player
# loses the open round and the session score; the all-players totals are in SQLite).
SESSION_CAPACITY = 400
MAX_FILE_SIZE = 5 * 1024 * 1024  # every upload: PNGs to read settings from, MIDI primers (1 MB), images to check
# Request bodies: an upload holds one such file, any other body at most GS_MAX_BODY_KB (demos/limits.py).
BODY_MIDDLEWARE, BODY_ERRORS = body_limits(SETTINGS, MAX_FILE_SIZE)
SERVED_FILES = ServedFiles(SETTINGS.files_max_mb * 1024 * 1024, SETTINGS.files_max_age)
# enable_monitoring: Gradio opens /monitoring/summary (request counts per endpoint) to anyone unless told False.
LAUNCH_OPTIONS = dict(i18n=I18N, css=CSS, js=SLIDER_NOTES, theme=THEME, show_error=True,
                      # Gradio's own file check at our upload body limit: a file past it has made the body pass it
                      # first, so the refusal is always ours (a sentence in the user's language), never Gradio's text.
                      state_session_capacity=SESSION_CAPACITY, max_file_size=MAX_FILE_SIZE + UPLOAD_ENVELOPE,
                      enable_monitoring=SETTINGS.monitoring,
                      app_kwargs={"exception_handlers": request_errors() | BODY_ERRORS, "middleware": BODY_MIDDLEWARE,
                                  "lifespan": SERVED_FILES.lifespan()})
if SETTINGS.sign_in == "password":  # the whole app asks for an account (python -m pipelines.common.accounts add NAME)
    LAUNCH_OPTIONS |= dict(auth=creations.check_account, auth_message="Sign in with your account · 계정으로 로그인하세요")


def report_data_dir() -> None:
    """At start-up, in the host's log: where kept data lives and whether it outlives a restart (on a Space, only
    with persistent storage), and a data folder that cannot be written (the quiz tab says that one too)."""
    log = logging.getLogger("generative_studio")
    log.info(data_dir_survival())
    if (problem := data_dir_problem()) is not None:
        log.warning(problem)
    try:  # opened now, so its migrations run before the first visitor (and a wrong GS_DATABASE_URL is said at once)
        log.info("Creations, accounts and quiz totals: %s (sign-in: %s).", get_database().where(), SETTINGS.sign_in)
    except ValueError as exc:
        log.warning("The database cannot be reached yet (%s); the app runs and tries again on each request.", exc)


