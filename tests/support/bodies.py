"""A value for every field the C_Mask letters switch on, as a REST body gives them."""

from __future__ import annotations

from typing import Any

CONSTRAINT_VALUES: dict[str, Any] = {
    "PA": 10,
    "C_AltMin": 30,
    "C_SqmMin": 20,
    "C_HAStart": -3,
    "C_HAEnd": 3,
    "C_DateStart": "2026-12-01",
    "C_DateEnd": 1800000000,
    "C_TimeStart": "21:00",
    "C_TimeEnd": "23:30",
    "C_MoonDown": True,
    "C_MoonPhaseMin": 0,
    "C_MoonPhaseMax": 50,
    "C_MoonDistanceDegree": 40,
    "C_HFDMeanLimit": 3.5,
    "C_MaxTimeForDay": 120,
    "C_AirMassMin": 1,
    "C_AirMassMax": 2.5,
    "C_MoonDistanceLorentzian": 1,
    "C_MaxTime": 60,
    "C_OSDateStart": 1800000000,
    "C_OSTimeStart": "22:00",
    "C_OSEarly": 10,
    "C_PINTEarly": 5,
    "C_PINTReset": True,
    "C_PINTIntervals": [{"DateTimeStart": 1800000000, "DateTimeEnd": 1800003600}],
}
