#!/usr/bin/env python3
"""smtp_test.py AGORA SRCDIR - `agora serve --smtp-relay` against a real
SMTP server (aiosmtpd, Debian's python3-aiosmtpd) on loopback.

Checks: the command line refuses a relay that is not smtp(s)://, a
password in the URL, credentials that are not USER:PASSWORD or in a
file others can read; a sign-up's verification e-mail reaches the SMTP
server with the relay's credentials (from a 0600 file), its link
verifies the account, and the .eml moves to outbox/sent/; wrong
credentials: each failure logged, the .eml stays in the outbox; a relay
that is down at first gets the message on a later try (backoff); an
smtp:// relay that is not on loopback and offers no STARTTLS gets
nothing (the credentials never cross in clear). Prints one "ok - ..."
line per check, then "N passed, M failed".
"""
import os
import sys

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:
    # Debian's package is for Debian's python; another python3 may be
    # first in PATH (pyenv): run again under Debian's
    if sys.executable != "/usr/bin/python3" and \
            os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("smtp_test needs aiosmtpd (apt-get install python3-aiosmtpd)")

import email
import glob
import re
import shutil
import socket
import subprocess
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, free_port, stop  # noqa: E402

AGORA, SRC = sys.argv[1], sys.argv[2]
FAST = "1,8192"  # libsodium's minimums: tests only
USER, SECRET = "relay-user", "s3cret:with colon"
BOX = None  # the outbox, set by main()


class Handler:
    def __init__(self):
        self.got = []

    async def handle_DATA(self, server, session, envelope):
        self.got.append((envelope.mail_from, list(envelope.rcpt_tos),
                         envelope.content, session.authenticated))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login == USER.encode() and
          auth_data.password == SECRET.encode())
    return AuthResult(success=ok, handled=False)


def smtp_server(host, port, auth=True):
    h = Handler()
    kw = {}
    if auth:
        kw = dict(authenticator=authenticator, auth_required=True,
                  auth_require_tls=False)
    c = Controller(h, hostname=host, port=port, **kw)
    c.start()
    return c, h


