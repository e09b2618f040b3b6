"""A real browser: Debian's headless Chromium driven by Playwright, against the live app.

Each tab in English at desktop width and in Korean (locale ko-KR) at a 390 px phone width: Korean
dynamic text appears, a bad input is explained beside its own action and leaves the other controls
as they were, and the behaviours fixed for issue 11 hold.
"""

import re
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, app_url):
    pages = []

    def open_(locale: str, viewport: dict, tab: str):
        page = browser.new_page(locale=locale, viewport=viewport)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app_url, wait_until="load")
        button = page.locator(f'[role=tab][data-tab-id="{tab}"]')
        button.click(timeout=30_000)  # reachable without the "more tabs" menu, at any width
        pages.append((page, errors))
        return page

    yield open_
    for page, errors in pages:
        assert not errors, errors
        page.close()


def wait_text(page, selector: str, pattern: str, timeout: int = 60_000):
    page.wait_for_function("([sel, pat]) => new RegExp(pat).test(document.querySelector(sel)?.innerText || '')",
                           arg=[selector, pattern], timeout=timeout)
    return page.locator(selector).inner_text()


def fill_kept(page, box, value: str) -> None:
    """Fill a box (a selector or a locator) and make sure the value stays: a tab's controls are mounted when it
    first opens, and their first render can put the default back over what was typed a moment before."""
    box = page.locator(box) if isinstance(box, str) else box
    for _ in range(10):
        box.fill(value)
        page.wait_for_timeout(300)
        if box.input_value() == value:
            return
    raise AssertionError(f"{box} did not keep {value!r}: it shows {box.input_value()!r}")


def fully_shown(page, selector: str) -> bool:
    """The text of an input is not cut off (it fits its box)."""
    return page.locator(selector).evaluate("e => e.scrollWidth <= e.clientWidth + 1")


def below(page, upper: str, lower: str) -> bool:
    """`lower` starts below the bottom of `upper` (not covered by it)."""
    a, b = page.locator(upper).bounding_box(), page.locator(lower).bounding_box()
    return b["y"] >= a["y"] + a["height"] - 1


def test_latent_lab_in_english(open_page):
    page = open_page("en-US", DESKTOP, "tab.latent")
    samples = page.locator("#latent-samples img")
    samples.first.wait_for(timeout=30_000)  # samples appear when the page opens
    assert samples.count() == 8
    assert page.locator("#latent-nearest").is_hidden()  # faces: no training set here to compare with

    # Groups start empty; clicking fills them without duplicates; the sample shows its group; each group clears.
    assert page.locator("#latent-group-a textarea").input_value() == ""
    samples.nth(0).click()
    samples.nth(1).click()
    samples.nth(0).click()
    page.wait_for_function("() => document.querySelector('#latent-group-a textarea').value === '0, 1'", timeout=20_000)
    wait_text(page, "#latent-samples", r"0 · A")
    page.get_by_label("B", exact=True).check()
    samples.nth(2).click()
    page.get_by_label("C", exact=True).check()
    samples.nth(3).click()
    page.wait_for_function("() => document.querySelector('#latent-group-c textarea').value === '3'", timeout=20_000)
    page.get_by_role("button", name="Compute A − B + C", exact=True).click()
    page.locator("#latent-arith-result img").wait_for(timeout=30_000)
    page.locator("#latent-clear-a").click()
    page.wait_for_function("() => document.querySelector('#latent-group-a textarea').value === ''", timeout=20_000)

    # A negative seed: the app's own sentence beside the button; the samples stay as they were.
    fill_kept(page, page.locator("#latent-seed input"), "-5")
    page.get_by_role("button", name="Generate samples", exact=True).click()
    assert "seed must be from 0" in wait_text(page, "#latent-status", "seed")
    assert samples.count() == 8 and page.locator(".error").count() == 0

    # Sliders tab: a clicked sample is edited; the output is not an upload box.
    page.get_by_label("Sample to edit (seed)", exact=True).first.check()
    samples.nth(2).click()
    page.get_by_role("tab", name="Sliders", exact=True).click()
    page.locator("#latent-edited img").wait_for(timeout=30_000)
    assert page.locator("#latent-edited input[type=file]").count() == 0


