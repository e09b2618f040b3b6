"""Generative Studio: one gr.Blocks with a tab per capability, built from demos/.

    python app.py          # http://127.0.0.1:7860 (what a Hugging Face Space runs)

`demo` is importable (tests launch it on a free port). Only this file calls queue()/launch().
"""

from __future__ import annotations

import logging
import os

# multiprocessing's worker processes (pipelines/common/processes.py) run this file again, named "__mp_main__", as
# they run every main script: they need none of the app, which costs each of them 10 s and half a gigabyte to build.
if __name__ != "__mp_main__":
    from demos.studio import LAUNCH_OPTIONS, SESSION_CAPACITY, SETTINGS, build, report_data_dir  # noqa: F401 (tests read them)
    from demos.api import guard_inputs

    demo = build()
    demo.queue(default_concurrency_limit=SETTINGS.concurrency)
    # Raw HTTP clients may leave out optional inputs, as gradio_client callers may, and may name files on the
    # server or URLs where uploads belong (demos/api.py).
    demo.validate_inputs = guard_inputs(demo.validate_inputs)


if __name__ == "__main__":
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")  # libraries: warnings only; the app: info too
    logging.getLogger("generative_studio").setLevel(logging.INFO)
    report_data_dir()
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        **LAUNCH_OPTIONS,
    )