def serve(env, port, *extra):
    proc = subprocess.Popen(
        [AGORA, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
         "2", "--outbox", BOX, "--mail-from",
         "agora <agora@example.org>"] + list(extra),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import http.client
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


def run(env, *args):
    return subprocess.run([AGORA] + list(args), env=env, capture_output=True,
                          text=True, timeout=60)


def signup(port, addr):
    b = harness.Browser(port)
    st, _, _ = b.post("/signup", {"email": addr, "password": "a long pass 1",
                                  "name": "Test"})
    return st


def wait_for(cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def non_loopback_address():
    """An address of this machine that is not loopback, or None"""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
        a = s.getsockname()[0]
        return None if a.startswith("127.") else a
    except OSError:
        return None
    finally:
        s.close()


def cli_refusals(env, tmp):
    port = free_port()
    for args, what, word in (
            (["--smtp-relay", "http://127.0.0.1:25"], "an http:// relay",
             "smtp://"),
            (["--smtp-relay", "smtp://u:pw@127.0.0.1:25"],
             "a password in the relay's URL", "password"),
            (["--smtp-credentials", "/nonexistent"],
             "--smtp-credentials without --smtp-relay", "--smtp-relay")):
        r = run(env, "serve", "--listen", "127.0.0.1:%d" % port, *args)
        check(r.returncode == 2 and word in r.stderr,
              "serve refuses %s (exit 2, says why)" % what,
              (r.returncode, r.stderr))
    loose = os.path.join(tmp, "loose")
    with open(loose, "w") as f:
        f.write("%s:%s\n" % (USER, SECRET))
    os.chmod(loose, 0o644)
    r = run(env, "serve", "--listen", "127.0.0.1:%d" % port,
            "--smtp-relay", "smtp://127.0.0.1:25", "--smtp-credentials",
            loose)
    check(r.returncode == 2 and "chmod 600" in r.stderr,
          "serve refuses a credentials file others can read",
          (r.returncode, r.stderr))
    r = run(dict(env, AGORA_SMTP_CREDENTIALS="no-colon"), "serve",
            "--listen", "127.0.0.1:%d" % port, "--smtp-relay",
            "smtp://127.0.0.1:25")
    check(r.returncode == 2 and "USER:PASSWORD" in r.stderr,
          "serve refuses credentials that are not USER:PASSWORD",
          (r.returncode, r.stderr))


def delivered(env, tmp, box):
    """The verification e-mail through an authenticating relay"""
    sport = free_port()
    ctl, h = smtp_server("127.0.0.1", sport)
    creds = os.path.join(tmp, "creds")
    with open(creds, "w") as f:
        f.write("%s:%s\n" % (USER, SECRET))
    os.chmod(creds, 0o600)
    port = free_port()
    proc = serve(env, port, "--smtp-relay", "smtp://127.0.0.1:%d" % sport,
                 "--smtp-credentials", creds)
    try:
        st = signup(port, "eve@example.org")
        check(st == 200 or st == 303, "a visitor signs up", st)
        check(wait_for(lambda: h.got, 30),
              "the verification e-mail reaches the SMTP server", h.got)
        if h.got:
            frm, rcpt, content, authed = h.got[0]
            m = email.message_from_bytes(content)
            body = m.get_payload(decode=True).decode()
            check(frm == "agora@example.org" and
                  rcpt == ["eve@example.org"] and authed,
                  "envelope: the sender's address, the new account, "
                  "authenticated with the relay's credentials",
                  (frm, rcpt, authed))
            tok = re.search(r"/verify\?token=([A-Za-z0-9_-]{43})", body)
            check(m["To"] == "eve@example.org" and tok is not None,
                  "the message holds the verification link", body)
            if tok:
                b = harness.Browser(port)
                st, _, _ = b.req("/verify?token=" + tok.group(1))
                st2, _, _ = b.post("/signin", {
                    "email": "eve@example.org",
                    "password": "a long pass 1"})
                check(st2 == 303, "its link verifies the account: "
                      "eve signs in", (st, st2))
        check(wait_for(lambda: glob.glob(os.path.join(box, "sent",
                                                      "*.eml")), 10) and
              not glob.glob(os.path.join(box, "*.eml")),
              "the sent .eml moves to outbox/sent/",
              os.listdir(box))
    finally:
        rc = stop(proc)
        ctl.stop()
    check(rc == 0, "the server stops cleanly with the relay", rc)


def refused_credentials(env, box):
    sport = free_port()
    ctl, h = smtp_server("127.0.0.1", sport)
    port = free_port()
    proc = serve(dict(env, AGORA_SMTP_CREDENTIALS=USER + ":wrong",
                      AGORA_SMTP_RETRY="2,0.2,0.2"),
                 port, "--smtp-relay", "smtp://127.0.0.1:%d" % sport)
    try:
        signup(port, "mallory@example.org")
        time.sleep(3)
    finally:
        stop(proc)
        ctl.stop()
    log = proc.stderr.read()
    left = [f for f in glob.glob(os.path.join(box, "*.eml"))
            if "mallory@example.org" in open(f).read()]
    check(not h.got and len(left) == 1,
          "wrong credentials: nothing delivered, the .eml stays in the "
          "outbox", (h.got, left))
    check("smtp: cannot send" in log and "try 1 of 2" in log and
          "giving up" in log,
          "each failure is logged, then the relay gives up", log[-1500:])


def resent_at_start(env, box):
    """What an earlier run left in the outbox goes out at the next start"""
    sport = free_port()
    ctl, h = smtp_server("127.0.0.1", sport, auth=False)
    port = free_port()
    proc = serve(env, port, "--smtp-relay", "smtp://127.0.0.1:%d" % sport)
    try:
        check(wait_for(lambda: h.got, 20) and
              h.got[0][1] == ["mallory@example.org"],
              "a message left in the outbox is sent at the next start",
              h.got)
        check(wait_for(lambda: not glob.glob(os.path.join(box, "*.eml")),
                       10),
              "then it leaves the outbox for sent/", os.listdir(box))
    finally:
        stop(proc)
        ctl.stop()


def retried(env, box):
    sport = free_port()
    port = free_port()
    proc = serve(dict(env, AGORA_SMTP_RETRY="6,0.5,2"), port,
                 "--smtp-relay", "smtp://127.0.0.1:%d" % sport)
    try:
        signup(port, "late@example.org")
        time.sleep(1.5)  # the first try fails: nothing listens
        ctl, h = smtp_server("127.0.0.1", sport, auth=False)
        try:
            check(wait_for(lambda: h.got, 20) and
                  h.got[0][1] == ["late@example.org"],
                  "a relay down at first gets the message on a later try",
                  h.got)
        finally:
            ctl.stop()
    finally:
        stop(proc)
    log = proc.stderr.read()
    check("try 1 of 6" in log, "the failed try was logged", log[-1200:])


def starttls_required(env, box):
    addr = non_loopback_address()
    if not addr:
        print("ok - # SKIP no address other than loopback to test "
              "STARTTLS on")
        return
    sport = free_port()
    try:
        ctl, h = smtp_server(addr, sport, auth=False)
    except Exception as e:  # noqa: BLE001 - cannot listen there
        print("ok - # SKIP cannot listen on %s: %s" % (addr, e))
        return
    port = free_port()
    proc = serve(dict(env, AGORA_SMTP_RETRY="1,1,1"), port,
                 "--smtp-relay", "smtp://%s:%d" % (addr, sport))
    try:
        signup(port, "clear@example.org")
        time.sleep(3)
    finally:
        stop(proc)
        ctl.stop()
    log = proc.stderr.read()
    check(not h.got and "smtp: cannot send" in log,
          "smtp:// off loopback without STARTTLS: nothing sent in clear, "
          "the failure logged", (h.got, log[-800:]))
    for f in glob.glob(os.path.join(box, "*.eml")):
        os.unlink(f)


def main():
    tmp = tempfile.mkdtemp(prefix="agora-smtp-")
    try:
        dbpath = os.path.join(tmp, "agora.db")
        global BOX
        box = BOX = os.path.join(tmp, "outbox")
        env = dict(os.environ, AGORA_DB=dbpath, AGORA_PWHASH_LIMITS=FAST)
        env.pop("AGORA_SMTP_CREDENTIALS", None)
        env.pop("AGORA_SMTP_RETRY", None)
        r = run(env, "election", "add", "smtp-2026", "--title", "SMTP")
        if r.returncode:
            sys.exit("setup failed: " + r.stderr)
        os.makedirs(box)
        cli_refusals(env, tmp)
        delivered(env, tmp, box)
        refused_credentials(env, box)
        resent_at_start(env, box)
        retried(env, box)
        starttls_required(env, box)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
