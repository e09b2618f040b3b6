"""Issue 18's layout items on the Learn and Text → Music tabs, in a real browser at 1280 and 390 px, English and Korean,
with the unit checks of the pictures behind them (the latent map's legend, the piano roll's note names).

Learn: the latent map's legend is clear of the label and buttons floating over the picture; the side-by-side shows
each family's 8 samples in one row, all rows at once (no scroll box); every column of the measured table is on screen
on a phone; pressing Train or Continue while a training runs says why nothing happens, once, and the press that starts
it is not told so; a frame typed past the end of a denoising is its last frame. Music: Compose brings its message or
its result into view on a phone; Compare gives each mood its MIDI file; the moods' headings are whole (not cut by the
players' buttons); the piano roll names more than one note and keeps a readable height on a phone.
"""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from pipelines.learn import latent_map as lm
from pipelines.text_to_music.render import named_pitches, piano_roll
from pipelines.text_to_music.tokens import Note, Piece
from demos.learn import MESSAGES, TABLE_COLUMNS
from demos.tables import html_table
from tests.test_browser import DESKTOP, PHONE, browser, fill_kept, open_page, wait_text  # noqa: F401 (fixtures)
from tests.test_browser_layout_views import in_view

SIZES = [("en-US", DESKTOP), ("ko-KR", DESKTOP), ("en-US", PHONE), ("ko-KR", PHONE)]
IDS = ["en-1280", "ko-1280", "en-390", "ko-390"]
WORDS = {  # the buttons and sentences the tests look for, per language
    "en-US": {"compare": "Compare all families", "maps": "Latent map", "train_tab": "Train it", "train": "Train",
              "stop": "Stop", "busy": "already running", "stopped": "stopped|finished", "compose": "Compose",
              "moods": "Compare all five moods", "words": "Your words"},
    "ko-KR": {"compare": "모든 모델 비교", "maps": "잠재 지도", "train_tab": "직접 학습", "train": "학습",
              "stop": "정지", "busy": "이미 학습이 진행 중", "stopped": "정지됨|완료", "compose": "작곡하기",
              "moods": "다섯 분위기 모두 비교", "words": "내 글"},
}


# -- the pictures ------------------------------------------------------------------------------------
def ink_rows(image: Image.Image, box: tuple[int, int, int, int], darker_than: int = 200) -> list[int]:
    """The rows of `box` holding a pixel darker than `darker_than` (grey), as the starts of separate runs."""
    crop = image.convert("L").crop(box)
    rows = [y for y in range(crop.height) if min(crop.getpixel((x, y)) for x in range(crop.width)) < darker_than]
    return [y for i, y in enumerate(rows) if i == 0 or rows[i - 1] != y - 1]


