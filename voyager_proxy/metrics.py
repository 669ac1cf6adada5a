"""Prometheus metrics of the proxy, in a registry of its own."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram
from twisted.web.http import Request

from .voyager import Command, ConnectionStatus, LinkState, VoyagerEvent, VoyagerLink
from .webhooks.service import WebhookEvents
from .webhooks.store import Message

LATENCY_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 900)


class Metrics:
    """Counters fed by the link's buses and by the HTTP and WebSocket layers."""

    def __init__(self, link: VoyagerLink) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "voyager_proxy_http_requests",
            "HTTP requests answered.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "voyager_proxy_command_seconds",
            "Time from sending a command to its end.",
            ["method", "result"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.connection_state = Enum(
            "voyager_proxy_voyager_connection_state",
            "State of the Voyager session.",
            states=[state.value for state in LinkState],
            registry=self.registry,
        )
        self.reconnects = Gauge(
            "voyager_proxy_voyager_reconnects",
            "Connection attempts to Voyager after the first.",
            registry=self.registry,
        )
        self.events = Counter(
            "voyager_proxy_voyager_events", "Events received from Voyager.", ["event"], registry=self.registry
        )
        self.websocket_clients = Gauge(
            "voyager_proxy_websocket_clients", "Connected WebSocket clients.", registry=self.registry
        )
        self.websocket_coalesced = Counter(
            "voyager_proxy_websocket_coalesced",
            "Telemetry messages superseded before a paused client read them.",
            registry=self.registry,
        )
        self.websocket_messages = Counter(
            "voyager_proxy_websocket_messages",
            "Event messages owed to WebSocket clients (one per client and event).",
            ["topic"],
            registry=self.registry,
        )
        self.websocket_closed = Counter(
            "voyager_proxy_websocket_closed",
            "WebSocket clients closed by the proxy (1008).",
            ["reason"],
            registry=self.registry,
        )
        self.image_write_failures = Counter(
            "voyager_proxy_image_write_failures",
            "Previews or their metadata that could not be written to images.dir (kept in memory still).",
            registry=self.registry,
        )
        self.webhooks = WebhookMeter(self.registry)
        self._status(link.status)
        link.status_changes.subscribe(self._status)
        link.events.subscribe(self._event)

    def request_finished(self, request: Request, route: str) -> None:
        """Count an answered HTTP request under its route's name."""
        method = request.method.decode("ascii", "replace") if request.method else "?"
        self.http_requests.labels(route, method, str(request.code)).inc()

    def command_finished(self, command: Command, ended_at: float) -> None:
        self.command_seconds.labels(command.method, command.state.value).observe(ended_at - command.sent_at)

    def _status(self, status: ConnectionStatus) -> None:
        self.connection_state.state(status.state.value)
        self.reconnects.set(status.reconnects)

    def _event(self, event: VoyagerEvent) -> None:
        self.events.labels(event.name or "unnamed").inc()


class WebhookMeter(WebhookEvents):
    """The webhook service's figures."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._pending = Gauge(
            "voyager_proxy_webhook_pending", "Webhook messages waiting for delivery.", registry=registry
        )
        self._delivered = Counter(
            "voyager_proxy_webhook_delivered", "Webhook messages delivered (2xx).", ["type"], registry=registry
        )
        self._failed = Counter(
            "voyager_proxy_webhook_failed",
            "Webhook messages whose retry schedule ran out.",
            ["type"],
            registry=registry,
        )
        self._dropped = Counter(
            "voyager_proxy_webhook_dropped", "Webhook messages dropped under webhooks.max_pending.", ["type"],
            registry=registry,
        )  # fmt: skip
        self._attempt_seconds = Histogram(
            "voyager_proxy_webhook_attempt_seconds",
            "Time of one delivery attempt, by its outcome.",
            ["outcome"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._endpoint_state = Enum(
            "voyager_proxy_webhook_endpoint_state",
            "The webhook endpoint: off (no url), enabled, or disabled after a 410.",
            states=["off", "enabled", "disabled"],
            registry=registry,
        )

    def watch(self, pending: Callable[[], int]) -> None:
        self._pending.set_function(pending)

    def endpoint(self, state: str) -> None:
        self._endpoint_state.state(state)

    def attempted(self, message: Message, seconds: float) -> None:
        self._attempt_seconds.labels(message.last_outcome or "none").observe(seconds)

    def delivered(self, message: Message) -> None:
        self._delivered.labels(message.type).inc()

    def failed(self, message: Message) -> None:
        self._failed.labels(message.type).inc()

    def dropped(self, message: Message) -> None:
        self._dropped.labels(message.type).inc()
