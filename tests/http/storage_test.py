#!/usr/bin/env python3
"""storage_test.py AGORA SRCDIR - a full disk and read-only storage, for
real: the database lives on a small tmpfs mounted for the test.

Disk full (the server running): a filler file takes every free byte;
ballots are cast through the API until the disk refuses one. Then:
ballots get 503 with a JSON error, a sign-up (a form) gets 503 with an
HTML page, each refusal is one log line; `agora ingest` and `agora user
add --link` exit non-zero and say the disk is full (the latter mails
no link); pages, the API, receipts and the board are still served;
nothing half-written (integrity check, every receipted
ballot there, counters equal a recount, no account, no document). The
other forms that write (writeforms.py: the account forms, the editors'
reviews and decisions on the pages and through the API, the
candidates' and citizens' forms, the primaries' votes and organisers'
forms) are tried too, each signed in and set up before the disk filled.
Each gets the 503 page (the JSON error under /api/) and one log line,
every table of the database is row for row as it was, and the outbox
holds no new file. The outbox is kept off the full disk, as a server
may have it: a mail prepared before a commit that the full disk
refuses must not be sent. Space back (the filler removed): the same
requests succeed, with no restart.

Read-only storage: Linux refuses to remount a file system read-only
while a file on it is open for writing ("mount point is busy"), which a
running server's database is; so the server is stopped, the tmpfs
remounted read-only and the server started on it: it starts, serves
pages and the board (the -wal and -shm files kept beside the database
make that possible), answers writes with 503, and `agora ingest` says
the storage is read-only. Remounted read-write under the running
server, writes work again, with no restart.

Needs root (mount); skips (exit 77) otherwise or when mount fails.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import writeforms  # noqa: E402
from harness import check  # noqa: E402
from writeforms import integrity, log_lines  # noqa: E402

AGORA, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
P = "disk-2027"
CANDS = ["ana-lopez", "ben-okafor", "chen-wei"]
SKIP = 77


def agora(env, *args, ok=True):
    r = subprocess.run([AGORA] + list(args), env=env, capture_output=True,
                       text=True)
    if ok and r.returncode:
        sys.exit("agora %s: %s" % (" ".join(args), r.stderr))
    return r


def sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


def ballot(b, code, grade):
    st, h, body = b.req("/api/v1/primaries/%s/ballots" % P, "POST",
                        body=json.dumps({"credential": code,
                                         "grades": {c: grade for c in
                                                    CANDS}}),
                        headers={"Content-Type": "application/json"},
                        cookies=False)
    try:
        j = json.loads(body)
    except ValueError:
        j = None
    return st, h, j


def fill(path):
    """Writes zeros to path until the file system is full"""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 16, 512):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    break
    finally:
        os.close(fd)


def counts(dbpath):
    # read-only and immutable-free: the server may be running
    con = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    try:
        return {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in ("ballot", "board", "user", "document",
                          "proposal")}
    finally:
        con.close()


def signup(b, email):
    return b.post("/signup", {"email": email, "name": "Test",
                              "password": "correct horse battery"})


def reads_work(b, receipts, what):
    pages = ["/", "/e/valbrune-2026", "/primary/" + P,
             "/api/v1/primaries/" + P, "/healthz", "/search?q=transport"]
    bad = []
    for p in pages:
        st, h, body = b.req(p, cookies=False)
        if st != 200:
            bad.append((p, st, body[:200]))
    for r in receipts[-5:]:
        st, h, body = b.req("/api/v1/primaries/%s/receipts/%s" % (P, r),
                            cookies=False)
        if st != 200 or not json.loads(body).get("found"):
            bad.append((r, st, body[:200]))
    st, h, body = b.req("/primary/%s/board" % P, cookies=False)
    if st != 200 or body.count('"type":"ballot"') < len(receipts):
        bad.append(("board", st, body.count('"type":"ballot"'),
                    len(receipts)))
    check(not bad, "%s: pages, the API, receipts and the board are "
          "served" % what, bad)


def ingest(env, path):
    return agora(env, "ingest", "--election", "valbrune-2026",
                 "--candidate", "Zoé Martin", "--family-name", "Martin",
                 path, ok=False)


def run(tmp, mnt):
    dbpath = os.path.join(mnt, "agora.db")
    env = dict(os.environ, AGORA_DB=dbpath, AGORA_PWHASH_LIMITS="1,1")
    corpus = os.path.join(SRC, "corpus", "valbrune-2026")
    agora(env, "election", "add", "valbrune-2026", "--title", "Valbrune",
          "--date", "2026-03-15", "--language", "fr")
    agora(env, "ingest", "--election", "valbrune-2026", "--candidate",
          "Claire Mercier", "--family-name", "Mercier",
          os.path.join(corpus, "mercier.html"))
    writeforms.setup(AGORA, env, corpus)
    agora(env, "primary", "create", P, "--title", "Primaire du disque")
    for c in CANDS:
        agora(env, "primary", "candidate", "add", P, "--name",
              " ".join(w.capitalize() for w in c.split("-")))
    roll = os.path.join(tmp, "roll.csv")
    with open(roll, "w") as f:
        f.write("nom\n" + "".join("v%d\n" % i for i in range(3000)))
    agora(env, "primary", "credentials", P, "--roll", roll, "--out",
          os.path.join(tmp, "codes.csv"))
    agora(env, "primary", "phase", P, "vote")
    with open(os.path.join(tmp, "codes.csv")) as f:
        codes = [line.rstrip("\n").split(",")[-1] for line in f][1:]
    # a programme to ingest later, written off the small disk
    doc = os.path.join(tmp, "martin.md")
    with open(doc, "w") as f:
        f.write("# Programme de Zoé Martin\n\n## Transports\n\n"
                "Des bus toutes les dix minutes.\n\n## Logement\n\n"
                "Mille logements rénovés.\n")

    port = harness.free_port()
    logpath = os.path.join(tmp, "serve.log")
    proc = harness.start(AGORA, env, port, logpath=logpath,
                         args=writeforms.serve_args())
    b = harness.Browser(port)
    receipts = []
    try:
        disk_full(env, b, dbpath, mnt, codes, receipts, doc, logpath)
        check(harness.stop(proc) == 0, "the server stops cleanly")
        proc = None
        read_only(env, port, dbpath, mnt, codes, receipts, doc, logpath)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()


def disk_full(env, b, dbpath, mnt, codes, receipts, doc, logpath):
    forms = writeforms.forms(SRC, dbpath,
                            writeforms.signed_in(AGORA, env, b.port))
    st, h, j = ballot(b, codes[0], 3)
    check(st == 201, "a ballot before the disk fills: 201", (st, j))
    receipts.append(j["receipt"])
    st, _, _ = signup(b, "before@example.org")
    check(st in (200, 303), "a sign-up before the disk fills", st)

    filler = os.path.join(mnt, "filler")
    fill(filler)
    check(shutil.disk_usage(mnt).free < 65536, "the disk is full",
          shutil.disk_usage(mnt))
    # ballots until the disk refuses one (the WAL may have room left)
    refused = None
    i = 1
    for i in range(1, 2000):
        st, h, j = ballot(b, codes[i], 2)
        if st == 201:
            receipts.append(j["receipt"])
            continue
        refused = (st, h, j, codes[i])
        break
    check(refused and refused[0] == 503 and
          refused[2]["error"]["code"] == "unavailable" and
          "full or read-only" in refused[2]["error"]["message"],
          "the disk full: a ballot gets 503 with a JSON error (after %d "
          "stored)" % (i - 1), refused)
    if not refused:
        return
    before = counts(dbpath)
    more = [ballot(b, codes[i + k], 1)[0] for k in range(1, 6)]
    check(more == [503] * 5, "and so do the next ones", more)
    st, h, body = signup(b, "full@example.org")
    check(st == 503 and h.get("content-type", "").startswith("text/html")
          and "Le serveur ne peut rien enregistrer" in body,
          "a sign-up gets a 503 page that says why", (st, body[:600]))
    rid = h.get("x-request-id")
    lines = log_lines(logpath, rid)
    check(len(lines) == 1 and "disk is full" in lines[0],
          "one log line for it, saying the disk is full", lines)
    writeforms.refused(dbpath, forms, logpath, "the disk full",
                       "disk is full")
    r = ingest(env, doc)
    check(r.returncode != 0 and "disk is full" in r.stderr,
          "agora ingest exits non-zero and says the disk is full",
          (r.returncode, r.stderr))
    mail = os.listdir(writeforms.OUTBOX)
    r = agora(env, "user", "add", "late@example.org", "--role", "citizen",
              "--link", *writeforms.serve_args(), ok=False)
    check(r.returncode != 0 and "disk is full" in r.stderr and
          os.listdir(writeforms.OUTBOX) == mail,
          "agora user add --link exits non-zero, says the disk is full "
          "and mails no link to an account that was not stored",
          (r.returncode, r.stderr, set(os.listdir(writeforms.OUTBOX)) -
           set(mail)))
    reads_work(b, receipts, "disk full")
    after = counts(dbpath)
    check(after == before, "nothing half-written (counts unchanged)",
          (before, after))
    check(integrity(dbpath) == "ok", "the database's integrity check: ok")
    r = agora(env, "primary", "recount", P, ok=False)
    check(r.returncode == 0, "the counters equal a recount",
          r.stdout + r.stderr)

    os.unlink(filler)
    st, h, j = ballot(b, refused[3], 4)
    check(st == 201, "space back: the refused ballot sent again is "
          "stored (no restart)", (st, j))
    if st == 201:
        receipts.append(j["receipt"])
    st, _, body = signup(b, "after@example.org")
    check(st in (200, 303), "a sign-up works again", (st, body[:300]))
    writeforms.stored(dbpath, forms, "space back")
    r = ingest(env, doc)
    check(r.returncode == 0, "agora ingest works again", r.stderr)
    con = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    try:
        n = con.execute("SELECT count(*) FROM ballot WHERE receipt IN (%s)"
                        % ",".join("?" * len(receipts)),
                        receipts).fetchone()[0]
    finally:
        con.close()
    check(n == len(receipts), "every receipted ballot is stored (%d)" %
          len(receipts), (n, len(receipts)))
    check(os.path.exists(dbpath + "-wal") and
          os.path.exists(dbpath + "-shm"), "-wal and -shm are there")


def read_only(env, port, dbpath, mnt, codes, receipts, doc, logpath):
    check(os.path.exists(dbpath + "-wal") and
          os.path.exists(dbpath + "-shm") and
          os.path.getsize(dbpath + "-wal") == 0,
          "stopped: the -wal (empty) and -shm are kept beside the "
          "database", os.listdir(mnt))
    r = sh("mount", "-o", "remount,ro", mnt)
    check(r.returncode == 0, "the tmpfs remounted read-only", r.stderr)
    if r.returncode:
        return
    before = counts(dbpath)
    proc = harness.start(AGORA, env, port, logpath=logpath,
                         args=writeforms.serve_args())
    b = harness.Browser(port)
    try:
        check(True, "the server starts on read-only storage")
        reads_work(b, receipts, "read-only")
        st, h, j = ballot(b, codes[2500], 5)
        check(st == 503 and j and j["error"]["code"] == "unavailable",
              "read-only: a ballot gets 503 with a JSON error", (st, j))
        st, h, body = signup(b, "ro@example.org")
        check(st == 503 and "Le serveur ne peut rien enregistrer" in body,
              "read-only: a sign-up gets the 503 page", (st, body[:600]))
        lines = log_lines(logpath, h.get("x-request-id"))
        check(len(lines) == 1 and "read-only" in lines[0],
              "one log line for it, saying the storage is read-only",
              lines)
        # another programme (the first one was stored once space came back)
        doc2 = doc.replace(".md", "-2.md")
        with open(doc2, "w") as f:
            f.write("# Programme de Zoé Martin, version 2\n\n"
                    "## Santé\n\nUn centre de santé par quartier.\n")
        r = ingest(env, doc2)
        check(r.returncode != 0 and "read-only" in r.stderr,
              "agora ingest exits non-zero and says the storage is "
              "read-only", (r.returncode, r.stderr))
        check(counts(dbpath) == before, "nothing changed")

        r = sh("mount", "-o", "remount,rw", mnt)
        check(r.returncode == 0, "remounted read-write under the server",
              r.stderr)
        st, h, j = ballot(b, codes[2500], 5)
        check(st == 201, "writable again: a ballot is stored (no "
              "restart)", (st, j))
        if st == 201:
            receipts.append(j["receipt"])
        st, _, body = signup(b, "rw@example.org")
        check(st in (200, 303), "and a sign-up works", (st, body[:300]))
        check(harness.stop(proc) == 0, "the server stops cleanly")
        proc = None
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
    r = agora(env, "verify", ok=False)
    check(r.returncode == 0, "agora verify passes", r.stdout + r.stderr)
    r = agora(env, "primary", "recount", P, ok=False)
    check(r.returncode == 0, "the counters equal a recount", r.stdout)
    r = integrity(dbpath)
    check(r == "ok", "integrity check: ok", r)
    with open(logpath, errors="replace") as f:
        log = f.read()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "no sanitizer report in the server's log")


def main():
    if os.geteuid() != 0:
        print("SKIP: mounting a tmpfs needs root (run the test as root)")
        sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="agora-storage-")
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    writeforms.OUTBOX = os.path.join(tmp, "outbox")
    r = sh("mount", "-t", "tmpfs", "-o", "size=12m,mode=0700", "tmpfs", mnt)
    if r.returncode:
        shutil.rmtree(tmp, ignore_errors=True)
        print("SKIP: cannot mount a tmpfs: " + r.stderr.strip())
        sys.exit(SKIP)
    try:
        run(tmp, mnt)
    finally:
        if sh("umount", mnt).returncode:
            sh("umount", "-l", mnt)
        if harness.failed:
            print("# the server's log: " + os.path.join(tmp, "serve.log"))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


main()
