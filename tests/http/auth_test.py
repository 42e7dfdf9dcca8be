#!/usr/bin/env python3
"""auth_test.py AGORA SRCDIR - accounts and sessions as a visitor meets them.

Starts `agora serve` on a temporary database (Argon2id at libsodium's
minimum cost through AGORA_PWHASH_LIMITS, so that the suite stays fast)
and walks each flow and each refusal: sign-up, the .eml in the outbox,
the verification link, sign-in and its cookie's flags, my account, the
page cache never showing one visitor's page to another, sign-out and the
old cookie refused, wrong passwords, rate limits (429), CSRF-less posts
(403), used and expired reset links, oversize and malformed posts, and
an administrators' page refused to a citizen. Then, on a second server
at the real cost, that a page still answers fast while sign-ins hash.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import email
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import Browser, check, free_port, stop  # noqa: F401

AGORA, SRC = sys.argv[1], sys.argv[2]
ELECTION = "auth-2026"
FAST = "1,8192"  # libsodium's minimums: tests only

def outbox_files(box):
    return sorted(glob.glob(os.path.join(box, "*.eml")))


def read_mail(path):
    with open(path, "rb") as f:
        m = email.message_from_bytes(f.read())
    body = m.get_payload(decode=True).decode("utf-8")
    return m, body


def new_mail(box, before):
    new = [f for f in outbox_files(box) if f not in before]
    return new


def link_token(body, what):
    m = re.search(r"/%s\?token=([A-Za-z0-9_-]{43})" % what, body)
    return m.group(1) if m else None


def start(env, port):
    return harness.start(AGORA, env, port)


COOKIE_FLAGS = ("HttpOnly", "Secure", "SameSite=Lax", "Path=/")


def flows(port, box, dbpath, env):
    anon = Browser(port)
    eve = Browser(port)
    con = sqlite3.connect(dbpath)
    gen0 = con.execute("SELECT value FROM meta"
                       " WHERE key = 'search_generation'").fetchone()[0]
    con.close()

    # the forms
    st, h, body = anon.req("/signup")
    check(st == 200 and 'name="csrf"' in body and
          '<label for="email">' in body and
          '<label for="password">' in body,
          "sign-up form: labels and a CSRF token", body[-900:])
    pre = [c for c in anon.last_cookies if c.startswith("agora_pre=")]
    check(pre and all(f in pre[0] for f in COOKIE_FLAGS),
          "pre-session cookie: HttpOnly, Secure, SameSite=Lax", pre)
    check("no-store" in h.get("cache-control", ""),
          "a page with a CSRF token is not stored by caches",
          h.get("cache-control"))

    # refusals before anything is written
    form = {"email": "eve@example.org", "password": "correct horse 1",
            "name": "Ève <b>"}
    st, _, body = eve.req("/signup", "POST", form=form)
    check(st == 403, "sign-up without a CSRF token: 403", st)
    eve.csrf("/signup")
    st, _, _ = eve.req("/signup", "POST", form=dict(form, csrf="x" * 43))
    check(st == 403, "sign-up with a forged CSRF token: 403", st)
    other = Browser(port)
    tok = other.csrf("/signup")
    st, _, _ = eve.req("/signup", "POST", form=dict(form, csrf=tok))
    check(st == 403, "another visitor's CSRF token: 403", st)
    st, _, body = eve.post("/signup", dict(form, email="not-an-address"))
    check(st == 400 and "pas valide" in body,
          "sign-up with a bad address: 400 and why", st)
    st, _, body = eve.post("/signup", dict(form, password="short"))
    check(st == 400 and "8" in body, "sign-up with a short password: 400",
          st)
    check(not outbox_files(box), "no mail for refused sign-ups",
          outbox_files(box))

    # sign-up -> .eml -> verify
    before = outbox_files(box)
    st, _, body = eve.post("/signup", form)
    check(st == 200 and "lien de confirmation" in body,
          "sign-up: 200, check your mailbox", body[-600:])
    mails = new_mail(box, before)
    check(len(mails) == 1, "sign-up writes one .eml to the outbox", mails)
    verify = None
    if mails:
        m, text = read_mail(mails[0])
        verify = link_token(text, "verify")
        check(m["To"] == "eve@example.org" and verify and
              text.count("http://127.0.0.1:%d/verify?token=" % port) == 1,
              "the mail holds the verification link", text)
        check(text.rstrip().endswith("ignorez ce message."),
              "and ends by saying to ignore it if you did not sign up",
              text)
        mode = stat.S_IMODE(os.stat(mails[0]).st_mode)
        check(mode == 0o600, "the .eml is readable by its owner only",
              oct(mode))
    st, _, body = eve.post("/signin", {"email": "eve@example.org",
                                       "password": form["password"]})
    check(st == 403 and "Confirmez" in body and
          "agora_session" not in eve.jar,
          "sign-in before the address is verified: refused", st)
    st, _, body = anon.req("/verify?token=" + "A" * 43)
    check(st == 400 and "inconnu" in body, "an unknown verify link: 400",
          st)
    st, _, _ = anon.req("/verify?token=%s" % verify, method="HEAD")
    st, _, body = anon.req("/verify?token=%s" % verify)
    check(st == 200 and "confirmée" in body,
          "the verify link: 200 (a HEAD before did not use it)", st)
    st, _, body = anon.req("/verify?token=%s" % verify)
    check(st == 400, "the verify link used twice: 400", st)

    # the same address again: same answer, a different mail, no account
    before = outbox_files(box)
    st, _, body = other.post("/signup", dict(form, password="another one"))
    mails = new_mail(box, before)
    text = read_mail(mails[0])[1] if mails else ""
    check(st == 200 and "lien de confirmation" in body and len(mails) == 1
          and "déjà un" in text and "token=" not in text,
          "sign-up with a taken address: same page, a warning mail", text)
    before = outbox_files(box)
    st, h, body = other.post("/signup", dict(form, password="yet another"))
    check(st == 429 and not new_mail(box, before),
          "sign-up: three per address, then 429 (no mail flood)", st)

    # sign-in
    st, h, body = eve.post("/signin", {"email": "eve@example.org",
                                       "password": "wrong password"})
    check(st == 400 and "incorrect" in body and
          "agora_session" not in eve.jar, "a wrong password: refused", st)
    st, h, body = eve.post("/signin", {"email": "nobody@example.org",
                                       "password": "wrong password"})
    check(st == 400 and "incorrect" in body,
          "an unknown address: the same refusal", st)
    st, h, _ = eve.post("/signin", {"email": "EVE@example.org ",
                                    "password": form["password"]})
    sess = [c for c in eve.last_cookies if c.startswith("agora_session=")]
    check(st == 303 and h.get("location") == "/account" and sess,
          "sign-in: 303 to my account with a session cookie", (st, h))
    check(sess and all(f in sess[0] for f in COOKIE_FLAGS) and
          "Max-Age=" in sess[0], "session cookie: HttpOnly, Secure, "
          "SameSite=Lax, an expiry", sess)
    token = eve.jar.get("agora_session", "")
    con = sqlite3.connect(dbpath)
    stored = [r[0] for r in con.execute("SELECT token_hash FROM session")]
    con.close()
    check(len(token) == 43 and all(token.encode() not in bytes(s)
                                   and len(s) == 32 for s in stored),
          "the session token is stored hashed, not as is", stored)
    st, h, body = eve.req("/account")
    check(st == 200 and "eve@example.org" in body and
          'data-role="citizen"' in body and "Ève &lt;b&gt;" in body and
          "Ève <b>" not in body,
          "my account: the address, the roles, escaped", body[-900:])
    check("no-store" in h.get("cache-control", ""),
          "my account is not stored by caches", h)

    # the page cache never serves a personal page to someone else
    for path in ("/", "/e/" + ELECTION, "/search?q=logement"):
        leaks = []
        for who in (eve, anon, eve, anon, anon, eve, anon):
            st, h, body = who.req(path)
            mine = "eve@example.org" in body or "Ève" in body
            if (who is eve) != mine or (who is anon and
                                         'name="csrf"' in body):
                leaks.append((who is eve, st, body[:200]))
        check(not leaks, "page cache, %s: signed-in and anonymous each "
              "see their own page" % path, leaks)

    # permissions
    st, h, body = eve.req("/admin/users")
    check(st == 403 and "rôle" in body,
          "a citizen cannot reach the administrators' page", st)
    st, h, body = anon.req("/admin/users")
    check(st == 303 and h.get("location") == "/signin",
          "an anonymous visitor is sent to sign in", (st, h))
    admin = Browser(port)
    st, h, _ = admin.post("/signin", {"email": "root@example.org",
                                      "password": "admin password"})
    st, h, body = admin.req("/admin/users")
    check(st == 200 and "eve@example.org" in body and
          "root@example.org" in body,
          "an administrator lists the accounts", (st, body[-500:]))
    st, h, body = admin.req("/", "POST", form={"a": "b"})
    check(st == 405 and "POST" not in h.get("allow", "POST"),
          "POST to a page without a form: 405", (st, h))

    # sign-out
    st, _, _ = eve.req("/signout", "POST", form={})
    st2, _, _ = eve.req("/account")
    check(st == 403 and st2 == 200,
          "sign-out without a CSRF token: 403, still signed in", (st, st2))
    old = dict(eve.jar)
    st, h, _ = eve.post("/signout", {}, csrf_from="/account")
    check(st == 303 and any(c.startswith("agora_session=;") and
                            "Max-Age=0" in c for c in eve.last_cookies),
          "sign-out: 303 and the cookie cleared", (st, eve.last_cookies))
    replay = Browser(port)
    replay.jar = old
    st, h, _ = replay.req("/account")
    check(st == 303 and h.get("location") == "/signin",
          "the old session cookie is refused after sign-out", (st, h))

    # forgotten password, reset, used and expired links
    before = outbox_files(box)
    st, _, body = anon.post("/forgot", {"email": "nobody@example.org"})
    st2, _, body2 = anon.post("/forgot", {"email": "eve@example.org"})
    mails = new_mail(box, before)
    check(st == 200 and st2 == 200 and body.split("<main")[1] ==
          body2.split("<main")[1] and len(mails) == 1,
          "forgotten password: the same answer, one mail for the account",
          mails)
    reset = link_token(read_mail(mails[0])[1], "reset") if mails else None
    keep = Browser(port)
    keep.post("/signin", {"email": "eve@example.org",
                          "password": form["password"]})
    st, _, body = anon.req("/reset?token=%s" % reset)
    check(st == 200 and 'name="token"' in body and 'name="csrf"' in body
          and '<label for="password">' in body,
          "the reset link shows a form", st)
    st, _, body = anon.post("/reset", {"token": reset, "password": "x"},
                            csrf_from="/reset?token=%s" % reset)
    check(st == 400, "a short new password: 400", st)
    st, _, body = anon.post("/reset", {"token": reset,
                                       "password": "new password 2"},
                            csrf_from="/reset?token=%s" % reset)
    check(st == 200 and "changé" in body, "reset: the password changed", st)
    st, _, _ = keep.req("/account")
    check(st == 303, "a reset closes the account's other sessions", st)
    st, _, _ = anon.req("/reset?token=%s" % reset)
    check(st == 400, "the reset link used twice: 400", st)
    st, _, _ = anon.post("/reset", {"token": reset,
                                    "password": "third password"},
                         csrf_from="/forgot")
    check(st == 400, "posting a used reset link: 400", st)
    st, _, _ = Browser(port).post("/signin", {
        "email": "eve@example.org", "password": form["password"]})
    st2, _, _ = Browser(port).post("/signin", {
        "email": "eve@example.org", "password": "new password 2"})
    check(st == 400 and st2 == 303,
          "the old password fails, the new one works", (st, st2))
    before = outbox_files(box)
    anon.post("/forgot", {"email": "eve@example.org"})
    mails = new_mail(box, before)
    late = link_token(read_mail(mails[0])[1], "reset") if mails else None
    con = sqlite3.connect(dbpath)
    con.execute("UPDATE user_link SET expires_at = 0 WHERE used_at IS NULL"
                " AND purpose = 'reset'")
    con.commit()
    con.close()
    st, _, body = anon.req("/reset?token=%s" % late)
    check(late and st == 400 and "expiré" in body,
          "an expired reset link: 400", st)

    con = sqlite3.connect(dbpath)
    gen = con.execute("SELECT value FROM meta"
                      " WHERE key = 'search_generation'").fetchone()[0]
    con.close()
    check(gen == gen0, "accounts and sessions leave the page cache's "
          "generation alone", (gen0, gen))

    # malformed and oversize posts
    st, _, _ = anon.req("/signin", "POST", body=b"email=%zz&password=1",
                        headers={"Content-Type":
                                 "application/x-www-form-urlencoded"})
    check(st == 400, "a malformed form (bad %-escape): 400", st)
    st, _, _ = anon.req("/signin", "POST", body=b"email=%C3%28",
                        headers={"Content-Type":
                                 "application/x-www-form-urlencoded"})
    check(st == 400, "a form with invalid UTF-8: 400", st)
    st, _, _ = anon.req("/signin", "POST", body=b'{"email": "x"}',
                        headers={"Content-Type": "application/json"})
    check(st == 415, "a form that is not urlencoded: 415", st)
    st = oversize(port)
    check(st == 413, "a form over 64 KiB: 413 before the body is read", st)

    # rate limits
    spray = Browser(port)
    got = [spray.post("/signin", {"email": "victim@example.org",
                                  "password": "guess %d" % i})[0]
           for i in range(7)]
    check(got[:5] == [400] * 5 and got[5] == 429,
          "sign-in: five tries per account, then 429", got)
    st, h, body = spray.post("/signin", {"email": "victim@example.org",
                                         "password": "guess"})
    check(st == 429 and int(h.get("retry-after", "0")) > 0 and
          "Trop de tentatives" in body, "429 says when to retry", h)
    st, _, _ = spray.post("/signin", {"email": "eve@example.org",
                                      "password": "new password 2"})
    check(st == 303, "another account from the same address still signs "
          "in", st)
    first = dict(spray.jar)
    st, _, _ = spray.post("/signin", {"email": "eve@example.org",
                                      "password": "new password 2"})
    replay = Browser(port)
    replay.jar = first
    st2, _, _ = replay.req("/account")
    check(st == 303 and st2 == 303 and spray.req("/account")[0] == 200,
          "signing in again ends the session the browser had", (st, st2))
    got = []
    for i in range(12):
        st, _, _ = spray.post("/signup", {
            "email": "many%d@example.org" % i, "password": "long enough"})
        got.append(st)
        if st == 429:
            break
    check(got and got[-1] == 429 and len(got) <= 10,
          "sign-up: limited per client address (429)", got)


def oversize(port):
    """Announces 100 KB, sends a little, and reads the answer without
    sending the rest."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        s.sendall(b"POST /signin HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 100000\r\n\r\nemail=a")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        m = re.match(rb"HTTP/1\.1 (\d+)", data)
        return int(m.group(1)) if m else None
    finally:
        s.close()


