"""writeforms.py - the forms that write, for the tests that make writes
fail (storage_test.py: a full disk; writefault_test.py: a write failing
mid-transaction): the accounts and primaries they need, the forms
themselves with a check that each was stored, and a snapshot of every
table to tell that a refused one changed nothing.

An editor confirms a theme, adds one to ticked proposals and writes a
note; a candidate uploads a programme and a photo and proposes a
profile; a citizen asks to be linked to a candidacy, declares a
candidacy to one primary and supports a candidate of another.
"""
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse

import harness
from harness import check

SUP = "forms-support"  # the editor declares, the citizen supports
DEC = "forms-declare"  # the citizen declares
E = "valbrune-2026"
PASSWORD = "a long password"


def setup(agora, env, corpus):
    """On a database with election E and Claire Mercier's programme:
    a second candidate, the three accounts, the two primaries"""
    def run(*args, stdin=None):
        r = subprocess.run([agora] + list(args), env=env, input=stdin,
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit("agora %s: %s" % (" ".join(args), r.stderr))

    run("ingest", "--election", E, "--candidate", "Antoine Roux",
        "--family-name", "Roux", os.path.join(corpus, "roux.xml"))
    for who, role in (("editor", ["editor", "--election", E]),
                      ("claire", ["candidate", "--election", E,
                                  "--candidate", "claire-mercier"]),
                      ("citizen", ["citizen"])):
        run("user", "add", who + "@example.org", "--role", *role,
            stdin=PASSWORD + "\n")
    run("primary", "create", SUP, "--title", "Primaire des soutiens",
        "--open")
    run("primary", "create", DEC, "--title", "Primaire ouverte", "--open")


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


def signed_in(agora, env, port):
    """The editor, the candidate and the citizen, signed in while the
    disk has room (a sign-in writes its session); the editor declares a
    candidacy to SUP, which then moves to its support phase"""
    out = {}
    for who in ("editor", "claire", "citizen"):
        b = harness.Browser(port)
        st, _, _ = b.post("/signin", {"email": who + "@example.org",
                                      "password": PASSWORD})
        check(st == 303, "%s signs in while writes work" % who, st)
        out[who] = b
    st, _, _ = out["editor"].post("/primary/%s/declare" % SUP,
                                  {"name": "Dora Sup", "statement": ""})
    check(st == 303, "a candidacy declared while writes work", st)
    r = subprocess.run([agora, "primary", "phase", SUP, "support"],
                       env=env, capture_output=True, text=True)
    check(r.returncode == 0, "then the primary moves to its support "
          "phase", r.stderr)
    return out


def forms(src, dbpath, who):
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
    with open(os.path.join(src, "tests", "data", "material",
                           "photo.jpg"), "rb") as f:
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


def refused(dbpath, forms, logpath, when, cause):
    """Each form gets the 503 page and one log line that says cause;
    every table stays as it was"""
    before = snapshot(dbpath)
    for what, send, done in forms:
        st, h, body = send()
        lines = log_lines(logpath, h.get("x-request-id"))
        check(st == 503 and "Le serveur ne peut rien enregistrer" in body
              and len(lines) == 1 and cause in lines[0],
              "%s: %s: 503, one log line" % (when, what),
              (st, error_of(body), lines))
    after = snapshot(dbpath)
    check(before == after, "%s: after those refusals every table is as "
          "it was" % when, changed(before, after))


def error_of(body):
    m = re.search(r'<p class="error">(.*?)</p>', body, re.S)
    return m.group(1) if m else body[-400:]


def stored(dbpath, forms, when):
    """Each form is answered 303 and what it sent is stored"""
    for what, send, done in forms:
        st, h, body = send()
        check(st == 303 and done(), "%s: %s: stored" % (when, what),
              (st, error_of(body)))