def test_latent_lab_in_korean_on_a_phone(open_page):
    page = open_page("ko-KR", PHONE, "tab.latent")
    page.locator("#latent-samples img").first.wait_for(timeout=30_000)
    assert fully_shown(page, "#latent-generator input")  # the generator's name is not cut off
    assert "시드" in page.locator("#latent-samples").inner_text()  # captions in Korean
    fill_kept(page, page.locator("#latent-seed input"), "-5")
    page.get_by_role("button", name="샘플 생성", exact=True).click()
    assert "시드는 0부터" in wait_text(page, "#latent-status", "시드")


def test_face_quiz_in_english(open_page):
    page = open_page("en-US", DESKTOP, "tab.quiz")
    page.locator("#quiz-left img").wait_for(timeout=60_000)  # a round is ready when the tab opens
    page.locator("#quiz-right img").wait_for(timeout=30_000)
    assert page.locator("#quiz-guess label").count() == 2  # only this mode's two choices
    assert page.locator("#quiz-players").inner_text().strip()  # all players' totals before one's own answer
    page.get_by_label("⬅ Left is real", exact=True).check()
    wait_text(page, "#quiz-result", "The real photo was on the")
    assert "/ 1" in page.locator("#quiz-score").inner_text()
    labels = page.locator("#quiz-left").inner_text() + page.locator("#quiz-right").inner_text()
    assert "real photo" in labels and "generated" in labels  # the faces themselves are marked
    # Side by side at desktop width (and on a phone, see below).
    left, right = page.locator("#quiz-left").bounding_box(), page.locator("#quiz-right").bounding_box()
    assert abs(left["y"] - right["y"]) < 5


def test_face_quiz_in_korean_on_a_phone(open_page):
    page = open_page("ko-KR", PHONE, "tab.quiz")
    page.locator("#quiz-left img").wait_for(timeout=60_000)
    left, right = page.locator("#quiz-left").bounding_box(), page.locator("#quiz-right").bounding_box()
    assert abs(left["y"] - right["y"]) < 5 and right["x"] > left["x"]  # side by side, never stacked
    page.get_by_label("⬅ 왼쪽이 진짜", exact=True).check()
    result = wait_text(page, "#quiz-result", "정답|틀렸어요")
    assert "팁" in result and "진짜 사진은" in result
    assert "정답" in page.locator("#quiz-score").inner_text()


def test_text_to_music_in_english(open_page):
    page = open_page("en-US", DESKTOP, "tab.music")
    assert page.locator("#music-roll").is_hidden() and page.locator("#music-compared").is_hidden()  # no empty boxes yet
    fill_kept(page, page.get_by_label("Your words", exact=True), "드디어 우승했다! 모두가 환호한다")
    page.get_by_role("button", name="Compose", exact=True).click()
    page.locator("#music-roll img").wait_for(timeout=90_000)
    first = wait_text(page, "#music-info", "seed")
    assert "triumphant" in page.locator("#music-mood").inner_text()
    assert page.locator("#music-audio audio, #music-audio [data-testid='waveform-controls']").count() >= 1
    page.get_by_role("button", name="Compose", exact=True).click()  # a new variation each time, its seed shown
    seed = re.search(r"seed (\d+)", first).group(1)
    page.wait_for_function("(old) => { const m = /seed (\\d+)/.exec(document.querySelector('#music-info').innerText);"
                           " return m && m[1] !== old; }", arg=seed, timeout=90_000)

    # A bad typed primer: a sentence beside the buttons; the last piece stays.
    page.locator("#music-advanced").get_by_text("Advanced", exact=True).click()
    page.get_by_label("…or type a few notes", exact=True).fill("C4 X9")
    page.get_by_role("button", name="Compose", exact=True).click()
    assert "'X9' is not a note" in wait_text(page, "#music-status", "X9")
    assert page.locator("#music-roll img").count() == 1 and page.locator(".error").count() == 0


def test_text_to_music_in_korean_on_a_phone(open_page):
    page = open_page("ko-KR", PHONE, "tab.music")
    fill_kept(page, page.get_by_label("내 글", exact=True), "비 오는 날 창가에서 마시는 따뜻한 차")
    page.get_by_role("button", name="작곡하기", exact=True).click()
    assert "시드" in wait_text(page, "#music-info", "시드", timeout=90_000)
    page.get_by_label("내 글", exact=True).fill("")
    page.get_by_role("button", name="작곡하기", exact=True).click()
    assert "비어 있습니다" in wait_text(page, "#music-status", "비어")
    # The instrument picker speaks Korean too.
    page.locator("#music-advanced").get_by_text("고급 설정", exact=True).click()
    picker = page.get_by_label("선율 악기", exact=True)
    assert picker.input_value() == "분위기 기본 악기"
    picker.click()
    page.get_by_role("option", name="첼로", exact=True).click()
    assert picker.input_value() == "첼로"


