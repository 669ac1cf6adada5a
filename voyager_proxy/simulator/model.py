"""The simulated observatory: devices whose readings evolve with time (pure)."""

from __future__ import annotations

import random
import time
from typing import Any

import attrs

OFF = -123456789
ERROR = 123456789
AMBIENT_C = 12.0
SIDEREAL_HOURS_PER_SECOND = 1.0027379 / 3600.0
COOLING_C_PER_SECOND = 0.5
FILTERS = ("L", "R", "G", "B", "Ha", "OIII", "SII")
# ArrayElementData's "not defined" numbers.
ARRAY_UNDEFINED, FOCUSER_UNDEFINED, HFD_UNDEFINED = 1000, -1000000, -1000


def sexagesimal(value: float, degrees: bool) -> str:
    """C{02:49:50} for hours, C{47° 20' 07"} for degrees, as Voyager writes them."""
    sign = "-" if value < 0 else ""
    total = round(abs(value) * 3600)
    whole, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if degrees:
        return f"{sign}{whole:02d}\u00b0 {minutes:02d}' {seconds:02d}\""
    return f"{sign}{whole:02d}:{minutes:02d}:{seconds:02d}"


def clock_text(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


@attrs.define
class ObservatoryModel:
    """Camera, cooler, mount, focuser, guider, filter wheel and sequence; no rotator."""

    now: float
    rng: random.Random = attrs.field(factory=lambda: random.Random(0))
    setup_connected: bool = True
    focuser_has_sensor: bool = False
    ccd_temperature: float = AMBIENT_C
    ccd_set_point: float = AMBIENT_C
    cooler_on: bool = False
    parked: bool = False
    tracking: bool = True
    slewing: bool = False
    ra_hours: float = 5.588
    dec_degrees: float = -5.39
    focuser_position: int = 12000
    best_focus: int = 12000  # where stars are sharpest (see sky), and where autofocus leaves the focuser
    focuser_temperature: float = 8.0
    guiding: bool = True
    guide_x: float = 0.0
    guide_y: float = 0.0
    filter_index: int = 0
    sequence_name: str = ""
    sequence_total: int = 0
    sequence_elapsed: float = 0.0
    running: bool = False
    pier_east: bool = False
    focuser_moving: bool = False
    last_hfd: float | None = None
    drag_name: str = ""
    site: tuple[float, float, float] = (45.0136111111111, 6.93972222222222, 1000.0)

    def advance(self, seconds: float) -> None:
        """Let C{seconds} of time pass."""
        self.now += seconds
        target = self.ccd_set_point if self.cooler_on else AMBIENT_C
        step = COOLING_C_PER_SECOND * seconds
        gap = target - self.ccd_temperature
        self.ccd_temperature = target if abs(gap) <= step else self.ccd_temperature + step * (1 if gap > 0 else -1)
        if self.setup_connected and not self.parked and not self.tracking and not self.slewing:
            self.ra_hours = (self.ra_hours + SIDEREAL_HOURS_PER_SECOND * seconds) % 24
        if self.guiding and self.tracking and not self.parked:
            self.guide_x = round(self.rng.gauss(0, 0.35), 2)
            self.guide_y = round(self.rng.gauss(0, 0.35), 2)
        self.focuser_temperature -= 0.0005 * seconds
        if self.sequence_total:
            self.sequence_elapsed = min(self.sequence_elapsed + seconds, self.sequence_total)

    @property
    def cooler_power(self) -> float:
        if not self.cooler_on:
            return 0.0
        return round(min(100.0, max(5.0, (AMBIENT_C - self.ccd_temperature) * 3.0)), 1)

    @property
    def cooled(self) -> bool:
        return self.cooler_on and abs(self.ccd_temperature - self.ccd_set_point) < 0.5

    def control_data(self) -> dict[str, Any]:
        """The ControlData fields for the current state."""
        connected = self.setup_connected
        remaining = max(self.sequence_total - self.sequence_elapsed, 0)
        ccd_status = (5 if self.cooled else 4) if self.cooler_on else 3
        return {
            "TI": clock_text(self.now + 3600),
            "TIUTC": clock_text(self.now),
            "VOYSTAT": 2 if self.running else 1,
            "SETUPCONN": connected,
            "CCDCONN": connected,
            "CCDTEMP": round(self.ccd_temperature, 1) if connected else OFF,
            "CCDSETP": self.ccd_set_point if connected else OFF,
            "CCDPOW": self.cooler_power if connected else OFF,
            "CCDCOOL": self.cooler_on,
            "CCDSTAT": ccd_status if connected else 1,
            "MNTCONN": connected,
            "MNTPARK": self.parked,
            "MNTTRACK": self.tracking,
            "MNTSLEW": self.slewing,
            "MNTRA": sexagesimal(self.ra_hours, degrees=False),
            "MNTDEC": sexagesimal(self.dec_degrees, degrees=True),
            "MNTRAJ2000": sexagesimal((self.ra_hours - 0.02) % 24, degrees=False),
            "MNTDECJ2000": sexagesimal(self.dec_degrees - 0.1, degrees=True),
            "MNTAZ": sexagesimal(181.5, degrees=True),
            "MNTALT": sexagesimal(88.0 if self.parked else 52.3, degrees=True),
            # PierSide and MNTSFLIP tables: pierWest before the flip (0 not needed), pierEast after it (3 done).
            "MNTPIER": "pierEast" if self.pier_east else "pierWest",
            "MNTTFLIP": "01:12:30" if self.pier_east else "-01:12:30",
            "MNTSFLIP": 3 if self.pier_east else 0,
            "AFCONN": connected,
            "AFTEMP": round(self.focuser_temperature, 2) if self.focuser_has_sensor else ERROR,
            "AFPOS": self.focuser_position if connected else OFF,
            "GUIDECONN": connected,
            "GUIDESTAT": 2 if self.guiding and self.tracking and not self.parked else 0,
            "DITHSTAT": 0,
            "GUIDEX": self.guide_x,
            "GUIDEY": self.guide_y,
            "PLACONN": True,
            "PSCONN": True,
            "SEQNAME": self.sequence_name,
            "RUNSEQ": f"{self.sequence_name}.s2q" if self.sequence_name else "",
            "SEQSTART": "",
            "SEQREMAIN": time.strftime("%H:%M:%S", time.gmtime(remaining)) if self.sequence_name else "",
            "SEQEND": "",
            "SEQTOT": self.sequence_total,
            "SEQPARZ": int(self.sequence_elapsed),
            "RUNDS": self.drag_name,
            "DRAGNAME": self.drag_name,
            "ROTCONN": False,
            "ROTPA": OFF,
            "ROTSKYPA": OFF,
            "ROTISROT": False,
        }

    def array_element_data(self) -> dict[str, Any]:
        """The ArrayElementData fields for the current state (no rotator)."""
        connected = self.setup_connected
        return {
            "ROTCONN": False,
            "PAROT": ARRAY_UNDEFINED,
            "ROTROT": False,
            "CCDCONN": connected,
            "CCDTEMP": round(self.ccd_temperature, 1) if connected else ARRAY_UNDEFINED,
            "CCDPOW": self.cooler_power if connected else ARRAY_UNDEFINED,
            "FOCCONN": connected,
            "FOCPOS": self.focuser_position if connected else FOCUSER_UNDEFINED,
            "FOCMOV": connected and self.focuser_moving,
            "FOCTEMP": round(self.focuser_temperature, 2)
            if connected and self.focuser_has_sensor
            else FOCUSER_UNDEFINED,
            "FOCHFD": self.last_hfd if self.last_hfd is not None else HFD_UNDEFINED,
        }
