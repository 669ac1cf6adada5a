"""The README's curl walk through, run line by line against the daemon."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docutils.core
import docutils.nodes
import docutils.utils
import pytest

from tests.support.daemon import ROOT, Daemon

CURL_LINE = re.compile(r"^\s+\$ (curl .*)$")


def readme_curl_lines() -> list[str]:
    return [m.group(1) for line in (ROOT / "README.rst").read_text().splitlines() if (m := CURL_LINE.match(line))]


def test_readme_has_a_walk_through() -> None:
    """The README shows curl commands to try."""
    assert len(readme_curl_lines()) >= 8


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)")
def test_every_curl_line_succeeds(proxy_with_simulator: Daemon, tmp_path: Path) -> None:
    """Each README curl line, pointed at the daemon, gets a 2xx answer."""
    for line in readme_curl_lines():
        command = line.replace("127.0.0.1:3000", f"127.0.0.1:{proxy_with_simulator.port}")
        command = command.replace("@examples/", f"@{ROOT}/examples/")
        result = subprocess.run(
            f"{command} -w '\\n%{{http_code}}'", shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        status = result.stdout.rstrip().rsplit("\n", 1)[-1]
        assert result.returncode == 0 and status.startswith("2"), (line, result.stdout, result.stderr)
    assert (tmp_path / "preview.jpg").read_bytes()[:2] == b"\xff\xd8"


@pytest.mark.parametrize("name", ["README.rst", "SECURITY.rst"])
def test_readme_is_valid_restructuredtext(name: str) -> None:
    """README.rst (the package's long description) and SECURITY.rst render with no docutils warning or error."""
    document = docutils.core.publish_doctree(
        (ROOT / name).read_text(encoding="utf-8"),
        settings_overrides={"report_level": 5, "halt_level": 5, "warning_stream": False},
    )
    problems = [
        f"line {message.get('line')}: {message.astext()}"
        for message in document.findall(docutils.nodes.system_message)
        if message["level"] >= docutils.utils.Reporter.WARNING_LEVEL
    ]
    assert problems == []


def test_the_readme_links_the_security_notes() -> None:
    """README.rst points the sysadmin to SECURITY.rst."""
    assert ".. _SECURITY.rst: SECURITY.rst" in (ROOT / "README.rst").read_text(encoding="utf-8")
