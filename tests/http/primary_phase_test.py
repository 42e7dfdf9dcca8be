#!/usr/bin/env python3
"""primary_phase_test.py AGORA SRCDIR - the organiser's phase changes on
the web (issue 5): /primary/SLUG/admin, for administrators only.

An administrator sees the next phase, confirms it and the primary's page
shows it; the change is in the hash-chained audit log with the
administrator as its actor, and `agora verify` passes. A citizen gets
403, a post without a CSRF token 403, an unconfirmed form 400, a move
that is not forward (closed -> vote) 409: none of them changes the
phase, its dates, the board or the audit log.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import harness
from harness import Browser, check, free_port, stop

AGORA, SRC = sys.argv[1], sys.argv[2]
SLUG = "ph-2027"
P = "/primary/" + SLUG
A = P + "/admin"
FAST = "1,8192"  # libsodium's minimums: tests only
PASSWORD = "correct horse battery"


def agora(env, *args, stdin=None):
    r = subprocess.run([AGORA] + list(args), env=env, input=stdin,
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit("agora %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def sign_in(port, email):
    b = Browser(port)
    st, _, _ = b.post("/signin", {"email": email, "password": PASSWORD})
    check(st == 303 and "agora_session" in b.jar, "%s signs in" % email, st)
    return b


def state(dbpath):
    """The phase, how many phase dates, board entries and audit entries"""
    con = sqlite3.connect(dbpath)
    try:
        return con.execute(
            "SELECT phase,"
            " (SELECT count(*) FROM primary_phase WHERE primary_id = p.id),"
            " (SELECT count(*) FROM board WHERE primary_id = p.id),"
            " (SELECT count(*) FROM audit)"
            " FROM primary_election p WHERE slug = ?", (SLUG,)).fetchone()
    finally:
        con.close()


def audits(dbpath):
    con = sqlite3.connect(dbpath)
    try:
        return con.execute(
            "SELECT coalesce(a.actor, 0), u.email, a.action, a.object,"
            " a.detail FROM audit a LEFT JOIN user u ON u.id = a.actor"
            " WHERE a.action = 'primary.phase' ORDER BY a.seq").fetchall()
    finally:
        con.close()


def flows(port, dbpath, env):
    anon = Browser(port)
    admin = sign_in(port, "orga@example.org")
    cit = sign_in(port, "cit@example.org")

    # who sees the form
    st, _, body = admin.req(P)
    check(st == 200 and 'href="%s"' % A in body,
          "the primary's page links administrators to the organiser page",
          body[-1500:])
    st, _, body = cit.req(P)
    check(st == 200 and 'href="%s"' % A not in body,
          "no organiser link for a citizen", None)
    st, _, body = anon.req(P)
    check(st == 200 and 'href="%s"' % A not in body,
          "no organiser link for an anonymous visitor", None)
    st, h, _ = anon.req(A)
    check(st == 303 and h.get("location", "").endswith("/signin"),
          "anonymous: the organiser page asks to sign in", (st, h))
    st, _, _ = cit.req(A)
    check(st == 403, "a citizen: the organiser page is 403", st)
    st, _, body = admin.req(A)
    check(st == 200 and 'name="csrf"' in body and
          'name="phase" value="support"' in body and
          'class="next-phase" data-phase="support"' in body and
          'name="confirm"' in body,
          "the administrator sees the next phase (support) to confirm",
          body[-2000:])

    # refusals change nothing
    before = state(dbpath)
    st, _, _ = cit.post(A, {"phase": "support", "confirm": "1"}, P)
    check(st == 403 and state(dbpath) == before,
          "a citizen's phase change: 403, nothing changed", st)
    st, _, _ = admin.req(A, "POST", form={"phase": "support",
                                          "confirm": "1"})
    check(st == 403 and state(dbpath) == before,
          "a phase change without a CSRF token: 403, nothing changed", st)
    st, _, _ = admin.post(A, {"phase": "support"})
    check(st == 400 and state(dbpath) == before,
          "an unconfirmed phase change: 400, nothing changed", st)
    st, _, _ = admin.post(A, {"phase": "later", "confirm": "1"})
    check(st == 400 and state(dbpath) == before,
          "an unknown phase: 400, nothing changed", st)
    st, _, body = admin.post(A, {"phase": "declaration", "confirm": "1"})
    check(st == 409 and state(dbpath) == before,
          "the current phase again: 409, nothing changed", (st, body[-600:]))

    # the administrator moves the phase
    st, h, _ = admin.post(A, {"phase": "support", "confirm": "1"})
    check(st == 303 and h.get("location", "").endswith(P),
          "the administrator moves to the support phase: back to the page",
          (st, h))
    st, _, body = anon.req(P)
    check('<strong data-phase="support">' in body,
          "the primary's page shows the new phase", body[-2000:])
    after = state(dbpath)
    check(after[0] == "support" and after[1] == before[1] + 1 and
          after[2] == before[2] + 1 and after[3] == before[3] + 1,
          "one phase date, one board entry, one audit entry",
          (before, after))
    log = audits(dbpath)
    check(len(log) == 1 and log[0][1] == "orga@example.org" and
          log[0][3] == "primary:" + SLUG and
          log[0][4] == "phase=support from=declaration",
          "the audit entry names the administrator, the primary and the "
          "move", log)

    # a stale form: the same move twice is a conflict
    before = state(dbpath)
    st, _, body = admin.post(A, {"phase": "support", "confirm": "1"})
    check(st == 409 and state(dbpath) == before and "rien" in body,
          "the same move again (a stale form): 409, nothing changed", st)

    # to the close (the command line's moves are audited too), then an
    # illegal move back
    st, _, _ = admin.post(A, {"phase": "vote", "confirm": "1"})
    check(st == 303 and state(dbpath)[0] == "vote",
          "the administrator opens the vote", st)
    agora(env, "primary", "phase", SLUG, "closed")
    log = audits(dbpath)
    check(len(log) == 3 and log[2][0] == 0 and
          log[2][4] == "phase=closed from=vote",
          "the command line's close is audited, actor 0", log)
    st, _, body = admin.req(A)
    check(st == 200 and 'name="phase"' not in body and "close" in body,
          "once closed the organiser page offers no next phase",
          body[-1000:])
    before = state(dbpath)
    st, _, body = admin.post(A, {"phase": "vote", "confirm": "1"},
                            "/account")
    check(st == 409 and state(dbpath) == before and
          "phases only move forward" in body,
          "closed -> vote: 409, nothing changed", (st, body[-800:]))
    st, _, _ = admin.post("/primary/nope/admin",
                          {"phase": "vote", "confirm": "1"}, "/account")
    check(st == 404, "an unknown primary: 404", st)


def main():
    tmp = tempfile.mkdtemp(prefix="agora-phase-")
    proc = None
    try:
        dbpath = os.path.join(tmp, "agora.db")
        env = dict(os.environ, AGORA_DB=dbpath, AGORA_PWHASH_LIMITS=FAST)
        agora(env, "primary", "create", SLUG, "--title", "Primaire",
              "--open")
        agora(env, "primary", "candidate", "add", SLUG, "--name",
              "Olga Orga")
        agora(env, "user", "add", "orga@example.org", "--role", "administrator",
              stdin=PASSWORD + "\n")
        agora(env, "user", "add", "cit@example.org", "--role", "citizen",
              stdin=PASSWORD + "\n")
        port = free_port()
        proc = harness.start(AGORA, env, port)
        check(True, "server up on port %d" % port)
        flows(port, dbpath, env)
        rc = stop(proc)
        proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0", rc)
        r = subprocess.run([AGORA, "verify"], env=env, capture_output=True,
                           text=True)
        check(r.returncode == 0, "agora verify passes: the audit chain "
              "holds", r.stdout + r.stderr)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
