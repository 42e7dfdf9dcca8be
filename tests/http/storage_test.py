#!/usr/bin/env python3
"""storage_test.py AGORA SRCDIR - a full disk and read-only storage, for
real: the database lives on a small tmpfs mounted for the test.

Disk full (the server running): a filler file takes every free byte;
ballots are cast through the API until the disk refuses one. Then:
ballots get 503 with a JSON error, a sign-up (a form) gets 503 with an
HTML page, each refusal is one log line; `agora ingest` exits non-zero
and says the disk is full; pages, the API, receipts and the board are
still served; nothing half-written (integrity check, every receipted
ballot there, counters equal a recount, no account, no document). The
other forms that write are tried too, each signed in before the disk
filled: an editor confirms a theme, adds one in bulk and writes a note;
a candidate uploads a programme and a photo and proposes a profile; a
citizen asks to be linked to a candidacy and supports a candidate of a
primary. Each gets the 503 page and one log line, and every table of the
database is row for row as it was. Space back (the filler removed): the
same requests succeed, with no restart.

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
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

AGORA, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
P = "disk-2027"
SUP = "disk-support"  # the editor declares, the citizen supports
DEC = "disk-declare"  # the citizen declares
E = "valbrune-2026"
PASSWORD = "a long password"
JPEG = os.path.join(SRC, "tests", "data", "material", "photo.jpg")
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


def integrity(dbpath):
    """PRAGMA integrity_check, less SQLite 3.40's false "NULL value in
    T.C" on WITHOUT ROWID tables (support: any row gets one), kept only
    when T really has such a row"""
    con = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    try:
        out = []
        for (line,) in con.execute("PRAGMA integrity_check"):
            m = re.fullmatch(r"NULL value in (\w+)\.(\w+)", line)
            if m and not con.execute(
                    'SELECT 1 FROM "%s" WHERE "%s" IS NULL' % m.groups()
                    ).fetchone():
                continue
            out.append(line)
        return "\n".join(out) or "ok"
    finally:
        con.close()


def log_lines(logpath, rid):
    with open(logpath, errors="replace") as f:
        return [line for line in f if rid and rid in line]


def signup(b, email):
    return b.post("/signup", {"email": email, "name": "Test",
                              "password": "correct horse battery"})


def snapshot(dbpath):
    """Every row of every table (FTS5's own tables aside: they follow
    the proposals), to tell that a refused write changed nothing"""
    con = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    try:
        names = [n for (n,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'"
            " ORDER BY name")]
        return {n: sorted(con.execute("SELECT * FROM %s" % n).fetchall(),
                          key=repr) for n in names}
    finally:
        con.close()


def changed(a, b):
    return sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))


def one(dbpath, sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    try:
        return con.execute(sql, args).fetchone()
    finally:
        con.close()


def multipart(fields, file):
    """file: (name, declared type, bytes) -> (content type, body)"""
    boundary = "agora-storage-boundary-Q7x"
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n"
                "\r\n" % (boundary, k)).encode() + v.encode() + b"\r\n"
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
            % (boundary, file[0], file[1])).encode() + file[2] + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=" + boundary, out


def upload(b, path, fields, file):
    tok = b.csrf(path) or b.csrf("/account")
    ctype, body = multipart(dict(fields, csrf=tok), file)
    return b.req(path, "POST", body=body, headers={"Content-Type": ctype})


def post_pairs(b, path, pairs):
    """A form with repeated keys (ticked boxes), with b's CSRF token"""
    body = urllib.parse.urlencode(pairs + [("csrf", b.csrf(path))])
    return b.req(path, "POST", body=body.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded"})


def signed_in(env, port):
    """The editor, the candidate and the citizen, signed in while the
    disk has room (a sign-in writes its session); the editor declares a
    candidacy to SUP, which then moves to its support phase"""
    out = {}
    for who in ("editor", "claire", "citizen"):
        b = harness.Browser(port)
        st, _, _ = b.post("/signin", {"email": who + "@example.org",
                                      "password": PASSWORD})
        check(st == 303, "%s signs in before the disk fills" % who, st)
        out[who] = b
    st, _, _ = out["editor"].post("/primary/%s/declare" % SUP,
                                  {"name": "Dora Sup", "statement": ""})
    check(st == 303, "a candidacy declared before the disk fills", st)
    agora(env, "primary", "phase", SUP, "support")
    return out


def writing_forms(dbpath, who):
    """(name, send, done): each form that writes, how to send it, and
    how to see that it was stored"""
    ed, claire, cit = who["editor"], who["claire"], who["citizen"]
    p1, t1 = one(dbpath, "SELECT pt.proposal_id, t.slug FROM proposal_theme"
                 " pt JOIN theme t ON t.id = pt.theme_id JOIN proposal p"
                 " ON p.id = pt.proposal_id JOIN document d ON d.id ="
                 " p.document_id JOIN candidate c ON c.id = d.candidate_id"
                 " WHERE pt.status = 'suggested' AND c.slug ="
                 " 'claire-mercier' ORDER BY 1, 2 LIMIT 1")
    p2, t2 = one(dbpath, "SELECT p.id, t.slug FROM proposal p JOIN"
                 " document d ON d.id = p.document_id JOIN candidate c"
                 " ON c.id = d.candidate_id, theme t WHERE c.slug ="
                 " 'claire-mercier' AND t.parent_id IS NOT NULL AND NOT"
                 " EXISTS (SELECT 1 FROM proposal_theme x WHERE"
                 " x.proposal_id = p.id AND x.theme_id = t.id)"
                 " ORDER BY 1 DESC, 2 LIMIT 1")
    with open(JPEG, "rb") as f:
        jpeg = f.read()
    review = "/e/%s/review" % E

    def theme(p, t):
        return one(dbpath, "SELECT pt.status FROM proposal_theme pt JOIN"
                   " theme t ON t.id = pt.theme_id WHERE pt.proposal_id"
                   " = ? AND t.slug = ?", p, t)

    def count(sql):
        return one(dbpath, sql)[0]

    return [
        ("an editor confirms a theme",
         lambda: ed.post(review, {"one": "confirm:%d:%s" % (p1, t1)}),
         lambda: theme(p1, t1) == ("confirmed",)),
        ("an editor adds a theme to ticked proposals",
         lambda: post_pairs(ed, review, [("action", "add"),
                                         ("add_theme", t2),
                                         ("p", str(p2))]),
         lambda: theme(p2, t2) == ("confirmed",)),
        ("an editor writes a note",
         lambda: ed.post("%s/%d" % (review, p1),
                         {"body": "Un fait vérifié.",
                          "sources": "https://www.insee.fr/fr/"}),
         lambda: count("SELECT count(*) FROM note") == 1),
        ("a candidate uploads a programme",
         lambda: upload(claire, "/submit",
                        {"candidacy": E + "/claire-mercier",
                         "title": "Programme complet",
                         "source_url": "https://example.org/p.md"},
                        ("programme.md", "text/markdown",
                         "# Programme\n\n## Écoles\n\nDes cantines "
                         "bio dans toutes les écoles.\n".encode())),
         lambda: count("SELECT count(*) FROM document WHERE status ="
                       " 'pending'") == 1),
        ("a candidate uploads a photo",
         lambda: upload(claire, "/material",
                        {"candidacy": E + "/claire-mercier",
                         "caption": "Au marché"},
                        ("photo.jpg", "image/jpeg", jpeg)),
         lambda: count("SELECT count(*) FROM material") == 1),
        ("a candidate proposes a profile",
         lambda: claire.post("/profile", {
             "candidacy": E + "/claire-mercier", "given_name": "Claire",
             "family_name": "Mercier", "party": "Valbrune Demain",
             "bio": "Infirmière.", "links": "https://claire.example.org"}),
         lambda: count("SELECT count(*) FROM candidate_profile") == 1),
        ("a citizen asks to be linked to a candidacy",
         lambda: cit.post("/account/candidacy",
                          {"candidacy": E + "/antoine-roux",
                           "message": "Je suis Antoine Roux."}),
         lambda: count("SELECT count(*) FROM candidacy_claim k JOIN"
                       " candidate c ON c.id = k.candidate_id WHERE"
                       " c.slug = 'antoine-roux'") == 1),
        ("a citizen declares a candidacy to a primary",
         lambda: cit.post("/primary/%s/declare" % DEC,
                          {"name": "Cyril Citoyen", "statement": "Moi."}),
         lambda: count("SELECT count(*) FROM primary_candidate c JOIN"
                       " primary_election p ON p.id = c.primary_id WHERE"
                       " p.slug = '%s'" % DEC) == 1),
        ("a citizen supports a candidate of a primary",
         lambda: cit.post("/primary/%s/support" % SUP,
                          {"candidate": "dora-sup", "action": "support"},
                          "/account"),
         lambda: count("SELECT supports FROM primary_candidate WHERE"
                       " slug = 'dora-sup'") == 1),
    ]


def forms_refused(dbpath, forms, logpath):
    before = snapshot(dbpath)
    for what, send, done in forms:
        st, h, body = send()
        lines = log_lines(logpath, h.get("x-request-id"))
        check(st == 503 and "Le serveur ne peut rien enregistrer" in body
              and len(lines) == 1 and "disk is full" in lines[0],
              "the disk full: %s: 503, one log line" % what,
              (st, error_of(body), lines))
    after = snapshot(dbpath)
    check(before == after, "after those refusals every table is as it "
          "was", changed(before, after))


def error_of(body):
    m = re.search(r'<p class="error">(.*?)</p>', body, re.S)
    return m.group(1) if m else body[-400:]


def forms_work(dbpath, forms):
    for what, send, done in forms:
        st, h, body = send()
        check(st == 303 and done(), "space back: %s: stored" % what,
              (st, error_of(body)))


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
    agora(env, "ingest", "--election", "valbrune-2026", "--candidate",
          "Antoine Roux", "--family-name", "Roux",
          os.path.join(corpus, "roux.xml"))
    for who, role in (("editor", ["editor", "--election", "valbrune-2026"]),
                      ("claire", ["candidate", "--election",
                                  "valbrune-2026", "--candidate",
                                  "claire-mercier"]),
                      ("citizen", ["citizen"])):
        r = subprocess.run([AGORA, "user", "add", who + "@example.org",
                            "--role"] + role, env=env, input=PASSWORD + "\n",
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit("agora user add %s: %s" % (who, r.stderr))
    agora(env, "primary", "create", SUP, "--title", "Primaire des soutiens",
          "--open")
    agora(env, "primary", "create", DEC, "--title", "Primaire ouverte",
          "--open")
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
    proc = start(env, port, logpath)
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


def start(env, port, logpath):
    log = open(logpath, "ab")
    proc = subprocess.Popen(
        [AGORA, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
         "2"], env=env, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(300):
        try:
            c = harness.http.client.HTTPConnection("127.0.0.1", port,
                                                   timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            with open(logpath) as f:
                sys.exit("the server exited: " + f.read()[-2000:])
        time.sleep(0.05)
    proc.kill()
    sys.exit("the server did not answer /healthz")


def disk_full(env, b, dbpath, mnt, codes, receipts, doc, logpath):
    forms = writing_forms(dbpath, signed_in(env, b.port))
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
    forms_refused(dbpath, forms, logpath)
    r = ingest(env, doc)
    check(r.returncode != 0 and "disk is full" in r.stderr,
          "agora ingest exits non-zero and says the disk is full",
          (r.returncode, r.stderr))
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
    forms_work(dbpath, forms)
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
    proc = start(env, port, logpath)
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
