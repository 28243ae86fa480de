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


#: Chromium's own background services (component updater, network time, sign-in and, since
#: Chromium 150, connections to www.google.com). An empty local page triggers exactly these
#: even with the background-networking flags; they are not requests of the page under test.
#: Anything else (CDNs, font services, ...) is reported. :func:`inspect_pages` sees the page's
#: own requests through the DevTools protocol and needs no such list.
BROWSER_INTERNAL_HOSTS = ("update.googleapis.com", "clients2.google.com", "accounts.google.com",
                          "www.google.com")


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


# --- Inspecting a page through the DevTools protocol -------------------------------------------

#: Collects, after the page settled, what the audit needs from the live DOM.
_PAGE_PROBE = """(() => {
  const imgs = [...document.images].map(i => ({src: i.currentSrc || i.src, complete: i.complete,
                                                width: i.naturalWidth}));
  const maths = [...document.querySelectorAll('.math')];
  const scripts = performance.getEntriesByType('resource')
      .filter(e => e.initiatorType === 'script').map(e => e.name);
  const inline = [...document.scripts].filter(s => !s.src)
      .reduce((n, s) => n + new Blob([s.textContent]).size, 0);
  return {images: imgs, math: maths.length,
          math_typeset: maths.filter(m => m.querySelector('mjx-container')).length,
          mjx: document.querySelectorAll('mjx-container').length,
          scripts: [...new Set([...[...document.scripts].filter(s => s.src).map(s => s.src),
                                ...scripts])],
          inline_js: inline, title: document.title};
})()"""


