#!/usr/bin/env python3
"""hostile_test.py AGORA SRCDIR - hostile HTTP clients against a real
`agora serve`, while a well-behaved visitor keeps being served.

The server runs with `--timeout 3` (a request's line and headers must
arrive within 3 s, its body at an average of at least 2 KiB/s after
that grace, an idle connection is closed after 3 s) and its built-in
connection limits (256 per address, 1000 in all). The attackers
connect from 127.0.0.2 and 127.0.0.3; the visitor from 127.0.0.1 asks
for the home page every 100 ms during each attack, and each attack
checks that every one of its requests was answered 200 within
VISITOR_BOUND seconds. The attacks:

- slowloris: 200 connections sending their headers one byte at a time,
  and 40 sending a form's body one byte at a time: every one is closed
  by the server within the timeout (plus the reaper's period and slack);
- a huge request line (over 4 KiB: 400; over the 16 KiB of headers: 4xx
  or closed), one huge header, thousands of headers: 4xx or closed; a
  browser's request with 12 kB of cookies is still answered 200;
- invalid %-escapes and invalid UTF-8 in paths, queries and forms
  (escaped and raw): 400, nothing written;
- request smuggling: Content-Length with Transfer-Encoding, duplicate or
  conflicting Content-Length, malformed lengths, unknown codings, bad
  chunk sizes, obs-fold: each answered 400 (or dropped) once, the
  request hidden in the body never runs (no 404 or 405 counted in
  /metrics while it is sent);
- path traversal on /static/ (../, %2e%2e, %2f, backslashes, double
  encoding, NUL): 400 or 404, never a file of the disk;
- 400 connections from one address: at most 256 held, the rest closed
  at once, the held ones closed after the timeout.

At the end the server's open descriptors (its database files aside)
are back to what they were before the attacks (no connection leaked).
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

AGORA, SRC = sys.argv[1], sys.argv[2]
CORPUS = os.path.join(SRC, "corpus", "valbrune-2026")
TIMEOUT = 3         # the server's --timeout
PER_IP = 256        # the server's per-address connection limit
# the slack of "closed within the timeout": the reaper's period (0.5 s)
# plus a loaded 2-core machine running ASan builds
SLACK = 3.0
# a visitor's page while an attack runs, seconds (ASan build, shared
# machine: a quiet one answers in a few ms); `bench/run tsan` runs this
# test against its ThreadSanitizer build, 5-15x slower, with 10
VISITOR_BOUND = float(os.environ.get("AGORA_HOSTILE_BOUND", "2"))


def run(env, *args, stdin=None):
    r = subprocess.run([AGORA, "--quiet"] + list(args), env=env,
                       input=stdin, capture_output=True, text=True)
    if r.returncode:
        sys.exit("agora %s failed: %s" % (" ".join(args), r.stderr))
    return r


def start(env, port):
    proc = subprocess.Popen(
        [AGORA, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
         "2", "--timeout", str(TIMEOUT)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            if read_all(s).startswith(b"HTTP/1.1 200"):
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit("the server exited: " + proc.stderr.read())
        time.sleep(0.1)
    proc.kill()
    sys.exit("the server did not answer /healthz")


def read_all(s, limit=10.0):
    """Everything the server sends until it closes (or `limit` s)"""
    s.settimeout(0.5)
    out = b""
    t_end = time.monotonic() + limit
    while time.monotonic() < t_end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not b:
            break
        out += b
    s.close()
    return out


def connect(port, src="127.0.0.2"):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def raw(port, data, limit=10.0, src="127.0.0.2"):
    """Sends data as is; returns (statuses of the responses, all bytes)"""
    s = connect(port, src)
    try:
        s.sendall(data)
    except OSError:
        pass
    out = read_all(s, limit)
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", out)], out


def status_or_closed(port, data):
    """The first response's status, 0 when dropped without one"""
    st, _ = raw(port, data)
    return st[0] if st else 0


class Visitor(threading.Thread):
    """A visitor from 127.0.0.1 asking for the home page every 100 ms:
    the latency and status of each request, per attack"""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.lock = threading.Lock()
        self.samples = []
        self.running = True

    def run(self):
        while self.running:
            t0 = time.monotonic()
            try:
                s = socket.create_connection(("127.0.0.1", self.port),
                                             timeout=VISITOR_BOUND * 3)
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                out = read_all(s, VISITOR_BOUND * 3)
                st = int(out[9:12]) if out.startswith(b"HTTP/1.1 ") else 0
            except OSError:
                st = 0
            dt = time.monotonic() - t0
            with self.lock:
                self.samples.append((st, dt))
            time.sleep(max(0.0, 0.1 - dt))

    def take(self):
        with self.lock:
            s, self.samples = self.samples, []
        return s


