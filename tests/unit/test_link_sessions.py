"""What the link tells other layers about its sessions: values, never the session objects."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.fake_voyager import SESSION_KEY, VERSION_LINE, FakeVoyager
from voyager_proxy.voyager import NotReady, SessionRef

SECOND_KEY = "1795490000.12345"
SECOND_VERSION = (
    b'{"Event":"Version","Timestamp":1795490000.12345,"Host":"OBS1","Inst":1,"VOYVersion":"R","MsgVersion":1}'
)


def _reconnect(voyager: FakeVoyager, check_between: Callable[[], bool] = lambda: True) -> None:
    voyager.drop()
    assert check_between()
    voyager.clock.advance(voyager.settings.reconnect_initial_delay * 1.5)  # the delay has jitter
    voyager.accept()
    voyager.say(SECOND_VERSION)
    (dashboard,) = voyager.said_by_link()
    voyager.finish(dashboard)


def test_ready_session_is_numbered_and_keyed() -> None:
    """Each ready session is a SessionRef with the next number and its own key; none while disconnected."""
    voyager = FakeVoyager()
    link = voyager.link  # two names: mypy would keep one name's narrowing by an assert across the reconnection
    assert link.ready_session is None
    voyager.ready()
    assert voyager.link.ready_session == SessionRef(1, SESSION_KEY)
    _reconnect(voyager, check_between=lambda: link.ready_session is None)
    assert voyager.link.ready_session == SessionRef(2, SECOND_KEY)
    voyager.stop()


def test_setup_steps_get_the_session_as_a_value_and_may_send_on_it() -> None:
    """A setup step gets the configuring session's SessionRef and can submit on it before the link is ready."""
    voyager = FakeVoyager()
    seen: list[SessionRef] = []

    def step(session: SessionRef) -> None:
        seen.append(session)
        assert not voyager.link.status.ready
        voyager.link.submit("RemoteGetStatus", {}, session=session)

    voyager.link.add_session_setup(step)
    voyager.link.startService()
    voyager.accept()
    voyager.say(VERSION_LINE)
    first, dashboard = voyager.said_by_link()
    assert seen == [SessionRef(1, SESSION_KEY)]
    assert [first["method"], dashboard["method"]] == ["RemoteGetStatus", "RemoteSetDashboardMode"]
    voyager.finish(first)
    voyager.finish(dashboard)
    voyager.stop()


def test_submit_on_an_ended_session_is_not_ready() -> None:
    """A command for a session that has ended fails with NotReady and is not written to the new one."""
    voyager = FakeVoyager()
    voyager.ready()
    old = voyager.link.ready_session
    assert old is not None
    _reconnect(voyager)
    with pytest.raises(NotReady):
        voyager.link.submit("RemoteGetStatus", {}, session=old)
    assert voyager.said_by_link() == []
    current = voyager.link.ready_session
    assert current is not None and current.number == old.number + 1
    command = voyager.link.submit("RemoteGetStatus", {}, session=current)
    (request,) = voyager.said_by_link()
    voyager.finish(request)
    assert command.is_final
    voyager.stop()
