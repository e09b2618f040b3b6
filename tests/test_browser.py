"""A real browser: Debian's headless Chromium driven by Playwright, against the live app."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def test_latent_lab_in_the_browser(browser, app_url):
    page = browser.new_page(locale="en-US")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_url, wait_until="load")
    page.get_by_role("tab", name="Latent Lab", exact=True).click()
    page.get_by_role("button", name="Generate samples", exact=True).click()
    samples = page.locator("#latent-samples img")
    samples.first.wait_for(timeout=30_000)
    assert samples.count() == 8

    # Click a sample into the slider editor, switch to the Sliders tab and see the edited image.
    page.get_by_label("Sample to edit (seed)", exact=True).first.check()
    samples.nth(2).click()
    page.get_by_role("tab", name="Sliders", exact=True).click()
    page.locator("#latent-edited img").wait_for(timeout=30_000)

    # Arithmetic on the default groups.
    page.get_by_role("tab", name="Arithmetic", exact=True).click()
    page.get_by_role("button", name="Compute A − B + C", exact=True).click()
    page.locator("#latent-arith-result img").wait_for(timeout=30_000)
    assert not errors, errors
    page.close()


def test_interface_speaks_korean(browser, app_url):
    page = browser.new_page(locale="ko-KR")
    page.goto(app_url, wait_until="load")
    page.get_by_role("tab", name="잠재 공간 실험실", exact=True).click(timeout=30_000)
    page.get_by_role("button", name="샘플 생성", exact=True).wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Generate samples", exact=True).count() == 0
    page.close()


def test_face_quiz_round_in_the_browser(browser, app_url):
    page = browser.new_page(locale="en-US")
    page.goto(app_url, wait_until="load")
    page.get_by_role("tab", name="Which Face Is Real?", exact=True).click()
    page.get_by_role("button", name="New round", exact=True).click()
    page.locator("#quiz-left img").wait_for(timeout=60_000)
    page.locator("#quiz-right img").wait_for(timeout=30_000)
    page.get_by_label("⬅ Left is real", exact=True).check()
    page.locator("#quiz-result").get_by_text("The real photo was on the").wait_for(timeout=30_000)
    assert "/ 1" in page.locator("#quiz-score").inner_text()
    page.close()


def test_text_to_music_in_the_browser(browser, app_url):
    page = browser.new_page(locale="en-US")
    page.goto(app_url, wait_until="load")
    page.get_by_role("tab", name="Text → Music", exact=True).click()
    page.get_by_label("Your words", exact=True).fill("드디어 우승했다! 모두가 환호한다")
    page.get_by_role("button", name="Compose", exact=True).click()
    page.locator("#music-roll img").wait_for(timeout=90_000)
    assert "triumphant" in page.locator("#music-mood").inner_text()
    assert page.locator("#music-audio audio, #music-audio [data-testid='waveform-controls']").count() >= 1
    page.close()


def test_text_to_image_in_the_browser(browser, app_url):
    page = browser.new_page(locale="en-US")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_url, wait_until="load")
    page.get_by_role("tab", name="Text → Image", exact=True).click()
    page.get_by_label("Prompt", exact=True).fill("고양이 얼굴")
    page.get_by_role("button", name="Generate", exact=True).click()
    images = page.locator("#image-gallery img")
    images.first.wait_for(timeout=60_000)
    assert images.count() >= 4
    assert "Seed" in page.locator("#image-info").inner_text()

    # Dropping a PNG made here puts its settings back into the controls.
    from pipelines.text_to_image.pipeline import TextToImage

    made = TextToImage()("rocket", model="emoji-diffusion", steps=7, seed=77, num_images=1).files[0]
    page.locator("#image-png input[type=file]").set_input_files(str(made))
    prompt = page.get_by_label("Prompt", exact=True)
    page.wait_for_function("() => document.querySelector('#image-prompt textarea').value === 'rocket'", timeout=30_000)
    assert prompt.input_value() == "rocket"
    page.locator("#image-advanced").get_by_text("Advanced", exact=True).click()
    assert page.locator("#image-seed input").input_value() == "77"
    assert not errors, errors
    page.close()


def test_learn_tab_map_click_and_live_training(browser, app_url):
    page = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_url, wait_until="load")
    page.get_by_role("tab", name="How models learn", exact=True).click()

    # The latent map: draw it, click inside the plot, see the decoded image.
    page.get_by_role("tab", name="Latent map", exact=True).click()
    page.get_by_role("button", name="Draw the maps", exact=True).click()
    vae_map = page.locator("#learn-map-vae img")
    vae_map.wait_for(timeout=60_000)
    box = vae_map.bounding_box()
    vae_map.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.locator("#learn-decoded-vae img").wait_for(timeout=30_000)

    # Train it yourself: a short run streams a sample grid and ends.
    page.get_by_role("tab", name="Train it yourself", exact=True).click()
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator("#learn-grid img").wait_for(timeout=60_000)
    page.get_by_role("button", name="Stop", exact=True).click()
    assert not errors, errors
    page.close()