def test_the_latent_maps_legend_is_under_the_plot_where_nothing_floats():
    torch.manual_seed(0)
    picture = lm.draw_map(torch.randn(500, 2), torch.arange(500) % 10, ["T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                                                                        "Sandal", "Shirt", "Sneaker", "Bag", "Boot"])
    image = picture.image
    assert image.size == (lm.SIZE + 2 * lm.MARGIN, lm.HEIGHT)
    width = image.width
    # Above the plot only white: the page's label and buttons float there (the legend used to be there).
    assert image.convert("L").crop((0, 0, width, lm.TOP)).getextrema() == (255, 255)
    assert len(ink_rows(image, (0, lm.LEGEND_TOP, width, lm.HEIGHT))) == lm.LEGEND_ROWS  # two rows of five classes
    assert lm.legend_position(9, 10)[1] + lm.LEGEND_ROW <= lm.HEIGHT
    assert picture.to_latent(*picture.to_pixel(0.25, -0.5)) == pytest.approx((0.25, -0.5))  # clicks still land


def roll_piece(low: int, high: int) -> Piece:
    return Piece("4/4", [], [Note(4 * i, 4, low + (i * 5) % (high - low + 1)) for i in range(32)])


def test_the_piano_roll_names_more_than_one_note():
    # A tune within an octave and a half (E4–G5, one C): rows are tall, so every white key is named.
    assert named_pitches(62, 81, 14) == [62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81]
    assert named_pitches(40, 86, 5.8) == [40, 43, 48, 52, 55, 60, 64, 67, 72, 76, 79, 84]  # C E G where keys are close
    assert named_pitches(20, 100, 3.4) == [24, 36, 48, 60, 72, 84, 96]  # each C where even C E G would overlap
    roll = piano_roll(roll_piece(64, 79))
    assert roll.size == (900, 300)
    names = ink_rows(roll, (0, 16, 30, roll.height), darker_than=160)
    assert len(names) >= 6, names  # was one, "C5", for such a tune


def test_a_table_of_measures_names_each_cell_for_a_phone():
    html = html_table(["family", "speed <s>", "recall"], [["GAN", 1.5, float("nan")], ["<b>", None, 0.3]])
    assert html.count('data-label="speed &lt;s&gt;"') == 2 and '<th scope="row">&lt;b&gt;</th>' in html
    assert '<td data-label="recall"></td>' in html and "nan" not in html and "None" not in html


# -- the browser: helpers ---------------------------------------------------------------------------
def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] - 1 and b["x"] < a["x"] + a["width"] - 1 and \
        a["y"] < b["y"] + b["height"] - 1 and b["y"] < a["y"] + a["height"] - 1


def picture_area(page, img: str, box: tuple[float, float, float, float]) -> dict:
    """Where the picture's pixel box (x0, y0, x1, y1) is drawn on the page: object-fit contain or scale-down."""
    return page.locator(img).evaluate("""(img, [x0, y0, x1, y1]) => {
        const r = img.getBoundingClientRect(), fit = getComputedStyle(img).objectFit;
        let k = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
        if (fit === 'scale-down') k = Math.min(k, 1);
        const left = r.left + (r.width - k * img.naturalWidth) / 2, top = r.top + (r.height - k * img.naturalHeight) / 2;
        return {x: left + k * x0, y: top + k * y0, width: k * (x1 - x0), height: k * (y1 - y0)};
    }""", list(box))


def boxes(page, selector: str) -> list[dict]:
    return [box for box in page.locator(selector).evaluate_all(
        "els => els.filter(e => e.offsetParent).map(e => { const r = e.getBoundingClientRect();"
        " return {x: r.left, y: r.top, width: r.width, height: r.height}; })")]


def whole(page, selector: str) -> list[str]:
    """The elements among `selector` whose text is cut (wider than their box)."""
    return page.locator(selector).evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)")


# -- Learn ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("locale, viewport", SIZES, ids=IDS)
def test_learn_side_by_side_and_the_table_are_all_on_screen(open_page, locale, viewport):
    say, page = WORDS[locale], open_page(locale, viewport, "tab.learn")
    page.get_by_role("button", name=say["compare"], exact=True).click()
    tiles = page.locator("#learn-compared .thumbnail-item")
    page.wait_for_function("() => document.querySelectorAll('#learn-compared .thumbnail-item img').length === 48", timeout=180_000)
    page.locator("#learn-table table").wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the tiles' layout settles

    # The gallery: no scroll box; one row of 8 per family, all inside the gallery's box; the family named once per row,
    # whole, over no sample.
    wrap = page.locator("#learn-compared .grid-wrap")
    assert wrap.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), "the rows hide in a scroll box"
    gallery, tiles_at = page.locator("#learn-compared").bounding_box(), boxes(page, "#learn-compared .thumbnail-item")
    assert len(tiles_at) == tiles.count() == 48
    assert all(t["y"] >= gallery["y"] and t["y"] + t["height"] <= gallery["y"] + gallery["height"] + 1 for t in tiles_at)
    assert all(t["x"] >= 0 and t["x"] + t["width"] <= viewport["width"] for t in tiles_at), "samples off the right edge"
    rows = sorted({round(t["y"]) for t in tiles_at})
    assert len(rows) == 6 and all(sum(abs(t["y"] - y) < 2 for t in tiles_at) == 8 for y in rows)
    captions = boxes(page, "#learn-compared .caption-label")
    assert len(captions) == 6 and not whole(page, "#learn-compared .caption-label")
    assert not any(overlap(c, t) for c in captions for t in tiles_at), "a family's name covers its samples"
    assert not overlap(page.locator("#learn-compared label[data-testid=block-label]").bounding_box(), tiles_at[0])

    # The measured table: every cell of all 9 columns and 7 rows within the screen, none cut; each cell's column named.
    table = page.locator("#learn-table")
    cells = boxes(page, "#learn-table tbody th, #learn-table tbody td:not(:empty)")
    assert len(cells) == 7 + 6 * 8 + 6, len(cells)  # the real images have no training time or speed
    assert all(c["x"] >= 0 and c["x"] + c["width"] <= viewport["width"] + 0.5 for c in cells), "a column is off screen"
    assert table.evaluate("e => { const t = e.querySelector('table'); return t.scrollWidth <= e.clientWidth; }")
    assert not whole(page, "#learn-table tbody td")
    columns = [MESSAGES(f"column.{i}", locale[:2]) for i in range(len(TABLE_COLUMNS))]
    if viewport["width"] < 500:  # the headings are hidden: each number is named beside it
        named = table.evaluate("e => [...e.querySelectorAll('tbody tr:first-child td')].map(td => "
                               "getComputedStyle(td, '::before').content)")
        assert named == [f'"{name}"' for name in columns[1:]], named
    else:
        heads = boxes(page, "#learn-table thead th")
        assert len(heads) == 9 and all(h["x"] + h["width"] <= viewport["width"] for h in heads)
        assert [text.strip() for text in page.locator("#learn-table thead th").all_inner_texts()] == columns


