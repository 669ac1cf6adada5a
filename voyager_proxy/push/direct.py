"""Frames written straight to a TCP socket when the transport holds nothing back."""

from __future__ import annotations

import socket
from collections.abc import Callable

from twisted.internet import tcp
from twisted.internet.interfaces import ITransport


class DirectWriter:
    """
    Writes to a Twisted TCP connection's socket at once, and through the
    transport only what the socket does not take.

    C{transport.write} buffers and asks the reactor to write later: two epoll
    changes and a reactor callback per client and frame. When nothing is
    buffered ahead, the bytes can go to the socket now, in the same order;
    whatever is left goes to the transport, which keeps its usual buffering,
    producer pausing and error handling. This reads Twisted's
    C{FileDescriptor} buffer (C{dataBuffer}, C{_tempDataLen}): kept here alone.
    """

    __slots__ = ("_transport", "_socket")

    def __init__(self, transport: tcp.Connection) -> None:
        self._transport = transport
        self._socket: socket.socket = transport.getHandle()

    def write(self, data: bytes) -> None:
        transport = self._transport
        if (
            transport.dataBuffer
            or transport._tempDataLen
            or not transport.connected
            or transport.disconnecting
            or transport._writeDisconnected
        ):
            transport.write(data)
            return
        try:
            sent = self._socket.send(data)
        except OSError:  # full (EAGAIN), or an error the transport finds when it next reads or writes
            sent = 0
        if sent < len(data):
            transport.write(data[sent:])


def writer_for(transport: ITransport) -> Callable[[bytes], None]:
    """A direct writer's C{write} for a plain TCP connection; C{transport.write} for anything else (TLS, tests)."""
    private = ("dataBuffer", "_tempDataLen", "_writeDisconnected")  # the buffer fields DirectWriter reads
    if isinstance(transport, tcp.Connection) and all(hasattr(transport, name) for name in private):
        return DirectWriter(transport).write
    return transport.write
