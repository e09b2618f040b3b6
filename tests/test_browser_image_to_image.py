"""Image → image (#21) in a real browser, in Korean on a phone: upload a picture, redraw it in a style, see the results."""

from __future__ import annotations

from PIL import Image

from tests.test_browser import PHONE, browser, open_page, wait_text  # noqa: F401 (fixtures)
from tests.test_browser_layout_views import in_view


def test_redraw_an_uploaded_picture_in_korean_on_a_phone(open_page, tmp_path):
    picture = Image.new("RGB", (80, 80), "white")
    picture.paste((230, 40, 40), (10, 10, 60, 60))
    picture.save(tmp_path / "red.png")
    page = open_page("ko-KR", PHONE, "tab.image")
    assert page.get_by_text("🖌️ 그림 → 그림").is_visible() or page.get_by_text("🖌️ 그림 → 그림").count() == 1
    page.locator("#i2i-picture canvas").first.wait_for(timeout=30_000)  # the editor is drawn (tabs mount on first view)
    page.wait_for_timeout(1000)
    page.locator("#i2i-picture input[type=file]").first.set_input_files(str(tmp_path / "red.png"))
    page.wait_for_timeout(1000)  # the editor draws the upload on its canvas
    page.locator("#i2i-run").click()
    message = wait_text(page, "#i2i-info", "그림 2장", timeout=120_000)
    assert "초 만에" in message
    assert page.locator("#i2i-gallery img").count() >= 2
    in_view(page, "#i2i-gallery")
    assert "⚠" not in page.locator("#i2i-status").inner_text()


def test_redrawing_without_a_picture_says_so_in_korean(open_page):
    page = open_page("ko-KR", PHONE, "tab.image")
    page.locator("#i2i-run").click()
    assert "그림을 올리거나 그려 주세요" in wait_text(page, "#i2i-status", "그려 주세요")