class _DevTools:
    """A minimal DevTools-protocol client (one browser, one page at a time) over tornado."""

    def __init__(self, ws_url: str):
        import tornado.ioloop
        import tornado.websocket
        self._loop = tornado.ioloop.IOLoop()
        self._ws = self._loop.run_sync(lambda: tornado.websocket.websocket_connect(ws_url,
                                       max_message_size=256 * 2**20))
        self._next = 0
        self._pending = None   # a read_message future that outlived a timeout
        self.events: list[dict] = []

    def call(self, method: str, session: str | None = None, timeout: float = 60.0, **params):
        import json
        import time
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self._ws.write_message(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"DevTools {method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self, deadline: float) -> dict:
        import datetime
        import json
        import time

        import tornado.gen
        remaining = datetime.timedelta(seconds=max(0.1, deadline - time.monotonic()))

        async def next_message():
            # One read stays pending across timeouts: run_sync's own timeout cancels the read,
            # and the next read_message on that connection then fails with "Event loop stopped
            # before Future completed"; with_timeout leaves the read alive for the next call.
            if self._pending is None:
                self._pending = self._ws.read_message()
            return await tornado.gen.with_timeout(remaining, self._pending)

        raw = self._loop.run_sync(next_message)
        self._pending = None
        if raw is None:
            raise RuntimeError("Chromium closed the DevTools connection")
        return json.loads(raw)

    def pump(self, seconds: float) -> None:
        """Collect events for ``seconds``."""
        import time
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                self.events.append(self._read(end))
            except TimeoutError:
                break
            except Exception as exc:  # tornado raises its own timeout type
                if "Timeout" in type(exc).__name__:
                    break
                raise

    def close(self):
        self._ws.close()
        self._loop.close()


def _devtools_url(proc, timeout: float = 30.0) -> str:
    import re
    import time
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        match = re.search(r"DevTools listening on (ws://\S+)", line)
        if match:
            return match.group(1)
    raise RuntimeError("Chromium did not open its DevTools port:\n" + "".join(seen[-20:]))


def inspect_pages(urls, profile_dir: Path, settle_s: float = 1.0) -> dict:
    """Load each URL in one headless Chromium and report what a reader's browser saw.

    Returns ``{url: {"errors": [...], "requests": [...], "images": [...], "math": n,
    "math_typeset": n, "mjx": n, "scripts": [...], "inline_js": bytes}}``. ``errors`` holds
    uncaught exceptions, ``console.error`` calls and browser log entries of level error
    (failed loads included); ``requests`` every URL asked for that is neither ``file:`` nor
    ``data:`` (a site that works offline has none).
    """
    import json
    chromium = ensure_chromium()
    proc = subprocess.Popen([chromium, *CHROMIUM_FLAGS, "--remote-debugging-port=0",
                             f"--user-data-dir={profile_dir}", "about:blank"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    report = {}
    try:
        tools = _DevTools(_devtools_url(proc))
        try:
            for url in urls:
                target = tools.call("Target.createTarget", url="about:blank")["targetId"]
                session = tools.call("Target.attachToTarget", targetId=target,
                                     flatten=True)["sessionId"]
                for domain in ("Page", "Runtime", "Log", "Network"):
                    tools.call(f"{domain}.enable", session)
                tools.events.clear()
                tools.call("Page.navigate", session, url=url)
                loaded = False
                for _ in range(600):
                    tools.pump(0.1)
                    if any(e.get("method") == "Page.loadEventFired" for e in tools.events):
                        loaded = True
                        break
                if not loaded:
                    raise RuntimeError(f"{url} did not finish loading")
                # MathJax typesets after load; wait for it when the page has it.
                tools.call("Runtime.evaluate", session, awaitPromise=True, expression=(
                    "(window.MathJax && MathJax.startup && MathJax.startup.promise) "
                    "? MathJax.startup.promise.then(() => true) : true"))
                tools.pump(settle_s)
                probe = tools.call("Runtime.evaluate", session, expression=_PAGE_PROBE,
                                   returnByValue=True)["result"]["value"]
                errors, requests = [], []
                for ev in tools.events:
                    method, params = ev.get("method"), ev.get("params", {})
                    if method == "Runtime.exceptionThrown":
                        d = params["exceptionDetails"]
                        errors.append(d.get("exception", {}).get("description") or d.get("text"))
                    elif method == "Runtime.consoleAPICalled" and params["type"] in ("error",
                                                                                     "assert"):
                        errors.append(" ".join(str(a.get("value", a.get("description")))
                                               for a in params["args"]))
                    elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                        errors.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
                    elif method == "Network.requestWillBeSent":
                        req = params["request"]["url"]
                        if not req.startswith(("file:", "data:", "about:")):
                            requests.append(req)
                report[url] = {"errors": errors, "requests": requests, **probe}
                tools.call("Target.closeTarget", targetId=target)
        finally:
            tools.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    json.dumps(report)  # everything above is plain data
    return report


def script_bytes(page_report: dict) -> int:
    """JavaScript bytes a page loaded: its local script files (as loaded) and inline scripts."""
    from urllib.parse import unquote, urlparse
    total = page_report["inline_js"]
    for src in page_report["scripts"]:
        url = urlparse(src)
        if url.scheme == "file":
            path = Path(unquote(url.path))
            total += path.stat().st_size if path.exists() else 0
    return total


def main(argv=None) -> int:
    """``python -m tests.browser HTML_DIR``: inspect every page of a built site, print JSON."""
    import argparse
    import json
    import tempfile
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("html_dir", type=Path)
    args = parser.parse_args(argv)
    pages = sorted(p for p in args.html_dir.glob("*.html")
                   if p.name not in ("search.html", "genindex.html"))
    if not pages:
        raise SystemExit(f"{args.html_dir}: no .html pages; build the book first (make book)")
    with tempfile.TemporaryDirectory() as tmp:
        report = inspect_pages([p.resolve().as_uri() for p in pages], Path(tmp) / "profile")
    summary = {}
    for page, r in zip(pages, report.values(), strict=True):
        summary[page.name] = {
            "console_errors": r["errors"], "remote_requests": r["requests"],
            "images": len(r["images"]),
            "images_broken": [i["src"][:80] for i in r["images"] if not i["width"]],
            "math": r["math"], "math_typeset": r["math_typeset"],
            "js_bytes": script_bytes(r), "mathjax_bundles": sum(
                "tex-chtml" in s or "tex-mml" in s or "tex-svg" in s for s in r["scripts"])}
    print(json.dumps(summary, indent=1))
    bad = [n for n, s in summary.items() if s["console_errors"] or s["remote_requests"]
           or s["images_broken"] or s["math"] != s["math_typeset"] or s["js_bytes"] > 2_000_000
           or s["mathjax_bundles"] > 1]
    print(f"{len(summary)} pages, {sum(s['images'] for s in summary.values())} images, "
          f"{sum(len(s['console_errors']) for s in summary.values())} console errors, "
          f"largest JS {max(s['js_bytes'] for s in summary.values()) / 1e6:.2f} MB; "
          f"pages with problems: {bad or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
