"""One scheduler per store: a second refuses to start; SIGTERM stops the first cleanly."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.dbfixtures import db_url, engine  # noqa: F401  (fixtures)
from yuqing.singleton import AlreadyRunning, scheduler_lock


def test_a_second_lock_on_the_same_store_is_refused_and_freed_after(engine):  # noqa: F811
    with scheduler_lock(engine):
        with pytest.raises(AlreadyRunning, match="another yuqing scheduler"):
            with scheduler_lock(engine):
                pass
    with scheduler_lock(engine):  # released: the next scheduler may start
        pass


def _yuqing(home, *argv, **kw):
    env = {**os.environ, "YUQING_HOME": str(home)}
    for name in ("YUQING_DATABASE_URL", "YUQING_CONFIG", "YUQING_SOURCES"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "yuqing.cli", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def _wait_for(proc, words, timeout_s=60):
    """Read the process's output until a line holds ``words``; return what was read."""
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if words in line:
            return "".join(seen)
    pytest.fail(f"no {words!r} within {timeout_s} s; output so far:\n{''.join(seen)}")


def test_a_second_scheduler_refuses_to_start_and_sigterm_stops_the_first(tmp_path):
    home = tmp_path / "home"
    setup = _yuqing(home, "db", "upgrade")
    assert setup.wait(60) == 0
    first = _yuqing(home, "schedule")
    try:
        _wait_for(first, "scheduler started")
        second = _yuqing(home, "schedule")
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "another yuqing scheduler" in out and "stop it first" in out
        assert "Traceback" not in out
        first.send_signal(signal.SIGTERM)
        rest = _wait_for(first, "scheduler stopped")
        assert first.wait(30) == 0
        assert "finishing the running jobs" in rest
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
