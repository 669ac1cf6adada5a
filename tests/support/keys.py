"""The API keys the REST tests configure: a Laravel control key, a dashboard read key, a narrowed renter key."""

from __future__ import annotations

CONTROL = "control-key-0123456789"
READ = "read-key-0123456789abc"
RENTER = "renter-key-0123456789ab"
KEYS = (
    f"laravel:control:{CONTROL}",
    f"dashboard:read:{READ}",
    f"renter:control:{RENTER}:RemoteCameraShot|Abort",
)
