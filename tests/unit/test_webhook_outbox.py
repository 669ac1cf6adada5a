"""The outbox under webhooks.max_pending: what is dropped first, and what the SQLite file keeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from twisted.internet.defer import Deferred

from voyager_proxy.webhooks.outbox import InlineWriter, Outbox
from voyager_proxy.webhooks.store import Message, Store

T = TypeVar("T")


def message(name: str, event_type: str) -> Message:
    return Message(f"msg_{name}", event_type, b"{}", 0.0)


def test_drop_order_images_then_others_then_the_newcomer_then_the_oldest(tmp_path: Path) -> None:
    """Full: the oldest image goes first, then other events, then a new unprotected event; protected ones last."""
    store = Store(str(tmp_path / "outbox.sqlite3"))
    dropped: list[str] = []
    outbox = Outbox(store, InlineWriter(), 4, lambda m: dropped.append(m.id))
    for name, event_type in [
        ("image1", "image.ready"),
        ("fit1", "fit.ready"),
        ("rt1", "robotarget.status"),
        ("lost1", "connection.lost"),
    ]:
        outbox.add(message(name, event_type))
    outbox.add(message("cmd1", "command.completed"))
    outbox.add(message("cmd2", "command.completed"))
    outbox.add(message("cmd3", "shot.completed"))
    assert dropped == ["msg_image1", "msg_fit1", "msg_rt1"]
    outbox.add(message("image2", "image.ready"))  # only protected events wait: the newcomer goes
    assert dropped[-1] == "msg_image2" and outbox.pending("msg_image2") is None
    outbox.add(message("restored1", "connection.restored"))  # memory stays bounded: the oldest goes, last resort
    assert dropped[-1] == "msg_lost1"
    assert len(outbox) == 4
    assert [m.id for m in store.pending()] == ["msg_cmd1", "msg_cmd2", "msg_cmd3", "msg_restored1"]
    assert store.counts() == {"pending": 4, "delivered": 0, "failed": 0, "dropped": 5}
    store.close()


class HeldWriter(InlineWriter):
    """Runs each call only when the test releases it, as a busy writer thread would."""

    def __init__(self) -> None:
        self.held: list[Deferred[None]] = []
        self.batches: list[int] = []

    def __call__(self, function: Callable[..., T], *args: Any) -> Deferred[T]:
        if getattr(function, "__name__", "") == "write":
            self.batches.append(len(args[0]))
        released: Deferred[None] = Deferred()
        self.held.append(released)
        return released.addCallback(lambda _: function(*args))

    def release(self) -> None:
        self.held.pop(0).callback(None)


def test_changes_made_while_writing_are_committed_together(tmp_path: Path) -> None:
    """Writes queue behind the one in progress and go in one transaction; flushed() waits for them."""
    store = Store(str(tmp_path / "outbox.sqlite3"))
    writer = HeldWriter()
    outbox = Outbox(store, writer, 100, lambda m: None)
    committed: list[int] = []
    for index in range(5):
        outbox.add(message(str(index), "webhook.test")).addCallback(lambda _, i: committed.append(i), index)
    flushed: list[object] = []
    outbox.flushed().addCallback(flushed.append)
    assert committed == [] and writer.batches == [1]
    writer.release()
    assert committed == [0] and writer.batches == [1, 4] and flushed == []
    writer.release()
    assert committed == [0, 1, 2, 3, 4] and flushed == [None]
    assert len(store.pending()) == 5
    store.close()
