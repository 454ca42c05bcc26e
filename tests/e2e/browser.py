"""
tests/e2e/browser.py: the one way the e2e tests drive a real browser: Debian's Chromium,
headless, through Debian's chromedriver (given by path, so selenium never tries to fetch a
driver), as root with --no-sandbox, at 1366x768; and the page of "another site" that the
tests of the control API's web defences open in it.
"""
import http.server
import threading

from harness import need

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def chromium(*extra_args):
    """A new headless Chromium (the caller quits it); skips, naming the probe, without one."""
    need("chromium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1366,768", "--no-proxy-server", *extra_args):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_script_timeout(30)
    d.set_page_load_timeout(30)
    return d


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = b"<!doctype html><title>another site</title><body><p>hello</p></body>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class OtherSite:
    """A plain page on another local port: `with OtherSite() as url:`."""

    def __enter__(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
