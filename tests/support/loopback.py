"""Serve a factory on an ephemeral port of 127.0.0.1, for the tests over real TCP."""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.interfaces import IListeningPort, IProtocolFactory


async def listen_locally(factory: IProtocolFactory) -> tuple[IListeningPort, int]:
    """The listening port and its number."""
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(factory)
    address = port.getHost()
    assert isinstance(address, IPv4Address)
    return port, address.port


async def stop_listening(port: IListeningPort) -> None:
    """Stop listening, waiting for the port to close when it says it must be waited for."""
    stopped = port.stopListening()
    if stopped is not None:
        await stopped
