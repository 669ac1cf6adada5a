"""RoboTarget signing against the protocol sheet's test vectors."""

from __future__ import annotations

import pytest

from voyager_proxy.robotarget.signing import command_mac, manager_hash

KEY = "1795484593.57388"
WORDS = ("w1-AAAA", "w2-BBBB", "w3-CCCC", "w4-DDDD")
UID = "0697f2f9-24e4-4850-84e9-18ea28b05fe9"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("hex-base64", "NmE0Zjg5NTRkZTUwOWM0OWNhZTNkMTNlZDVmMTg3OGM2OGY3NDhhYw=="),
        ("raw-base64", "ak+JVN5QnEnK49E+1fGHjGj3SKw="),
    ],
)
def test_manager_hash_vectors(encoding: str, expected: str) -> None:
    """The manager-mode hash matches the protocol sheet's vectors in both encodings."""
    assert manager_hash("s3cr3t", KEY, WORDS, encoding) == expected


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("hex-base64", "NDM1ODc5NTBkM2FlMGE1ZTc3NjYxOTBhOTA1ODAwMjkzNDg4MDkwYw=="),
        ("raw-base64", "Q1h5UNOuCl53ZhkKkFgAKTSICQw="),
    ],
)
def test_command_mac_vectors(encoding: str, expected: str) -> None:
    """The command MAC matches the protocol sheet's vectors in both encodings."""
    assert command_mac("s3cr3t", KEY, 7, UID, encoding) == expected


def test_the_document_example_string_hashes_as_the_sheet_says() -> None:
    """The worked example does not reproduce its printed hash; ours matches the sheet's own check."""
    import base64

    signed = manager_hash("pippo", "1652231344.88438", ("12345678", "abcdefg", "pluto", "paperino"))
    assert base64.b64decode(signed).decode() == "ceb314a5abfeeebc1381a211ba1db08691916d93"


def test_every_input_changes_the_mac() -> None:
    """Secret, session key, request id and UID each change the command MAC."""
    base = command_mac("s3cr3t", KEY, 7, UID)
    assert (
        len(
            {
                base,
                command_mac("s3cr3u", KEY, 7, UID),
                command_mac("s3cr3t", KEY + "1", 7, UID),
                command_mac("s3cr3t", KEY, 8, UID),
                command_mac("s3cr3t", KEY, 7, UID[:-1] + "a"),
            }
        )
        == 5
    )


def test_an_unknown_encoding_is_refused() -> None:
    """An encoding other than hex-base64 or raw-base64 raises ValueError."""
    with pytest.raises(ValueError, match="hex"):
        command_mac("s3cr3t", KEY, 7, UID, "hex")
