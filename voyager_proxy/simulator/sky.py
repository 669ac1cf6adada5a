"""
The simulated camera's previews (pure; Pillow): a star field that blurs with the focuser.

Stars are Gaussian spots of varied brightness (most faint, a few bright)
scattered once by the seed, over a sky background with Gaussian noise. Each
star's sigma is the seeing's and the defocus's in quadrature, the defocus
growing with the focuser's distance from best focus; the HFD reported is the
one such a spot has (2.355 sigma), and the star index is the number of stars
standing 5 noise sigmas above the sky, per ten. Rendering a 3000 x 2000 frame
takes a few hundred milliseconds (its JPEG encoding most), so each focus offset is rendered once
(offsets rounded to L{FOCUS_STEP}); every shot then gets that JPEG with a
comment segment naming it, so that no two shots have the same bytes.
"""

from __future__ import annotations

import functools
import io
import math
import random

import attrs
from PIL import Image, ImageChops

SEEING_SIGMA = 1.0235  # pixels: an HFD of 2.41 in focus
DEFOCUS_SIGMA_PER_STEP = 0.01  # pixels of sigma per focuser step from best focus
HFD_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))  # a Gaussian's half-flux diameter, in sigmas
FOCUS_STEP = 10  # focuser steps rendered alike
SKY_LEVEL = 28  # background, 0-255
NOISE_SIGMA = 7.0
NOISE_TILE = 509  # pixels: the side of the noise patch repeated over the frame
STARS_PER_MEGAPIXEL = 250
QUALITY = 92
_FAINTEST = 150.0  # the flux of the faintest star (sum of its pixel values over the sky)
_SLOPE = 1.1  # of the power law of fluxes


@attrs.frozen
class Frame:
    """One rendered preview and what Voyager would say of it."""

    jpeg: bytes
    width: int
    height: int
    hfd: float
    star_index: float


def sigma_at(offset: int) -> float:
    """A star's sigma, in pixels, C{offset} focuser steps from best focus."""
    return math.hypot(SEEING_SIGMA, DEFOCUS_SIGMA_PER_STEP * offset)


def _stars(width: int, height: int, seed: int) -> list[tuple[float, float, float]]:
    """(x, y, flux) of every star: positions uniform, fluxes a power law (many faint, few bright)."""
    rng = random.Random(seed)
    count = max(1, round(STARS_PER_MEGAPIXEL * width * height / 1e6))
    return [
        (rng.uniform(0, width), rng.uniform(0, height), _FAINTEST * rng.paretovariate(_SLOPE)) for _ in range(count)
    ]


@functools.lru_cache(maxsize=64)
def _spot(sigma: float, peak: int) -> Image.Image:
    """A Gaussian spot of C{sigma} and C{peak} as a mask: clipped at 255 (saturated) beyond it."""
    radius = max(1, math.ceil(sigma * math.sqrt(2 * math.log(max(peak, 2)))))
    size = 2 * radius + 1
    values = bytes(
        min(255, round(peak * math.exp(-((x - radius) ** 2 + (y - radius) ** 2) / (2 * sigma * sigma))))
        for y in range(size)
        for x in range(size)
    )
    return Image.frombytes("L", (size, size), values)


@functools.lru_cache(maxsize=2)
def _noise(width: int, height: int) -> Image.Image:
    """Gaussian noise centred on 128, tiled from one patch (Pillow's generator is slow on a whole frame)."""
    patch = Image.effect_noise((NOISE_TILE, NOISE_TILE), NOISE_SIGMA)
    noise = Image.new("L", (width, height))
    for top in range(0, height, NOISE_TILE):
        for left in range(0, width, NOISE_TILE):
            noise.paste(patch, (left, top))
    return noise


@functools.lru_cache(maxsize=4)
def _render(width: int, height: int, seed: int, offset: int) -> Frame:
    sigma = sigma_at(offset)
    stars = Image.new("L", (width, height), 0)
    visible = 0
    for x, y, flux in _stars(width, height, seed):
        peak = flux / (2 * math.pi * sigma * sigma)
        visible += peak >= 5 * NOISE_SIGMA
        # Peaks rounded to 1.25^n: a few dozen spot masks serve every star.
        spot = _spot(sigma, round(1.25 ** round(math.log(max(peak, 1.0), 1.25))))
        radius = spot.width // 2
        stars.paste(255, (round(x) - radius, round(y) - radius), spot)
    sky = ImageChops.add(stars, _noise(width, height), scale=1.0, offset=SKY_LEVEL - 128)
    output = io.BytesIO()
    sky.save(output, "JPEG", quality=QUALITY)
    return Frame(output.getvalue(), width, height, round(HFD_PER_SIGMA * sigma, 2), round(visible / 10, 1))


def render(width: int, height: int, seed: int, offset: int, label: str) -> Frame:
    """The preview C{offset} focuser steps from best focus; C{label} goes into a JPEG comment (unique bytes)."""
    frame = _render(width, height, seed, round(offset / FOCUS_STEP) * FOCUS_STEP)
    comment = label.encode("utf-8")[:60000]
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return attrs.evolve(frame, jpeg=frame.jpeg[:2] + segment + frame.jpeg[2:])
