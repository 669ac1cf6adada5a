"""Real-time push of Voyager events to dashboards over raw WebSocket (Autobahn)."""

from .factory import PushFactory

__all__ = ["PushFactory"]