def during(visitor, what, fn):
    """Runs one attack, then checks the visitor was served throughout"""
    visitor.take()
    fn()
    time.sleep(0.3)
    s = visitor.take()
    bad = [x for x in s if x[0] != 200]
    worst = max((x[1] for x in s), default=0.0)
    check(len(s) >= 2 and not bad and worst < VISITOR_BOUND,
          "during %s: the visitor got %d pages, all 200, the slowest in "
          "%.0f ms (bound %.0f ms)" % (what, len(s), worst * 1000,
                                        VISITOR_BOUND * 1000),
          "failed: %r" % bad[:5])


def closed_by_server(s):
    """True once the server closed s (EOF or reset), without blocking"""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(4096) == b""
    except OSError:
        return True


def dribble(socks, payloads, secs):
    """Sends each socket's payload one byte every 0.25 s until the
    server closes it or `secs` pass; returns each one's close time"""
    t0 = time.monotonic()
    pos = [0] * len(socks)
    closed = [None] * len(socks)
    while time.monotonic() - t0 < secs and None in closed:
        for i, s in enumerate(socks):
            if closed[i] is not None:
                continue
            if closed_by_server(s):
                closed[i] = time.monotonic() - t0
                continue
            if pos[i] < len(payloads[i]):
                try:
                    s.send(payloads[i][pos[i]:pos[i] + 1])
                    pos[i] += 1
                except OSError:
                    closed[i] = time.monotonic() - t0
        time.sleep(0.25)
    for s in socks:
        s.close()
    return closed


def slowloris(port):
    n = 200
    socks = [connect(port) for _ in range(n)]
    head = (b"GET / HTTP/1.1\r\nHost: x\r\n" +
            b"".join(b"X-Slow-%d: %s\r\n" % (i, b"a" * 20)
                     for i in range(40)))
    closed = dribble(socks, [head] * n, TIMEOUT + SLACK + 2)
    late = [c for c in closed if c is None or c > TIMEOUT + SLACK]
    check(not late, "slowloris: all %d connections sending their headers "
          "a byte at a time are closed within %d s (+%.0f s)"
          % (n, TIMEOUT, SLACK),
          "still open or late: %d; close times: %r"
          % (len(late), sorted(c or -1 for c in closed)[-5:]))


def slow_body(port):
    n = 40
    socks = [connect(port) for _ in range(n)]
    for s in socks:
        s.sendall(b"POST /signin HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 60000\r\n\r\n")
    closed = dribble(socks, [b"email=" + b"a" * 59994] * n,
                     TIMEOUT + SLACK + 2)
    late = [c for c in closed if c is None or c > TIMEOUT + SLACK]
    check(not late, "slow body: all %d forms sent a byte at a time are "
          "closed within %d s (+%.0f s)" % (n, TIMEOUT, SLACK),
          "still open or late: %d" % len(late))


