"""A registry served for real for a test: bootstrapped into a fresh SQLite file with the demo
accounts, then the processes the test asks for (web servers, the background worker), all
stopped at the end whatever happened."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`passwords` of the demo accounts by user name; `password` is the archivist's."""

    def __init__(self, env, passwords):
        self.env, self.passwords, self.urls, self.processes = env, passwords, [], []
        self.password = passwords["arkivar"]

    def web_server(self) -> str:
        port = free_port()
        self.start("runserver", f"127.0.0.1:{port}", "--noreload")
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        self.urls.append(url)
        return url

    def worker(self):
        self.start("run_worker", "--interval", "0.2")

    def start(self, *command):
        self.processes.append(
            subprocess.Popen(
                [*MANAGE, *command],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )


@contextlib.contextmanager
def served_registry(folder: Path, **env):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'registry.sqlite3'}",
        "REGISTRY_FILES_DIR": str(folder / "files"),
        "DJANGO_DEBUG": "true",
        **env,
    }
    boot = subprocess.run(
        [*MANAGE, "bootstrap", "--demo-users"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    passwords = {
        line.split()[2]: line.rsplit(" ", 1)[1]
        for line in boot.stdout.splitlines()
        if line.startswith("Demo account")
    }
    served = Served(environment, passwords)
    try:
        yield served
    finally:
        for process in served.processes:
            process.terminate()
            process.wait(timeout=10)
