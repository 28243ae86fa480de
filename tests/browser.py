"""Headless Chromium for tests: install when missing, render a page, see every request it makes.

Network requests are observed with a recording HTTP proxy on loopback: Chromium is told to send
all traffic (http and https alike, the latter as CONNECT) through it, so any attempt to load a
remote script, stylesheet or font shows up in ``RecordingProxy.requests``. Nothing is forwarded.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socketserver
import subprocess
import threading
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--allow-file-access-from-files",
]


def ensure_chromium() -> str:
    """Path of a Chromium binary; installs Debian's `chromium` when missing and running as root."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.geteuid() != 0:
        raise RuntimeError("Chromium is needed for the browser test: install Debian's `chromium` "
                           "package (apt-get install chromium) or run the tests as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                   check=True, env=env)
    path = shutil.which("chromium")
    if not path:
        raise RuntimeError("apt-get installed chromium but no `chromium` binary is on PATH")
    return path


#: Chromium's own background services (component updater, network time, sign-in). An empty
#: local page triggers exactly these even with the background-networking flags; they are not
#: requests of the page under test. Anything else (CDNs, font services, ...) is reported.
BROWSER_INTERNAL_HOSTS = ("update.googleapis.com", "clients2.google.com", "accounts.google.com")


def _host(request_line: str) -> str:
    target = request_line.split(" ", 1)[1]
    target = target.split("://", 1)[-1]
    return target.split("/", 1)[0].split(":", 1)[0]


class _Recorder(http.server.BaseHTTPRequestHandler):
    def _record(self):
        self.server.requests.append(f"{self.command} {self.path}")
        self.send_error(403, "offline test proxy")

    do_GET = do_POST = do_HEAD = do_CONNECT = do_OPTIONS = _record

    def log_message(self, *args):  # keep test output quiet
        pass


class RecordingProxy(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """An HTTP proxy on 127.0.0.1 that refuses everything and remembers what was asked."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    @property
    def page_requests(self) -> list[str]:
        """Requests other than Chromium's own background services."""
        return [r for r in self.requests if _host(r) not in BROWSER_INTERNAL_HOSTS]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


def render(url: str, screenshot: Path, proxy: RecordingProxy, timeout: float = 90.0) -> str:
    """Screenshot ``url`` and return its DOM after scripts ran, all traffic through ``proxy``."""
    chromium = ensure_chromium()
    common = CHROMIUM_FLAGS + [f"--proxy-server=http://{proxy.address}",
                               "--proxy-bypass-list=<-loopback>",
                               f"--user-data-dir={screenshot.parent / 'chromium-profile'}",
                               "--virtual-time-budget=5000", "--window-size=1280,900"]
    subprocess.run([chromium, *common, f"--screenshot={screenshot}", url], check=True,
                   capture_output=True, timeout=timeout)
    dom = subprocess.run([chromium, *common, "--dump-dom", url], check=True, capture_output=True,
                         text=True, timeout=timeout)
    return dom.stdout
