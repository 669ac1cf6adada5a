"""The simulator's star field: sized as configured, blurring with the focuser, unique bytes per shot."""

from __future__ import annotations

import io

from PIL import Image

from voyager_proxy.simulator import sky


def test_default_frame_is_a_3000_by_2000_jpeg_of_one_to_three_megabytes() -> None:
    """What the simulator sends by default: the size its NewJPGReady announces, and a realistic weight."""
    frame = sky.render(3000, 2000, 0, 0, "shot 1")
    with Image.open(io.BytesIO(frame.jpeg)) as image:
        assert image.format == "JPEG" and image.size == (frame.width, frame.height) == (3000, 2000)
    assert 1_000_000 <= len(frame.jpeg) <= 3_000_000


def test_hfd_and_star_index_follow_the_focuser() -> None:
    """In focus the HFD is the seeing's (2.41); 300 steps out, stars are wider, fainter and fewer stand out."""
    sharp, blurred = (sky.render(600, 400, 0, offset, "x") for offset in (0, 300))
    assert sharp.hfd == 2.41 and blurred.hfd > 2.5 * sharp.hfd
    assert blurred.star_index < sharp.star_index
    assert sky.render(600, 400, 0, -300, "x").hfd == blurred.hfd  # either side of focus


def test_the_picture_is_consistent_with_its_hfd() -> None:
    """The brightest star's half-maximum width in the picture grows as the reported HFD does."""

    def brightest_width(frame: sky.Frame) -> int:
        with Image.open(io.BytesIO(frame.jpeg)) as image:
            grey = image.convert("L")
            width, height = grey.size
            rows = grey.tobytes()
        peak_at = max(range(width * height), key=rows.__getitem__)
        row = rows[peak_at - peak_at % width : peak_at - peak_at % width + width]
        return sum(1 for level in row if level > (rows[peak_at] + sky.SKY_LEVEL) / 2)

    sharp, blurred = (sky.render(300, 200, 3, offset, "x") for offset in (0, 400))
    assert brightest_width(blurred) > brightest_width(sharp)


def test_each_shot_has_its_own_bytes_and_the_same_pixels() -> None:
    """A JPEG comment names the shot: different labels give different bytes (ids), one decoded picture."""
    first, second = (sky.render(300, 200, 0, 0, label) for label in ("shot 1", "shot 2"))
    assert first.jpeg != second.jpeg
    with Image.open(io.BytesIO(first.jpeg)) as one, Image.open(io.BytesIO(second.jpeg)) as two:
        assert one.tobytes() == two.tobytes() and one.info.get("comment") == b"shot 1"
