"""Small helpers every bench prints and measures with."""
from __future__ import annotations

import os
import resource
import socket


def say(message: str = "") -> None:
    """Print at once (a bench's lines show while it runs, also through a pipe)."""
    print(message, flush=True)


def cpu() -> float:
    """CPU seconds (user + system) this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