@pytest.mark.parametrize("locale, viewport", SIZES, ids=IDS)
def test_learn_latent_map_legend_is_not_covered(open_page, locale, viewport):
    say, page = WORDS[locale], open_page(locale, viewport, "tab.learn")
    page.get_by_role("tab", name=say["maps"], exact=True).click()
    for family in ("autoencoder", "vae"):
        img = f"#learn-map-{family} img"
        page.locator(img).wait_for(timeout=60_000)
        page.wait_for_function("(sel) => document.querySelector(sel)?.naturalHeight > 0", arg=img, timeout=30_000)
        assert page.locator(img).evaluate("e => e.naturalHeight") == lm.HEIGHT
        legend = picture_area(page, img, (lm.MARGIN, lm.LEGEND_TOP, lm.MARGIN + lm.SIZE, lm.HEIGHT))
        plot = picture_area(page, img, (lm.MARGIN, lm.TOP, lm.MARGIN + lm.SIZE, lm.TOP + lm.SIZE))
        floating = boxes(page, f"#learn-map-{family} label[data-testid=block-label], #learn-map-{family} .icon-button")
        assert len(floating) >= 2
        for box in floating:
            assert not overlap(box, legend), f"the {family} map's legend is covered"
            assert not overlap(box, plot), f"the {family} map's plot is covered"
        assert legend["y"] + legend["height"] <= page.locator(f"#learn-map-{family}").bounding_box()["y"] + \
            page.locator(f"#learn-map-{family}").bounding_box()["height"] + 1  # the legend is not cut off


# Records whether an element ever held `text` from now on (a note shown for a moment is caught too).
WATCH = """([sel, text, flag]) => { const e = document.querySelector(sel); window[flag] = false;
    new MutationObserver(() => { if (e.innerText.includes(text)) window[flag] = true; })
      .observe(e, {subtree: true, childList: true, characterData: true}); }"""


@pytest.mark.parametrize("locale, viewport", SIZES, ids=IDS)
def test_learn_pressing_train_again_says_a_training_runs(open_page, locale, viewport):
    say, page = WORDS[locale], open_page(locale, viewport, "tab.learn")
    page.get_by_role("tab", name=say["train_tab"], exact=True).click()
    fill_kept(page, "#learn-steps input[type=number]", "5000")  # long enough to be running at the second press
    page.evaluate(WATCH, ["#learn-notice", say["busy"], "noted"])
    page.locator("#learn-train").click()
    page.locator("#learn-grid img").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    assert not page.evaluate("() => window.noted"), "the press that started the training was told one runs"
    page.evaluate(WATCH, ["#learn-status", "⚠️", "warned"])
    for button in ("#learn-continue", "#learn-train"):  # either button while it runs: said once, in the note
        page.locator(button).click()
        note = wait_text(page, "#learn-notice", say["busy"], timeout=15_000)
        assert say["stop"] in note  # it says what to do
        page.wait_for_timeout(2500)  # a second event would have been refused in the status line by now
        assert not page.evaluate("() => window.warned"), page.locator("#learn-status").inner_text()
    assert page.locator(".error").count() == 0
    page.get_by_role("button", name=say["stop"], exact=True).click()
    wait_text(page, "#learn-status", say["stopped"], timeout=60_000)
    page.wait_for_function("() => !document.querySelector('#learn-notice').innerText.trim()", timeout=15_000)


