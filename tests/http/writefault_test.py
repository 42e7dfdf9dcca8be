#!/usr/bin/env python3
"""writefault_test.py AGORA SRCDIR - every form that writes, with a write
failing in the middle of its transaction.

On a full disk or an I/O error SQLite may roll a whole transaction back
by itself and go on in autocommit mode; a handler that carried on would
then write the rest of its change without the first part. The test
builds (the sanitizers on) take AGORA_FAULT_WRITE=N: the Nth write
statement of every write transaction fails that way (core/db.c). For
N = 1, 2, 3, ... the server is started with it and each form of
writeforms.py not yet stored is sent again: it either gets the 503 page
(the JSON error under /api/) with one log line and leaves every table
and the outbox as they were, or (its transactions have fewer than N
writes) is stored whole, with its usual answer (303 for most).
At N = 1 every form must be refused; by the end every form is stored.
Before that, AGORA_FAULT_COMMIT=1 makes every COMMIT fail instead: every
form must be refused the same way, and none may have published what it
prepared (mail in the outbox, a session cookie) before its commit.
Then `agora verify` and SQLite's integrity check.

Needs no root (unlike storage_test.py). Skips (77) on a build without
fault injection. Prints one "ok - ..." line per check, then
"N passed, M failed".
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import writeforms  # noqa: E402
from harness import check  # noqa: E402

AGORA, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
SKIP = 77
MAX_N = 16  # more write statements than any form runs in a transaction


def agora(env, *args):
    r = subprocess.run([AGORA] + list(args), env=env, capture_output=True,
                       text=True)
    if r.returncode:
        sys.exit("agora %s: %s" % (" ".join(args), r.stderr))
    return r


def faulted(env, port, logpath, n):
    """The server with AGORA_FAULT_WRITE=n, None if the build has none"""
    size = os.path.getsize(logpath) if os.path.exists(logpath) else 0
    proc = harness.start(AGORA, dict(env, AGORA_FAULT_WRITE=str(n)), port,
                         logpath=logpath)
    with open(logpath, errors="replace") as f:
        f.seek(size)
        if "AGORA_FAULT_WRITE" not in f.read():
            harness.stop(proc)
            return None
    return proc


def run(tmp):
    dbpath = os.path.join(tmp, "agora.db")
    logpath = os.path.join(tmp, "serve.log")
    env = dict(os.environ, AGORA_DB=dbpath, AGORA_PWHASH_LIMITS="1,1")
    corpus = os.path.join(SRC, "corpus", "valbrune-2026")
    agora(env, "election", "add", writeforms.E, "--title", "Valbrune",
          "--date", "2026-03-15", "--language", "fr")
    agora(env, "ingest", "--election", writeforms.E, "--candidate",
          "Claire Mercier", "--family-name", "Mercier",
          os.path.join(corpus, "mercier.html"))
    writeforms.setup(AGORA, env, corpus)

    # signed in while writes work: the sessions outlive the restarts
    port = harness.free_port()
    proc = harness.start(AGORA, env, port, logpath=logpath)
    who = writeforms.signed_in(AGORA, env, port)
    forms = writeforms.forms(SRC, dbpath, who)
    check(harness.stop(proc) == 0, "the server stops cleanly")

    # COMMIT itself failing (AGORA_FAULT_COMMIT): every form refused,
    # and nothing it prepared (mail, a session) published before it
    proc = harness.start(AGORA, dict(env, AGORA_FAULT_COMMIT="1"), port,
                         logpath=logpath)
    try:
        with open(logpath, errors="replace") as f:
            if "AGORA_FAULT_COMMIT" not in f.read():
                print("SKIP: this build has no fault injection (the "
                      "sanitizers off)")
                sys.exit(SKIP)
        before = writeforms.snapshot(dbpath)
        for f in forms:
            since = writeforms.log_size(logpath)
            st, h, body = f.send()
            lines = f.lines(logpath, h, since)
            now = writeforms.snapshot(dbpath)
            check(st == 503 and f.refusal(body) and len(lines) == 1 and
                  "the disk is full" in lines[0] and now == before and
                  "agora_session" not in h.get("set-cookie", ""),
                  "COMMIT fails: %s: 503, one log line, no session, every "
                  "table and the outbox as they were" % f.what,
                  (st, writeforms.error_of(body), lines,
                   writeforms.changed(before, now)))
    finally:
        check(harness.stop(proc) == 0, "COMMIT fails: the server stops "
              "cleanly")

    left = list(forms)
    for n in range(1, MAX_N + 1):
        proc = faulted(env, port, logpath, n)
        if proc is None:
            print("SKIP: this build has no fault injection (the "
                  "sanitizers off)")
            sys.exit(SKIP)
        try:
            before = writeforms.snapshot(dbpath)
            still = []
            for f in left:
                since = writeforms.log_size(logpath)
                st, h, body = f.send()
                lines = f.lines(logpath, h, since)
                if st == 503:
                    now = writeforms.snapshot(dbpath)
                    check(f.refusal(body) and len(lines) == 1 and
                          "rolled the transaction back" in lines[0] and
                          now == before,
                          "write %d fails: %s: 503, one log line, every "
                          "table and the outbox as they were"
                          % (n, f.what),
                          (writeforms.error_of(body), lines,
                           writeforms.changed(before, now)))
                    still.append(f)
                else:
                    check(n > 1 and st == f.ok and f.done(),
                          "write %d fails: %s: it has fewer writes, "
                          "stored whole (%d)" % (n, f.what, f.ok),
                          (st, writeforms.error_of(body), lines))
                    before = writeforms.snapshot(dbpath)
            left = still
        finally:
            check(harness.stop(proc) == 0, "write %d: the server stops "
                  "cleanly" % n)
        if not left:
            break
    check(not left, "every form was stored once its writes could pass",
          [f.what for f in left])

    r = subprocess.run([AGORA, "verify"], env=env, capture_output=True,
                       text=True)
    check(r.returncode == 0, "agora verify passes", r.stdout + r.stderr)
    r = writeforms.integrity(dbpath)
    check(r == "ok", "SQLite's integrity check: ok", r)
    with open(logpath, errors="replace") as f:
        log = f.read()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "no sanitizer report in the server's log")


def main():
    tmp = tempfile.mkdtemp(prefix="agora-writefault-")
    try:
        run(tmp)
    finally:
        if harness.failed:
            print("# the server's log: " + os.path.join(tmp, "serve.log"))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


main()
