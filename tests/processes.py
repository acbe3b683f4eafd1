"""Real gunicorn processes for tests, on a socket the test bound itself: parallel runs never race for a port."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # gunicorn reads gunicorn.conf.py from here


def loopback_socket() -> socket.socket:
    """A listening socket on a free loopback port, ready to hand to a child process."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    """The http URL a loopback socket answers on."""
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def start_gunicorn(sock: socket.socket, env: dict, *args: str, output=subprocess.PIPE) -> subprocess.Popen:
    """`gunicorn ARGS --bind fd://N`, serving on the already bound socket."""
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "--no-control-socket", *args,
                             "--bind", f"fd://{sock.fileno()}"], cwd=ROOT, env=env, stdout=output,
                            stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),))