def latency_while_hashing(env, port):
    """At the real cost, eight sign-ins queue on the hashing thread for
    seconds; pages asked for all the while must not wait for them (were
    the hashes on the request threads, the workers would be busy)."""
    proc = start(env, port)
    try:
        results = []

        def signin(i):
            # unknown addresses: the dummy hash, made at the real cost,
            # is verified all the same (and no account's limit is hit)
            b = Browser(port)
            tok = b.csrf("/signin")
            t = time.monotonic()
            st, _, _ = b.req("/signin", "POST", form={
                "email": "nobody%d@example.org" % i,
                "password": "wrong password", "csrf": tok})
            results.append((st, time.monotonic() - t))

        threads = [threading.Thread(target=signin, args=(i,))
                   for i in range(8)]
        times = []
        done = threading.Event()

        def pages():
            # keep-alive: each reader stays on one worker thread, so a
            # worker held by a hash would hold its reader's pages
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                while not done.is_set():
                    t = time.monotonic()
                    c.request("GET", "/e/" + ELECTION)
                    c.getresponse().read()
                    times.append(time.monotonic() - t)
                    time.sleep(0.03)
            finally:
                c.close()

        readers = [threading.Thread(target=pages) for _ in range(3)]
        for r in readers:
            r.start()
        # the same pages for a second before any sign-in: how fast this
        # machine answers them now (a loaded machine is slower for all)
        time.sleep(1.0)
        base = sorted(times)
        del times[:]
        base_p90 = base[len(base) * 9 // 10] if base else 0
        bound = max(0.25, 4 * base_p90)
        t0 = time.monotonic()
        for t in threads:  # staggered, so that every worker gets some
            t.start()
            time.sleep(0.07)
        for t in threads:
            t.join()
        total = time.monotonic() - t0
        done.set()
        for r in readers:
            r.join()
        ok = [r for r in results if r[0] == 400]
        check(len(ok) == 8, "eight sign-ins refused at the real Argon2id "
              "cost", results)
        times.sort()
        # two stalls are forgiven (the machine is shared); hashes on the
        # request threads (~0.5 s each) held 5 or 6 pages past 250 ms
        # when this was tried (a usleep where the hash is queued). The
        # bound is 250 ms, or 4 times the pages' p90 before the sign-ins
        # when the machine is that busy
        slow = [x for x in times if x > bound]
        check(len(times) >= 10 and len(slow) <= 2,
              "pages answer while sign-ins hash for %.0f ms: %d pages, "
              "median %.0f ms, %d over %.0f ms (p90 before: %.0f ms)" % (
                  total * 1000, len(times),
                  times[len(times) // 2] * 1000 if times else 0, len(slow),
                  bound * 1000, base_p90 * 1000),
              (times, total))
    finally:
        stop(proc)


def main():
    tmp = tempfile.mkdtemp(prefix="agora-auth-")
    proc = None
    try:
        dbpath = os.path.join(tmp, "agora.db")
        box = os.path.join(tmp, "outbox")
        env = dict(os.environ, AGORA_DB=dbpath, AGORA_PWHASH_LIMITS=FAST)
        r = subprocess.run([AGORA, "election", "add", ELECTION, "--title",
                            "Élection de test"], env=env,
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit("cannot add the election: " + r.stderr)
        r = subprocess.run([AGORA, "--quiet", "ingest", "--election",
                            ELECTION, "--candidate", "Claire Mercier",
                            os.path.join(SRC, "corpus", "valbrune-2026",
                                         "mercier.html")], env=env,
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit("cannot ingest a programme: " + r.stderr)
        r = subprocess.run([AGORA, "user", "add", "root@example.org",
                            "--role", "administrator"], env=env,
                           input="admin password\n", capture_output=True,
                           text=True)
        if r.returncode:
            sys.exit("cannot add the administrator: " + r.stderr)
        port = free_port()
        proc = start(env, port)
        check(True, "server up on port %d" % port)
        flows(port, box, dbpath, env)
        rc = stop(proc)
        out, err = proc.communicate(timeout=5) if rc is not None else ("",
                                                                      "")
        proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0", err)
        check("AGORA_PWHASH_LIMITS" in err,
              "the lowered hashing cost is said in the log", err)
        check("outbox %s" % box in out, "serve prints its outbox", out)
        blocked = os.path.join(tmp, "not-a-folder")
        with open(blocked, "w") as f:
            f.write("x")
        r = subprocess.run([AGORA, "serve", "--listen", "127.0.0.1:0",
                            "--outbox", os.path.join(blocked, "box")],
                           env=env, capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 2 and "outbox" in r.stderr,
              "serve refuses an outbox it cannot write to", r.stderr)
        r = subprocess.run([AGORA, "serve", "--smtp-relay",
                            "mail.example:25"], env=env,
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and "smtp://" in r.stderr,
              "--smtp-relay without smtp(s):// is refused, not ignored "
              "(smtp_test.py tests the relay)", r.stderr)
        real = dict(env)
        del real["AGORA_PWHASH_LIMITS"]
        latency_while_hashing(real, free_port())
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
