"""harness.py - what the HTTP tests of the signed-in site share: the
check counters, a free loopback port, a visitor with a cookie jar who
signs in, posts forms with their CSRF token and uploads multipart
bodies, `agora serve` started and stopped, and a Site: a temporary
database set up by `agora` commands (elections, the corpus's
candidates, accounts with their roles), served, then stopped and
verified. Imported by auth_test.py, editor_test.py, primary_web_test.py,
submit_test.py, material_test.py and claim_test.py (http_test.py and
primary_test.py predate it)."""

import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

passed = failed = 0

# every account the Site makes has this password
PASSWORD = "a long password"
# Argon2id at libsodium's minimums: tests only
FAST = "1,8192"


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

    def signin(self, email, password=PASSWORD):
        """True when the account signed in (303 to its page)"""
        st, _, _ = self.post("/signin", {"email": email,
                                         "password": password})
        return st == 303

    def post_multipart(self, path, fields, file=None):
        """fields and file as multipart() takes them, posted as they
        are (the caller adds the CSRF token to fields)"""
        ctype, body = multipart(fields, file)
        return self.req(path, "POST", body=body,
                        headers={"Content-Type": ctype})


def multipart(fields, file=None):
    """A multipart/form-data body: fields, a dict of texts, then file,
    (file name, declared type, bytes) or None, as the part "file".
    Returns (Content-Type, body)."""
    boundary = "agora-test-boundary-7MA4YWxkTrZu0gW"
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                % (boundary, k)).encode() + v.encode() + b"\r\n"
    if file is not None:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                % (boundary, file[0], file[1])).encode() + file[2] + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=" + boundary, out


def query(dbpath, sql, *args):
    """The rows of one query, on a connection of its own"""
    con = sqlite3.connect(dbpath)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def raw_status(port, head, body=b"", chunk=1 << 16):
    """Sends head then body as far as the server reads it; the status."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        s.sendall(head)
        try:
            for i in range(0, len(body), chunk):
                s.sendall(body[i:i + chunk])
        except OSError:
            pass
        data = b""
        try:
            while b"\r\n" not in data:
                got = s.recv(4096)
                if not got:
                    break
                data += got
        except OSError:
            pass
        m = re.match(rb"HTTP/1\.1 (\d+)", data)
        return int(m.group(1)) if m else None
    finally:
        s.close()


def start(agora, env, port, threads=2, logpath=None, args=()):
    """agora serve on a loopback port, once it answers /healthz; with
    logpath, its stderr is appended to that file (the tests that read
    its log lines) instead of a pipe; args: more options of serve"""
    log = open(logpath, "ab") if logpath else subprocess.PIPE
    proc = subprocess.Popen(
        [agora, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
         str(threads)] + list(args), env=env,
        stdout=subprocess.DEVNULL if logpath else subprocess.PIPE,
        stderr=log, text=True)
    if logpath:
        log.close()  # the child has its own descriptor
    deadline = time.monotonic() + 30  # a loaded machine starts slowly
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            if logpath:
                with open(logpath) as f:
                    sys.exit("the server exited: " + f.read()[-2000:])
            sys.exit("the server exited: " + proc.stderr.read())
        time.sleep(0.05)
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


# ------------------------------------------------- a site to test on

def elections(src, election, other):
    """Set-up steps: an election with Claire Mercier and Antoine Roux
    (their programmes from the corpus), and another election"""
    corpus = os.path.join(src, "corpus", "valbrune-2026")
    return [
        ("election", "add", election, "--title", "Élection"),
        ("election", "add", other, "--title", "Ailleurs"),
        ("--quiet", "ingest", "--election", election, "--candidate",
         "Claire Mercier", os.path.join(corpus, "mercier.html")),
        ("--quiet", "ingest", "--election", election, "--candidate",
         "Antoine Roux", os.path.join(corpus, "roux.xml")),
    ]


def candidate(email, election, slug):
    """Set-up step: an account linked to the candidacy election/slug"""
    return ("user", "add", email, "--role", "candidate", "--election",
            election, "--candidate", slug)


def editor(email, election):
    """Set-up step: an editor of one election"""
    return ("user", "add", email, "--role", "editor", "--election",
            election)


def account(email, role="citizen"):
    """Set-up step: an account with a role of no election
    (citizen, administrator)"""
    return ("user", "add", email, "--role", role)


def campaign(src, election, other):
    """Set-up steps of the candidates' pages: elections(), an account
    for each candidate (claire@ and antoine@example.org), an editor of
    the election (editor@), an editor of the other (outsider@) and a
    citizen (citizen@)"""
    return elections(src, election, other) + [
        candidate("claire@example.org", election, "claire-mercier"),
        candidate("antoine@example.org", election, "antoine-roux"),
        editor("editor@example.org", election),
        editor("outsider@example.org", other),
        account("citizen@example.org"),
    ]


class Site:
    """A temporary database, set up by `agora` commands, served on a
    loopback port; close() stops what is left and removes it all.

        site = Site(AGORA, "agora-x-")
        try:
            site.setup(steps)
            port = site.serve()
            ...
            site.stop()
            r = site.run("verify")
        finally:
            site.close()
    """

    def __init__(self, agora, prefix):
        self.agora = agora
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.dbpath = os.path.join(self.tmp, "agora.db")
        self.env = dict(os.environ, AGORA_DB=self.dbpath,
                        AGORA_PWHASH_LIMITS=FAST)
        self.proc = None

    def run(self, *args, stdin=None):
        """agora ARGS on the site's database: the CompletedProcess"""
        return subprocess.run([self.agora] + list(args), env=self.env,
                              input=stdin, capture_output=True, text=True,
                              timeout=120)

    def setup(self, steps):
        """Runs each step (password PASSWORD on stdin); exits the test
        at the first that fails, saying which"""
        for s in steps:
            r = self.run(*s, stdin=PASSWORD + "\n")
            if r.returncode:
                sys.exit("setup failed: %s: %s" % (" ".join(s), r.stderr))

    def serve(self, threads=2):
        """agora serve on a free port, once it answers: the port"""
        port = free_port()
        self.proc = start(self.agora, self.env, port, threads)
        return port

    def stop(self):
        """SIGTERM; checks the exit status 0, and prints the server's
        log when a check has failed"""
        rc = stop(self.proc)
        err = self.proc.stderr.read() if rc is not None else ""
        self.proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0", rc)
        if failed:
            print("the server's log:\n" + err[-3000:])

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)
