"""Screenshots of every tab at 1280 and 390 px, in English and Korean, into assets/screenshots/.

    .venv/bin/python -m bench.screenshots [music …]    # every tab, or those named; needs Chromium and fonts-nanum

Each tab shows a result (a generated picture, a piece, samples, a quiz round). PNGs are reduced to
128 colours to stay small.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

OUT = Path(__file__).resolve().parents[1] / "assets" / "screenshots"
TABS = {"tab.image": "image", "tab.music": "music", "tab.latent": "latent", "tab.quiz": "quiz", "tab.learn": "learn",
        "tab.history": "saved"}
ONLY = {"saved": {("en", "desktop"), ("ko", "phone")}}  # tabs shown in the README at one width per language only
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
LOCALES = {"en": "en-US", "ko": "ko-KR"}


def act(page, tab: str) -> None:
    """Show a result in the tab (the Latent Lab and the quiz have one as soon as they open; "How models
    learn" shows its controls)."""
    if tab == "tab.image":
        page.locator("#image-prompt textarea").fill("red heart")
        page.locator("#image-generate").click()
        page.locator("#image-gallery img").first.wait_for(timeout=90_000)
    elif tab == "tab.music":
        page.locator("#music-text textarea").fill("the hero raises the flag on the summit")
        page.locator("#music-compose").click()
        page.locator("#music-roll img").wait_for(timeout=120_000)
    elif tab == "tab.latent":
        page.locator("#latent-samples img").first.wait_for(timeout=60_000)
    elif tab == "tab.quiz":
        page.locator("#quiz-left img").wait_for(timeout=60_000)
    elif tab == "tab.history":
        fill_saved(page)
    page.wait_for_timeout(800)


def fill_saved(page) -> None:
    """Make a few things in the other tabs, then come back to the Saved tab and pick the newest."""
    for prompt in ("red heart", "rocket"):
        page.locator('[role=tab][data-tab-id="tab.image"]').click()
        page.locator("#image-prompt textarea").fill(prompt)
        page.locator("#image-generate").click()
        page.wait_for_function(f"() => document.querySelector('#image-info')?.innerText.includes('{prompt}') || "
                               "document.querySelectorAll('#image-gallery img').length > 0", timeout=90_000)
        page.wait_for_timeout(1500)
    page.locator('[role=tab][data-tab-id="tab.music"]').click()
    page.locator("#music-text textarea").fill("a calm morning by the lake")
    page.locator("#music-compose").click()
    page.locator("#music-roll img").wait_for(timeout=120_000)
    page.locator('[role=tab][data-tab-id="tab.history"]').click()
    page.locator("#history-gallery img").first.wait_for(timeout=30_000)
    page.locator("#history-gallery img").first.click()
    page.wait_for_function("() => document.querySelector('#history-chosen')?.innerText.trim().length > 0", timeout=30_000)


def roll_and_legend(page, path: Path) -> None:
    """The Music tab's coloured piano roll with its legend under it (the README's picture of an arrangement)."""
    page.wait_for_function("() => document.querySelector('#music-legend')?.innerText.trim().length > 0", timeout=60_000)
    roll, legend = page.locator("#music-roll").bounding_box(), page.locator("#music-legend").bounding_box()
    page.screenshot(path=str(path), full_page=True, clip={"x": roll["x"], "y": roll["y"], "width": roll["width"],
                                                          "height": legend["y"] + legend["height"] - roll["y"]})


def main() -> None:
    import sys

    from PIL import Image
    from playwright.sync_api import sync_playwright

    import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **app.LAUNCH_OPTIONS)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"])
        for lang, locale in LOCALES.items():
            for width_name, (width, height) in WIDTHS.items():
                for tab, name in TABS.items():
                    if sys.argv[1:] and name not in sys.argv[1:] or (lang, width_name) not in ONLY.get(name, {(lang, width_name)}):
                        continue
                    page = browser.new_page(locale=locale, viewport={"width": width, "height": height})
                    page.goto(app.demo.local_url, wait_until="load")
                    page.locator(f'[role=tab][data-tab-id="{tab}"]').click(timeout=30_000)
                    act(page, tab)
                    path = OUT / f"{name}-{width_name}-{lang}.png"
                    page.screenshot(path=str(path))
                    shots = [path]
                    if name == "music" and width_name == "desktop":
                        roll_and_legend(page, OUT / f"music-arrangement-{lang}.png")
                        shots.append(OUT / f"music-arrangement-{lang}.png")
                    for shot in shots:
                        Image.open(shot).convert("RGB").quantize(128).save(shot, optimize=True)
                        print(f"{shot.name}: {shot.stat().st_size // 1024} kB")
                    page.close()
        browser.close()
    app.demo.close()


if __name__ == "__main__":
    main()