def test_text_to_image_in_english(open_page):
    page = open_page("en-US", DESKTOP, "tab.image")
    assert fully_shown(page, "#image-model input")  # the model's name is not cut off
    assert below(page, "#image-png [data-testid=block-label]", "#image-png [data-testid=upload-icon]")
    fill_kept(page, page.get_by_label("Prompt", exact=True), "고양이 얼굴")
    page.get_by_role("button", name="Generate", exact=True).click()
    images = page.locator("#image-gallery img")
    images.first.wait_for(timeout=120_000)
    assert images.count() >= 4 and "Seed" in page.locator("#image-info").inner_text()

    # An empty prompt: the sentence beside Generate; the pictures and every control stay as they were.
    page.get_by_label("Prompt", exact=True).fill("")
    page.get_by_role("button", name="Generate", exact=True).click()
    assert "prompt is empty" in wait_text(page, "#image-status", "empty")
    assert images.count() >= 4 and page.locator(".error").count() == 0

    # Dropping a PNG made here puts its settings back into the controls.
    from pipelines.text_to_image.pipeline import get_pipeline
    from pipelines.text_to_image.request import ImageRequest

    made = get_pipeline().generate(ImageRequest.from_user("rocket", model="emoji-diffusion", steps=7, seed=77,
                                                          strength=0.6)).files[0]
    page.locator("#image-png input[type=file]").set_input_files(str(made))
    page.wait_for_function("() => document.querySelector('#image-prompt textarea').value === 'rocket'", timeout=30_000)
    page.locator("#image-advanced").get_by_text("Advanced", exact=True).click()
    assert page.locator("#image-seed input").input_value() == "77"
    assert page.locator("#image-strength input[type=number]").input_value() == "0.6"  # the emoji model's start too


def test_a_png_without_settings_changes_nothing(open_page, tmp_path):
    from PIL import Image

    page = open_page("en-US", DESKTOP, "tab.image")
    fill_kept(page, page.get_by_label("Prompt", exact=True), "my own prompt")
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    page.locator("#image-png input[type=file]").set_input_files(str(tmp_path / "plain.png"))
    page.get_by_text("carries no generation settings").first.wait_for(timeout=30_000)  # a warning says why
    assert page.get_by_label("Prompt", exact=True).input_value() == "my own prompt"
    assert page.locator(".error").count() == 0  # no "Error" pills on the controls


def test_text_to_image_in_korean_on_a_phone(open_page):
    page = open_page("ko-KR", PHONE, "tab.image")
    assert fully_shown(page, "#image-model input")
    assert below(page, "#image-png [data-testid=block-label]", "#image-png [data-testid=upload-icon]")
    fill_kept(page, page.get_by_label("프롬프트", exact=True), "빨간색 하트")
    page.get_by_role("button", name="생성", exact=True).click()
    assert "강도 0.3 (8단계 실행)" in wait_text(page, "#image-info", "시드", timeout=120_000)  # 25 steps asked, 8 run
    page.get_by_label("프롬프트", exact=True).fill("")
    page.get_by_role("button", name="생성", exact=True).click()
    assert "프롬프트가 비어 있습니다" in wait_text(page, "#image-status", "비어")


def test_learn_tab_map_click_and_live_training(open_page):
    page = open_page("en-US", {"width": 1400, "height": 1000}, "tab.learn")
    assert page.locator("#learn-compared").is_hidden()  # no large empty box before the first comparison

    # The latent map: draw it, click inside the plot, see the decoded image.
    page.get_by_role("tab", name="Latent map", exact=True).click()
    page.get_by_role("button", name="Draw the maps", exact=True).click()
    vae_map = page.locator("#learn-map-vae img")
    vae_map.wait_for(timeout=60_000)
    box, unmarked = vae_map.bounding_box(), vae_map.get_attribute("src")
    vae_map.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.locator("#learn-decoded-vae img").wait_for(timeout=30_000)
    page.wait_for_function("(old) => document.querySelector('#learn-map-vae img')?.src !== old", arg=unmarked,
                           timeout=30_000)  # the clicked point is marked
    marked = vae_map.get_attribute("src")
    page.get_by_role("tab", name="Train it", exact=True).click()
    page.get_by_role("tab", name="Latent map", exact=True).click()
    page.wait_for_timeout(1500)
    assert vae_map.get_attribute("src") == marked  # coming back keeps the mark (the maps are not redrawn)

    # Train it yourself: a short run streams a sample grid and ends.
    page.get_by_role("tab", name="Train it", exact=True).click()
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator("#learn-grid img").wait_for(timeout=60_000)
    page.get_by_role("button", name="Stop", exact=True).click()
    wait_text(page, "#learn-status", "stopped|finished")  # it ends, leaving the training slot to the next page


