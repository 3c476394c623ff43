"""The benchmark's server: gunicorn with config.settings.bench on a free localhost port, started
and stopped by the bench (by its own process id). The same environment serves the processes the
bench runs as a worker would (the CSV export)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import CommandError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_env(**extra: str) -> dict[str, str]:
    """This process's environment with the bench settings (production's, over plain HTTP)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        # A random key per run: nothing signed by a bench process outlives it.
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
        **extra,
    }


class Server:
    """gunicorn with the bench settings; `env` adds to them (a read replica's URL)."""

    def __init__(self, *, workers: int, log_path: Path, env: dict[str, str] | None = None) -> None:
        if find_spec("gunicorn") is None:
            raise CommandError(
                "gunicorn is not installed: pip install -e '.[bench]' (make bench does it)"
            )
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = log_path
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=settings.BASE_DIR,
            env=bench_env(**self.env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        log_file.close()

    def wait_ready(self, token: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise CommandError(f"gunicorn exited at start; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/me/", headers=headers).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise CommandError(f"gunicorn did not answer in {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