def huge(port):
    st = status_or_closed(port, b"GET /search?q=" + b"a" * 5000 +
                          b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(st == 400, "a 5 kB request line: 400 (the limit is 4 KiB)", st)
    st = status_or_closed(port, b"GET /search?q=" + b"a" * 200000 +
                          b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(st == 0 or 400 <= st < 500, "a 200 kB request line: 4xx or "
          "dropped", st)
    st = status_or_closed(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " +
                          b"b" * 200000 + b"\r\n\r\n")
    check(st == 0 or 400 <= st < 500, "a 200 kB header: 4xx or dropped",
          st)
    st = status_or_closed(port, b"GET / HTTP/1.1\r\nHost: x\r\n" +
                          b"".join(b"X-%d: y\r\n" % i for i in range(20000))
                          + b"\r\n")
    check(st == 0 or 400 <= st < 500, "20,000 headers: 4xx or dropped",
          st)
    st = status_or_closed(
        port, b"GET / HTTP/1.1\r\nHost: x\r\n"
        b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120\r\n"
        b"Accept-Language: fr-FR,fr;q=0.9,en;q=0.8\r\n"
        b"Cookie: other-site-junk=" + b"c" * 12000 + b"\r\n"
        b"Connection: close\r\n\r\n")
    check(st == 200, "12 kB of cookies (under the 16 KiB of headers): 200",
          st)


def get(port, target):
    return status_or_closed(port, b"GET " + target +
                            b" HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n")


def encodings(port, csrf_body):
    for t in (b"/search?q=%zz", b"/search?q=%f", b"/search?q=abc%",
              b"/search?q=%ff", b"/search?q=%c3%28", b"/search?q=%ed%a0%80",
              b"/search?q=%c0%af", b"/search?q=a%00b", b"/p/%ff",
              b"/e/%zz/compare", b"/api/v1/search?q=%fe",
              b"/search?q=\xff\xfe", b"/e/\xc3\x28"):
        st = get(port, t)
        check(st == 400, "GET %s: 400" % t.decode("latin-1"), st)
    for body in (b"email=%ff&password=x", b"email=%zz&password=x",
                 b"email=\xff\xfe&password=x", b"email=a%00&password=x"):
        data = body + b"&csrf=" + csrf_body[1]
        st = status_or_closed(
            port, b"POST /signin HTTP/1.1\r\nHost: x\r\n"
            b"Cookie: " + csrf_body[0] + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Connection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(data) + data)
        check(st == 400, "a sign-in form with %r: 400" % body[:14], st)


# the request hidden after the first one's body: it must never run
HIDDEN = b"GET /smuggled-request HTTP/1.1\r\nHost: x\r\n\r\n"


def smuggling(port, hidden_ran):
    post = (b"POST /api/v1/primaries/x/ballots HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n")
    cases = [
        ("Content-Length with Transfer-Encoding: chunked",
         post + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"0\r\n\r\n" + HIDDEN),
        ("Transfer-Encoding: chunked with Content-Length",
         post + b"Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n"
         b"0\r\n\r\n" + HIDDEN),
        ("two different Content-Length",
         post + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n"
         % len(HIDDEN) + HIDDEN),
        ("two equal Content-Length",
         post + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
         + HIDDEN),
        ("a list in Content-Length",
         post + b"Content-Length: 2, 2\r\n\r\n{}" + HIDDEN),
        ("Content-Length: +2", post + b"Content-Length: +2\r\n\r\n{}"
         + HIDDEN),
        ("Content-Length: -1", post + b"Content-Length: -1\r\n\r\n{}"
         + HIDDEN),
        ("Content-Length: 0x2", post + b"Content-Length: 0x2\r\n\r\n{}"
         + HIDDEN),
        ("Content-Length of 30 digits",
         post + b"Content-Length: " + b"9" * 30 + b"\r\n\r\n{}" + HIDDEN),
        ("Transfer-Encoding: gzip, chunked",
         post + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
         + HIDDEN),
        ("Transfer-Encoding: xchunked",
         post + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + HIDDEN),
        ("two Transfer-Encoding",
         post + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: "
         b"identity\r\n\r\n0\r\n\r\n" + HIDDEN),
        ("Transfer-Encoding in HTTP/1.0",
         post.replace(b"1.1", b"1.0") + b"Transfer-Encoding: chunked\r\n"
         b"\r\n0\r\n\r\n" + HIDDEN),
        ("a chunk size that is not hex",
         post + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
         + HIDDEN),
        ("a chunk size of 2^80",
         post + b"Transfer-Encoding: chunked\r\n\r\n"
         b"100000000000000000000\r\n{}\r\n0\r\n\r\n" + HIDDEN),
        ("a negative chunk size",
         post + b"Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n"
         + HIDDEN),
        ("a chunk longer than its size",
         post + b"Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n"
         + HIDDEN),
        ("Content-Length folded onto a second line (obs-fold)",
         post + b"X-A: a\r\nContent-Length:\r\n 2\r\n\r\n{}" + HIDDEN),
        ("Transfer-Encoding folded onto a second line (obs-fold)",
         post + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"
         + HIDDEN),
        ("a space before the colon",
         post + b"Content-Length : 2\r\nTransfer-Encoding : chunked\r\n"
         b"\r\n{}" + HIDDEN),
    ]
    for what, data in cases:
        before = hidden_ran()
        st, out = raw(port, data, limit=2 * TIMEOUT + SLACK)
        # libmicrohttpd 0.9.75 sends the head of its own error responses
        # (a malformed Content-Length) twice: one status, seen twice
        check(len(set(st)) <= 1 and (not st or 400 <= st[0] < 500) and
              b"smuggled" not in out and hidden_ran() == before,
              "smuggling, %s: one 4xx or dropped, the hidden request "
              "never answered nor routed" % what, st)
    before = hidden_ran()
    st, out = raw(port, post + b"X-A: a\r\n b\r\nContent-Length: 2\r\n"
                  b"Connection: close\r\n\r\n{}", limit=2 * TIMEOUT)
    check(len(st) == 1 and 400 <= st[0] < 500 and hidden_ran() == before,
          "obs-fold in another header: one 4xx answer", st)


def traversal(port):
    st = get(port, b"/static/agora.css")
    check(st == 200, "the stylesheet itself: 200", st)
    for t in (b"/static/../../../../etc/passwd",
              b"/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
              b"/static/..%2f..%2f..%2fetc%2fpasswd",
              b"/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              b"/static/..%5c..%5c..%5cetc%5cpasswd",
              b"/static/..\\..\\..\\etc\\passwd",
              b"/static/%252e%252e%252fetc%252fpasswd",
              b"/static/agora.css%00.svg", b"/static/./agora.css",
              b"/static//etc/passwd", b"//etc/passwd",
              b"/static/%2fetc%2fpasswd", b"/static/..",
              b"/static/....//....//etc/passwd",
              b"/static/%c0%ae%c0%ae/etc/passwd",
              b"/../../../etc/passwd", b"/static/agora.css/..",
              b"/static/" + os.path.abspath(__file__).encode()):
        st, out = raw(port, b"GET " + t + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
        # the error page repeats the address in its links (escaped):
        # what must never be there is a file's content
        check(len(st) == 1 and st[0] in (400, 404) and b"root:" not in out
              and b"import harness" not in out,
              "GET %s: 400 or 404, no file of the disk"
              % t.decode("latin-1"), st)


def crowd(port):
    n = 400
    socks = []
    for _ in range(n):
        try:
            socks.append(connect(port, "127.0.0.3"))
        except OSError:
            pass
    time.sleep(1.0)
    at_once = [s for s in socks if closed_by_server(s)]
    held = [s for s in socks if s not in at_once]
    check(len(socks) == n and len(held) <= PER_IP and
          len(at_once) >= n - PER_IP,
          "%d connections from one address: %d held (limit %d), %d closed "
          "at once" % (n, len(held), PER_IP, len(at_once)),
          (len(socks), len(held), len(at_once)))
    st, _ = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", limit=2,
                src="127.0.0.3")
    check(not st, "one more from that address is refused while it holds "
          "its limit", st)
    t0 = time.monotonic()
    while time.monotonic() - t0 < TIMEOUT + SLACK + 2:
        if all(closed_by_server(s) for s in held):
            break
        time.sleep(0.25)
    dt = time.monotonic() - t0 + 1.0
    check(all(closed_by_server(s) for s in held),
          "the %d idle connections are closed after the timeout (%.1f s)"
          % (len(held), dt))
    for s in socks:
        s.close()


def open_fds(pid, skip):
    """The server's open descriptors, but for its files under skip: each
    worker thread opens the database (and its -wal) on its first request,
    whichever thread the kernel hands a connection to, so those are
    bounded by the thread count and say nothing of a leak; a leak under
    attack is sockets, pipes or timers."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue  # closed meanwhile
        if not target.startswith(skip + os.sep):
            n += 1
    return n


def metric(port, route, code):
    """agora_http_requests_total{route=..., code=...}, 0 when absent"""
    st, out = raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n", src="127.0.0.1")
    m = re.search(rb'agora_http_requests_total\{route="%s",code="%d"\} '
                  rb'(\d+)' % (route.encode(), code), out)
    return int(m.group(1)) if m else 0


def main():
    tmp = tempfile.mkdtemp(prefix="agora-hostile-")
    proc = None
    try:
        path = os.path.join(tmp, "agora.db")
        env = dict(os.environ, AGORA_DB=path, LANG="C.UTF-8",
                   AGORA_PWHASH_LIMITS="1,8192")
        run(env, "election", "add", "ho", "--title", "Élection")
        run(env, "ingest", "--election", "ho", "--candidate",
            "Claire Mercier", os.path.join(CORPUS, "mercier.html"))
        port = harness.free_port()
        proc = start(env, port)
        check(True, "server up on port %d" % port)

        b = harness.Browser(port)
        tok = b.csrf("/signin")
        cookie = "; ".join("%s=%s" % kv for kv in b.jar.items())
        check(tok is not None, "the sign-in form has a CSRF token")
        csrf = (cookie.encode(), (tok or "").encode())
        time.sleep(TIMEOUT + 1)  # the browser's keep-alive is gone
        fds0 = open_fds(proc.pid, tmp)

        v = Visitor(port)
        v.start()
        during(v, "slowloris on headers and bodies",
               lambda: [t.join() for t in [
                   threading.Thread(target=slowloris, args=(port,)),
                   threading.Thread(target=slow_body, args=(port,))]
                   if t.start() or True])
        during(v, "huge requests", lambda: huge(port))
        during(v, "invalid encodings", lambda: encodings(port, csrf))
        during(v, "smuggling attempts", lambda: smuggling(
            port, lambda: metric(port, "not_found", 404) +
            metric(port, "bad_method", 405)))
        during(v, "path traversal", lambda: traversal(port))
        during(v, "400 connections from one address", lambda: crowd(port))
        v.running = False
        v.join()
        check(proc.poll() is None, "the server is still running")
        time.sleep(TIMEOUT + 1)
        fds = open_fds(proc.pid, tmp)
        check(fds <= fds0, "the server's open descriptors (its database "
              "files aside) are back to %d after the attacks (now %d)" % (fds0, fds))
        rc = harness.stop(proc)
        proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0", rc)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
