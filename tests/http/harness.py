"""harness.py - what the HTTP tests of the signed-in site share: the
check counters, a free loopback port, a visitor with a cookie jar who
posts forms with their CSRF token, and `agora serve` started and
stopped. Imported by auth_test.py, editor_test.py, primary_web_test.py
and submit_test.py (http_test.py and primary_test.py predate it)."""

import http.client
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("FAIL - " + what)
        if detail:
            for line in str(detail)[:800].splitlines():
                print("  | " + line)


def finish():
    """Prints the summary and exits 1 when a check failed"""
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One visitor: a cookie jar and plain requests (no redirects
    followed, so that each status is seen)."""

    timeout = 60

    def __init__(self, port):
        self.port = port
        self.jar = {}
        self.last_cookies = []

    def req(self, path, method="GET", form=None, body=None, headers=None,
            cookies=True):
        h = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            h.setdefault("Content-Type",
                         "application/x-www-form-urlencoded")
        if cookies and self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=self.timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read().decode("utf-8", "replace")
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            self.last_cookies = [v for k, v in r.getheaders()
                                 if k.lower() == "set-cookie"]
            for sc in self.last_cookies:
                name, _, rest = sc.partition("=")
                value = rest.split(";")[0]
                if "Max-Age=0" in sc:
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = value
            return r.status, hdrs, data
        finally:
            c.close()

    def csrf(self, path):
        st, h, body = self.req(path)
        m = re.search(r'name="csrf" value="([^"]+)"', body)
        return m.group(1) if m else None

    def post(self, path, form, csrf_from=None):
        tok = self.csrf(csrf_from or path)
        form = dict(form, csrf=tok)
        return self.req(path, "POST", form=form)


def start(agora, env, port, threads=2):
    """agora serve on a loopback port, once it answers /healthz"""
    proc = subprocess.Popen(
        [agora, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
         str(threads)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit("the server exited: " + proc.stderr.read())
        time.sleep(0.1)
    proc.kill()
    sys.exit("the server did not answer /healthz")


def stop(proc):
    """SIGTERM, as an operator would; the exit status, None if killed"""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
