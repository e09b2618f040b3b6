"""Image helpers shared by the tabs: tensors to PIL, labelled grids."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from pipelines.common.validation import UserInputError

# Uploads are checked against this before any pixel is decoded (PIL reads only the header on open).
# An image "bomb" — a small file declaring 12,000 × 12,000 pixels — would otherwise cost gigabytes.
MAX_UPLOAD_PIXELS = 4096 * 4096
# Process-wide backstop for decoders we do not call ourselves (Gradio's own preprocessing): PIL
# refuses anything over twice this with DecompressionBombError.
Image.MAX_IMAGE_PIXELS = MAX_UPLOAD_PIXELS


def open_upload(path, formats: tuple[str, ...] = ("PNG", "JPEG", "WEBP", "GIF", "BMP"),
                max_pixels: int = MAX_UPLOAD_PIXELS, load: bool = True) -> Image.Image:
    """An uploaded image, its declared size checked before decoding; a sentence for anything else."""
    try:
        image = Image.open(path)
    except Image.DecompressionBombError:  # PIL's backstop (over twice the cap) answered first
        raise UserInputError("image.large", f"the image declares more than {max_pixels:,} pixels; at most {max_pixels:,} "
                             "are accepted", "이미지가 {limit:,} 픽셀보다 큽니다. 최대 {limit:,} 픽셀까지 받습니다.",
                             limit=max_pixels) from None
    except Exception:  # not an image, truncated, a folder, …: say so without the library's text
        raise UserInputError("image.unreadable", "the file is not an image this app can read (PNG, JPEG, WebP, GIF or BMP)",
                             "이 앱이 읽을 수 있는 이미지 파일(PNG, JPEG, WebP, GIF, BMP)이 아닙니다.") from None
    if image.format not in formats:
        raise UserInputError("image.format", f"the file is a {image.format} image; send {', '.join(formats)}",
                             "{format} 이미지입니다. {formats} 형식으로 보내 주세요.",
                             format=str(image.format), formats=", ".join(formats))
    width, height = image.size
    if width * height > max_pixels:
        raise UserInputError("image.large", f"the image declares {width} × {height} pixels; at most {max_pixels:,} "
                             "pixels are accepted", "이미지가 너무 큽니다({width} × {height} 픽셀). 최대 {limit:,} 픽셀까지 받습니다.",
                             width=width, height=height, limit=max_pixels)
    if load:
        try:
            image.load()
        except Exception:
            raise UserInputError("image.unreadable", "the image file is damaged or truncated",
                                 "이미지 파일이 손상되었거나 잘려 있습니다.") from None
    return image


MIN_SIDE = 8  # pixels: a smaller picture has nothing to restyle


def as_rgb_picture(image: Image.Image) -> tuple[Image.Image, list]:
    """An opened upload as the RGB picture a model reads, and what was done to it (Notices): an animated
    picture's first frame, the camera's EXIF rotation applied, 16-bit, CMYK and palette images converted,
    transparency composited on white (as the emoji corpus was). A picture under MIN_SIDE pixels a side is refused."""
    from PIL import ImageOps

    from pipelines.common.validation import Notice

    notices = []
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
        notices.append(Notice("image.first_frame", "an animated picture: its first frame is used",
                              "움직이는 그림이라 첫 장면만 씁니다."))
    image = ImageOps.exif_transpose(image) or image
    if min(image.size) < MIN_SIDE:
        raise UserInputError("image.small", f"the picture is {image.width} × {image.height} pixels; it needs at least "
                             f"{MIN_SIDE} a side", "그림이 {width} × {height} 픽셀입니다. 한 변이 {limit} 픽셀 이상이어야 합니다.",
                             width=image.width, height=image.height, limit=MIN_SIDE)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: scale to 8 bits, not clip
        image = Image.fromarray((np.asarray(image, dtype=np.float64) / max(float(np.asarray(image).max()), 1) * 255).astype(np.uint8))
    if image.mode == "P" or "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return image.convert("RGB"), notices


def tensor_to_pil(images: torch.Tensor) -> list[Image.Image]:
    """(N, C, H, W) in [-1, 1] (C = 1 or 3) → a list of PIL images."""
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 1|3, H, W), got {tuple(images.shape)}")
    from diffusers.image_processor import VaeImageProcessor  # diffusers' own [-1, 1] → PIL (grey → mode "L")

    return VaeImageProcessor().postprocess(images.detach().float().cpu(), output_type="pil")


def pil_to_array(image: Image.Image | np.ndarray, size: int, grayscale: bool) -> np.ndarray:
    """A float32 array in [0, 1], resized to size×size, (H, W) or (H, W, 3)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    image = image.convert("L" if grayscale else "RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0


def upscale(image: Image.Image, size: int) -> Image.Image:
    """Enlarge a small image smoothly for display (the same filter for every image)."""
    return image.resize((size, size), Image.Resampling.BICUBIC)


def image_grid(
    images: Sequence[Image.Image],
    cols: int | None = None,
    labels: Sequence[str] | None = None,
    cell: int | None = None,
    pad: int = 4,
) -> Image.Image:
    """Tile images into one RGB picture, each with an optional caption underneath."""
    if not images:
        raise ValueError("image_grid needs at least one image")
    cols = cols or len(images)
    rows = -(-len(images) // cols)
    cell = cell or max(im.width for im in images)
    label_h = 14 if labels else 0
    grid = Image.new("RGB", (cols * (cell + pad) + pad, rows * (cell + label_h + pad) + pad), "white")
    draw = ImageDraw.Draw(grid)
    # Korean captions need a font with Hangul (Pillow's own draws boxes); English ones keep Pillow's.
    font = ImageFont.load_default() if all(str(label).isascii() for label in labels or ()) else _font(11)
    for i, im in enumerate(images):
        x = pad + (i % cols) * (cell + pad)
        y = pad + (i // cols) * (cell + label_h + pad)
        grid.paste(im.convert("RGB").resize((cell, cell), Image.Resampling.BICUBIC), (x, y))
        if labels:
            text = str(labels[i])
            while text and draw.textlength(text, font=font) > cell:  # cut to the cell's width
                text = text[:-1]
            draw.text((x, y + cell + 1), text, fill="black", font=font)
    return grid


def text_tile(text: str, size: int = 256, width_chars: int = 34) -> Image.Image:
    """A grey tile with `text` wrapped on it: a grid cell that says why it holds no picture."""
    import textwrap

    tile = Image.new("RGB", (size, size), "#e5e7eb")
    draw = ImageDraw.Draw(tile)
    lines = textwrap.wrap(text, width_chars)[: size // 14]
    draw.multiline_text((8, 8), "\n".join(lines), fill="#111827", font=_font(13), spacing=3)
    return tile


def _font(size: int):
    """A font with Hangul where one is installed (Korean captions), else Pillow's own."""
    for path in ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def pairwise_rms(queries: torch.Tensor, references: torch.Tensor, ref_sq: torch.Tensor | None = None) -> torch.Tensor:
    """RMS pixel distance between every query and every reference: (N, D), (M, D) → (N, M).

    Uses |q - r|² = |q|² + |r|² - 2 q·r, one matrix product; pass `ref_sq` (|r|² per row) to
    reuse it across calls on a large reference set.
    """
    ref_sq = references.pow(2).sum(1) if ref_sq is None else ref_sq
    d2 = queries.pow(2).sum(1, keepdim=True) + ref_sq - 2 * queries @ references.T
    return (d2.clamp_min(0) / queries.shape[1]).sqrt()
