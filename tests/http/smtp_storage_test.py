#!/usr/bin/env python3
"""smtp_storage_test.py AGORA SRCDIR - `agora serve --smtp-relay` when
the outbox's storage is read-only: the relay waits, as the outbox alone
does, and sends once the storage is writable again.

The database and the outbox live on a small tmpfs mounted for the test;
a real SMTP server (aiosmtpd) listens on loopback. A message is left in
the outbox (`agora user add --link`), the tmpfs is remounted read-only
and the server started with the relay: it starts (it used to refuse
when the outbox folder could not be made), serves pages, answers a
sign-up with 503, and sends nothing (a message it sent could not move
to sent/ and would go out again at the next start). Remounted
read-write under the running server: the waiting message is sent and
moves to sent/, a sign-up works again and its e-mail is sent too, with
no restart. Then the same start on read-only storage with no outbox
folder at all.

Needs root (mount); skips (exit 77) otherwise or when mount fails.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import os
import sys

try:
    from aiosmtpd.controller import Controller
except ImportError:
    if sys.executable != "/usr/bin/python3" and \
            os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("smtp_storage_test needs aiosmtpd "
             "(apt-get install python3-aiosmtpd)")

import glob
import http.client
import shutil
import subprocess
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, free_port, stop  # noqa: E402

AGORA = os.path.abspath(sys.argv[1])
FAST = "1,8192"  # libsodium's minimums: tests only
SKIP = 77


class Handler:
    def __init__(self):
        self.got = []

    async def handle_DATA(self, server, session, envelope):
        self.got.append(list(envelope.rcpt_tos))
        return "250 OK"


def sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


def run(env, *args, stdin=None):
    return subprocess.run([AGORA] + list(args), env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


def serve(env, port, box, sport):
    proc = subprocess.Popen(
        [AGORA, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
         "2", "--outbox", box, "--mail-from", "agora <agora@example.org>",
         "--smtp-relay", "smtp://127.0.0.1:%d" % sport],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, None
        except OSError:
            pass
        if proc.poll() is not None:
            return None, proc.stderr.read()
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    return None, "the server did not answer /healthz"


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


def remount(mnt, mode):
    r = sh("mount", "-o", "remount," + mode, mnt)
    if r.returncode:
        sys.exit("cannot remount %s %s: %s" % (mnt, mode, r.stderr))


def waits_then_sends(env, mnt, box):
    r = run(env, "user", "add", "left@example.org", "--role", "citizen",
            "--link", "--outbox", box)
    check(r.returncode == 0 and len(glob.glob(box + "/*.eml")) == 1,
          "a message waits in the outbox (user add --link)",
          r.stdout + r.stderr)
    remount(mnt, "ro")
    sport = free_port()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=sport)
    ctl.start()
    h = ctl.handler
    port = free_port()
    proc, why = serve(env, port, box, sport)
    try:
        check(proc is not None, "the server starts with the relay on "
              "read-only storage", why)
        if proc is None:
            return
        b = harness.Browser(port)
        st, _, _ = b.req("/")
        check(st == 200, "it serves pages", st)
        st = signup(port, "ro@example.org")
        check(st == 503, "a sign-up (which needs mail) gets 503", st)
        time.sleep(2)
        check(not h.got and len(glob.glob(box + "/*.eml")) == 1 and
              not glob.glob(box + "/sent/*.eml"),
              "the relay sends nothing while the outbox cannot take the "
              "message back", (h.got, os.listdir(box)))
        remount(mnt, "rw")
        check(wait_for(lambda: ["left@example.org"] in h.got, 30),
              "storage writable again: the waiting message is sent, "
              "with no restart", h.got)
        check(wait_for(lambda: not glob.glob(box + "/*.eml") and
                       len(glob.glob(box + "/sent/*.eml")) == 1, 10),
              "and moves to sent/", os.listdir(box))
        # the first write made between requests finds the storage
        # writable (README, "Reliability"): a few tries, each its own
        # address (the sign-up's rate limit counts per address)
        addr = None
        for i in range(8):
            if signup(port, "back%d@example.org" % i) in (200, 303):
                addr = "back%d@example.org" % i
                break
            time.sleep(1)
        check(addr is not None, "a sign-up works again")
        check(addr and wait_for(lambda: [addr] in h.got, 30),
              "and its e-mail is sent through the relay", h.got)
    finally:
        if proc is not None:
            rc = stop(proc)
            log = proc.stderr.read()
            check(rc == 0, "the server stops cleanly", rc)
            check("read-only storage: mail waits" in log and
                  "writable again: sending" in log,
                  "the log says the relay waits, then sends", log[-1500:])
        ctl.stop()


def no_outbox_folder(env, mnt, box):
    shutil.rmtree(box)
    remount(mnt, "ro")
    port = free_port()
    proc, why = serve(env, port, box, free_port())
    try:
        check(proc is not None, "with no outbox folder on read-only "
              "storage, the server starts with the relay all the same", why)
    finally:
        if proc is not None:
            stop(proc)
        remount(mnt, "rw")


def main():
    if os.geteuid() != 0:
        print("SKIP: mounting a tmpfs needs root (run the test as root)")
        sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="agora-smtp-storage-")
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    r = sh("mount", "-t", "tmpfs", "-o", "size=12m,mode=0700", "tmpfs", mnt)
    if r.returncode:
        shutil.rmtree(tmp, ignore_errors=True)
        print("SKIP: cannot mount a tmpfs: " + r.stderr.strip())
        sys.exit(SKIP)
    try:
        box = os.path.join(mnt, "outbox")
        env = dict(os.environ, AGORA_DB=os.path.join(mnt, "agora.db"),
                   AGORA_PWHASH_LIMITS=FAST, AGORA_SMTP_RETRY="3,0.5,1")
        env.pop("AGORA_SMTP_CREDENTIALS", None)
        r = run(env, "election", "add", "smtp-ro-2026", "--title", "RO")
        if r.returncode:
            sys.exit("setup failed: " + r.stderr)
        waits_then_sends(env, mnt, box)
        no_outbox_folder(env, mnt, box)
    finally:
        sh("mount", "-o", "remount,rw", mnt)
        if sh("umount", mnt).returncode:
            sh("umount", "-l", mnt)
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