def test_learn_tab_in_korean_on_a_phone(open_page):
    page = open_page("ko-KR", PHONE, "tab.learn")
    shown = page.evaluate("() => [...document.querySelectorAll('[role=tab]')].filter(e => e.offsetParent).map(e => e.innerText.trim())")
    assert {"나란히 비교", "잠재 지도", "직접 학습", "잡음 제거"} <= set(shown)  # no inner tab hides behind "•••"
    assert fully_shown(page, "#learn-dataset input")
    # A negative seed: the app's own Korean sentence under the button, no "Error" pills, the table stays empty.
    fill_kept(page, page.locator("#learn-seed input"), "-5")
    page.get_by_role("button", name="모든 모델 비교", exact=True).click()
    assert "시드는 0부터" in wait_text(page, "#learn-compare-status", "시드")
    assert page.locator(".error").count() == 0

    # Train it yourself: a bad learning rate is explained under its own box as Train is pressed (before waiting for a
    # free training slot), in Korean; the streamed status line is Korean.
    page.locator("#learn-seed input").fill("0")
    page.get_by_role("tab", name="직접 학습", exact=True).click()
    fill_kept(page, "#learn-lr input", "-1")
    page.get_by_role("button", name="학습", exact=True).click()
    assert "학습률은 0.000001부터" in wait_text(page, "#learn-lr div.validation-error", "학습률", timeout=30_000)
    assert page.locator("#learn-grid img").count() == 0  # nothing started
    fill_kept(page, "#learn-lr input", "0.001")
    page.get_by_role("button", name="학습", exact=True).click()
    assert "단계" in wait_text(page, "#learn-status", "단계", timeout=60_000)
    assert page.locator("#learn-lr div.validation-error").count() == 0  # the corrected value clears the message
    page.locator("#learn-grid img").wait_for(timeout=60_000)
    page.get_by_role("button", name="정지", exact=True).click()
    wait_text(page, "#learn-status", "정지됨|완료")  # it ends cleanly, saying so, with no "Error" pills

    # Watch denoising: a first run appears when the tab opens; the Text → Image model draws a prompt (its prompt
    # box replaces the class picker).
    page.get_by_role("tab", name="잡음 제거", exact=True).click()
    page.locator("#learn-noisy img").wait_for(timeout=60_000)
    first = page.locator("#learn-noisy img").get_attribute("src")
    page.locator("#learn-denoiser input").click()
    page.get_by_role("option", name="글 → 그림: 이모지 확산 모델 (잠재 공간)", exact=True).click()
    assert fully_shown(page, "#learn-denoiser input")
    fill_kept(page, "#learn-denoise-prompt textarea", "빨간 사과")
    page.get_by_role("button", name="잡음 제거", exact=True).click()
    page.wait_for_function("(old) => document.querySelector('#learn-noisy img')?.src !== old", arg=first, timeout=60_000)
    last = page.locator("#learn-noisy img").get_attribute("src")
    page.locator("#learn-frame input[type=number]").fill("1")
    page.locator("#learn-frame input[type=number]").press("Enter")
    page.wait_for_function("(old) => document.querySelector('#learn-noisy img')?.src !== old", arg=last, timeout=30_000)
    mine = page.locator("#learn-noisy img").get_attribute("src")  # the first frame of the user's own run
    page.get_by_role("tab", name="직접 학습", exact=True).click()
    page.get_by_role("tab", name="잡음 제거", exact=True).click()
    page.wait_for_timeout(6000)  # a rerun would have replaced it by now
    assert page.locator("#learn-noisy img").get_attribute("src") == mine  # coming back keeps their run and frame
    assert page.locator(".error").count() == 0, page.evaluate("() => [...document.querySelectorAll('.error')].map(e => e.closest('[id]')?.id + ': ' + e.innerText)")
