"""What the operator routes of L{voyager_proxy.rest.routes} (/api/webhooks/...) answer."""

from __future__ import annotations

from typing import Any

from ..rest.errors import ApiError
from .service import Webhooks
from .store import Message, Status

OFF = {"enabled": False}


class WebhookOperator:
    """The outbox as the operator sees it; every answer is the body of a JSON envelope."""

    def __init__(self, webhooks: Webhooks | None) -> None:
        self._webhooks = webhooks

    def state(self) -> dict[str, Any]:
        """What /health shows: readiness never depends on it."""
        return self._webhooks.describe() if self._webhooks is not None else dict(OFF)

    def _on(self) -> Webhooks:
        if self._webhooks is None:
            raise ApiError(409, "webhooks_off", "webhooks are off: set webhooks.url and webhooks.secret")
        return self._webhooks

    async def deliveries(self, status: str | None, limit: int) -> dict[str, Any]:
        webhooks = self._on()
        listed = await webhooks.listed(Status(status) if status else None, limit)
        counts = await webhooks.counts()
        return {"deliveries": [message.as_dict() for message in listed], "counts": counts}

    async def delivery(self, message_id: str) -> dict[str, Any]:
        return {"delivery": _found(await self._on().find(message_id), message_id).as_dict()}

    async def retry(self, message_id: str) -> dict[str, Any]:
        return {"delivery": _found(await self._on().retry(message_id), message_id).as_dict()}

    async def test(self, requested_by: str) -> dict[str, Any]:
        data = {"requestedBy": requested_by, "note": "hello from voyager-proxy"}
        message = await self._on().publish("webhook.test", data, force=True)
        if message is None:
            raise ApiError(503, "webhooks_stopping", "the webhook service is stopping")
        return {"delivery": message.as_dict()}

    async def enable(self) -> dict[str, Any]:
        webhooks = self._on()
        await webhooks.enable()
        return {"webhooks": webhooks.describe()}


def _found(message: Message | None, message_id: str) -> Message:
    if message is None:
        raise ApiError(404, "unknown_delivery", f"no webhook delivery {message_id} in the outbox")
    return message