def test_learn_a_frame_typed_past_the_end_is_the_last_of_this_run(open_page):
    # The frame slider grows to each denoising's frames (20 at first, 50 here): what is typed is clamped to those.
    page = open_page("en-US", DESKTOP, "tab.learn")
    page.get_by_role("tab", name="Denoising", exact=True).click()
    page.locator("#learn-noisy img").wait_for(timeout=60_000)
    fill_kept(page, "#learn-denoise-steps input[type=number]", "50")
    page.get_by_role("button", name="Denoise", exact=True).click()
    page.wait_for_function("() => document.querySelector('#learn-frame input[type=range]')?.max === '50'", timeout=60_000)
    frame = page.locator("#learn-frame input[type=number]")
    fill_kept(page, frame, "35")
    wait_text(page, "#learn-frame-info", r"^t = 300$", timeout=15_000)  # frame 35 of 50 (it showed frame 20's t = 600)
    fill_kept(page, frame, "999")
    wait_text(page, "#learn-frame-info", r"^t = 0$", timeout=15_000)  # the last frame
    assert wait_text(page, "#learn-frame .range-note", "999") == "Step: 1 to 50, so 999 is taken as 50."
    page.wait_for_timeout(1000)
    assert page.locator("[data-testid=toast-body]").count() == 0 and page.locator(".error").count() == 0


# -- Text → Music -----------------------------------------------------------------------------------
@pytest.mark.parametrize("locale, viewport", SIZES, ids=IDS)
def test_music_compare_headings_midi_and_the_roll(open_page, locale, viewport):
    say, page = WORDS[locale], open_page(locale, viewport, "tab.music")
    fill_kept(page, page.get_by_label(say["words"], exact=True), "a rainy goodbye at the train station")
    page.get_by_role("button", name=say["compose"], exact=True).click()
    roll = page.locator("#music-roll img")
    roll.wait_for(timeout=120_000)
    page.wait_for_function("() => document.querySelector('#music-roll img')?.naturalHeight > 0", timeout=30_000)
    shown = roll.bounding_box()
    assert shown["height"] >= 200, shown  # on a phone it was a 100 px strip
    label = page.locator("#music-roll label[data-testid=block-label]").bounding_box()
    assert label["y"] + label["height"] <= shown["y"] + 1  # the label is above the note names, not over them

    page.get_by_role("button", name=say["moods"], exact=True).click()
    # (a phone loads the rolls below the fold lazily: their src is there, their pixels not yet)
    page.wait_for_function("() => [...document.querySelectorAll('#music-compared img')].filter(i => i.src).length === 5",
                           timeout=180_000)
    heads = page.locator("#music-compared .block.music-mood-head")
    assert heads.count() == 5 and not whole(page, "#music-compared .music-mood-head, #music-compared .music-mood-head *")
    texts = [heads.nth(i).inner_text() for i in range(5)]
    assert all(mood in text and "BPM" in text for mood, text in zip(["happy", "sad", "calm", "tense", "triumphant"], texts))
    buttons = boxes(page, "#music-compared button.icon-button, #music-compared a.download-link")
    assert not any(overlap(h, b) for h in boxes(page, "#music-compared .music-mood-head p") for b in buttons)

    # One MIDI file per mood, each the mood's own.
    midis = page.locator("#music-compared .music-mood-midi")
    assert midis.count() == 5
    for i, mood in enumerate(["happy", "sad", "calm", "tense", "triumphant"]):
        with page.expect_download(timeout=30_000) as download:
            midis.nth(i).click()
        name = download.value.suggested_filename
        assert name.startswith(mood) and name.endswith(".mid"), name


def test_music_compose_brings_its_message_and_its_result_into_view_on_a_phone(open_page):
    say, page = WORDS["en-US"], open_page("en-US", PHONE, "tab.music")
    compose = page.get_by_role("button", name=say["compose"], exact=True)
    compose.click()  # no words yet: the message under the buttons
    wait_text(page, "#music-status", r"\S")
    in_view(page, "#music-status")
    fill_kept(page, page.get_by_label(say["words"], exact=True), "a rainy goodbye at the train station")
    page.evaluate("() => window.scrollTo(0, 0)")
    compose.click()
    page.locator("#music-roll img").wait_for(timeout=120_000)
    in_view(page, "#music-audio")  # the player, below the controls on a phone
