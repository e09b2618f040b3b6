"""The 2-D code space of the autoencoder or the VAE drawn as a clickable scatter plot (PIL only).

The test set's codes are plotted as dots coloured by class; `to_latent` maps a pixel of the
picture back to a code (and refuses pixels in the margin), `to_pixel` the other way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from pipelines.common.validation import UserInputError

SIZE = 400  # plot area, pixels square
MARGIN = 28  # left and right of the plot
TOP = 48  # above the plot: only white space, which the page's label and buttons float over
LEGEND_TOP = TOP + SIZE + 24  # the legend goes under the plot and its axis ranges, where nothing covers it
LEGEND_ROWS, LEGEND_ROW = 2, 18  # five classes a row, so "Pullover" and "Sneaker" fit side by side
HEIGHT = LEGEND_TOP + LEGEND_ROWS * LEGEND_ROW + 4
FONT_SIZE = 13
# ten distinguishable colours (matplotlib's tab10), one per class
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


@dataclass(frozen=True)
class LatentMap:
    image: Image.Image  # the scatter plot: SIZE + 2·MARGIN wide, HEIGHT high
    x_range: tuple[float, float]  # code values at the plot's left and right edges
    y_range: tuple[float, float]  # at the bottom and top edges

    def contains(self, x: float, y: float) -> bool:
        return self.x_range[0] <= x <= self.x_range[1] and self.y_range[0] <= y <= self.y_range[1]

    def check(self, x: float, y: float) -> None:
        if not self.contains(x, y):
            raise UserInputError(
                "learn.outside",
                f"the point ({x:.3g}, {y:.3g}) is outside the map: x must be from {self.x_range[0]:.2f} to "
                f"{self.x_range[1]:.2f} and y from {self.y_range[0]:.2f} to {self.y_range[1]:.2f}",
                "점 ({x}, {y})이(가) 지도 밖에 있습니다. x는 {x_low}부터 {x_high}까지, y는 {y_low}부터 {y_high}까지여야 합니다.",
                x=f"{x:.3g}", y=f"{y:.3g}", x_low=f"{self.x_range[0]:.2f}", x_high=f"{self.x_range[1]:.2f}",
                y_low=f"{self.y_range[0]:.2f}", y_high=f"{self.y_range[1]:.2f}",
            )

    def to_latent(self, px: float, py: float) -> tuple[float, float]:
        u, v = (px - MARGIN) / SIZE, 1 - (py - TOP) / SIZE  # y grows upwards on the plot
        if not (0 <= u <= 1 and 0 <= v <= 1):
            raise UserInputError("learn.click_outside", f"the click at pixel ({px:.0f}, {py:.0f}) is outside the map: "
                                 "click inside the plotted square", "클릭한 픽셀 ({px}, {py})이(가) 지도 밖입니다. 그려진 "
                                 "사각형 안을 클릭하세요.", px=f"{px:.0f}", py=f"{py:.0f}")
        return self.x_range[0] + u * (self.x_range[1] - self.x_range[0]), self.y_range[0] + v * (self.y_range[1] - self.y_range[0])

    def to_pixel(self, x: float, y: float) -> tuple[float, float]:
        u = (x - self.x_range[0]) / (self.x_range[1] - self.x_range[0])
        v = (y - self.y_range[0]) / (self.y_range[1] - self.y_range[0])
        return MARGIN + u * SIZE, TOP + (1 - v) * SIZE

    def marked(self, points: Sequence[tuple[float, float]]) -> Image.Image:
        """A copy with the clicked codes ringed and, for two, the line between them."""
        image = self.image.copy()
        draw = ImageDraw.Draw(image)
        pixels = [self.to_pixel(x, y) for x, y in points]
        if len(pixels) == 2:
            draw.line(pixels, fill="black", width=2)
        for px, py in pixels:
            draw.ellipse((px - 6, py - 6, px + 6, py + 6), outline="black", width=3)
        return image


def draw_map(codes: torch.Tensor, labels: torch.Tensor, classes: Sequence[str]) -> LatentMap:
    """Scatter (N, 2) codes; the axes span the 0.5–99.5th percentiles, padded by 10%."""
    pts = codes.numpy().astype(np.float64)
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    pad = 0.1 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    image = Image.new("RGB", (SIZE + 2 * MARGIN, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=FONT_SIZE)
    draw.rectangle((MARGIN, TOP, MARGIN + SIZE, TOP + SIZE), outline="#999999")
    result = LatentMap(image, (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))
    for (x, y), label in zip(pts, labels.tolist()):
        if result.contains(x, y):
            px, py = result.to_pixel(x, y)
            draw.ellipse((px - 2, py - 2, px + 2, py + 2), fill=COLOURS[label])
    draw.text((MARGIN, TOP + SIZE + 4), f"x: {lo[0]:.1f} … {hi[0]:.1f}   y: {lo[1]:.1f} … {hi[1]:.1f}", fill="black", font=font)
    for i, name in enumerate(classes):
        x, y = legend_position(i, len(classes))
        draw.ellipse((x, y + 4, x + 9, y + 13), fill=COLOURS[i])
        draw.text((x + 13, y), name, fill="black", font=font)
    return result


def legend_position(index: int, count: int) -> tuple[int, int]:
    """The top-left pixel of class `index`'s legend entry (its dot, then its name)."""
    per_row = -(-count // LEGEND_ROWS)
    row, column = divmod(index, per_row)
    return MARGIN + column * SIZE // per_row, LEGEND_TOP + row * LEGEND_ROW
