#!/usr/bin/env python3
"""primary_web_test.py AGORA SRCDIR - the citizen's side of the primary,
as citizens meet it in the HTML pages (issue 5).

Starts `agora serve` on a temporary database with an open-mode primary
and walks its whole life: candidacies declared and withdrawn, supports
(the limit, taking one back, a second support of the same candidate
refused by the database itself), qualification when the vote opens, an
open-mode credential given once, votes through the form, receipts, a
later ballot replacing the earlier one, refused ballots that change
nothing, results hidden then shown with their SVG chart and the
tie-break explained; and the boundaries: anonymous and unverified
visitors, posts without a CSRF token, the page cache.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import http.client
import json
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

import harness
from harness import Browser, check, free_port, stop  # noqa: F401

AGORA, SRC = sys.argv[1], sys.argv[2]
SLUG = "pw-2027"
P = "/primary/" + SLUG
FAST = "1,8192"  # libsodium's minimums: tests only
PASSWORD = "correct horse battery"

def start(env, port):
    return harness.start(AGORA, env, port)


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


def db_one(dbpath, sql, *args):
    con = sqlite3.connect(dbpath)
    try:
        return con.execute(sql, args).fetchone()
    finally:
        con.close()


def supports(dbpath, slug):
    return db_one(dbpath, "SELECT supports FROM primary_candidate"
                  " WHERE slug = ?", slug)[0]


def shown_supports(body, slug):
    m = re.search(r'id="c-%s".*?data-supports="(\d+)"' % re.escape(slug),
                  body, re.S)
    return int(m.group(1)) if m else None


def status_of(body, slug):
    m = re.search(r'id="c-%s" data-status="(\w+)"' % re.escape(slug), body)
    return m.group(1) if m else None


def vote(b, code, grades, step="cast"):
    form = {"step": step, "code": code}
    for slug, g in grades.items():
        form["g_" + slug] = str(g)
    return b.post(P + "/vote", form, "/signin")


def receipt_of(body):
    m = re.search(r'id="receipt">([0-9a-f]{64})<', body)
    return m.group(1) if m else None


def ballots(dbpath):
    return db_one(dbpath, "SELECT count(*), coalesce(sum(counted), 0)"
                  " FROM ballot")


def flows(port, dbpath, env):
    anon = Browser(port)

    # the primary's page, before anything
    st, h, body = anon.req(P)
    check(st == 200 and "Primaire de test" in body and
          'data-phase="declaration"' in body and
          'href="/primary/%s/board"' % SLUG in body,
          "the primary's page: phase, link to the board", body[-1500:])
    head = db_one(dbpath, "SELECT hash FROM board WHERE primary_id ="
                  " (SELECT id FROM primary_election WHERE slug = ?)"
                  " ORDER BY seq DESC LIMIT 1", SLUG)
    check(head is None or head[0] in body,
          "the page shows the board's head hash", head)
    check('href="/#primaries"' in body,
          "the primary's page links back to the home page's list", None)
    st, _, home = anon.req("/")
    item = re.search(r'<a href="/primary/%s">Primaire de test</a> '
                     r'<span class="meta" data-phase="(\w+)">' % SLUG, home)
    check(st == 200 and 'id="primaries"' in home and item and
          item.group(1) == "declaration" and
          'href="/primary/pw-lot"' in home,
          "the home page lists the primaries with their phase",
          home[-2000:])
    st, _, _ = anon.req("/primary/nope")
    check(st == 404, "an unknown primary: 404", st)
    st, _, body = Browser(port).req(P + "?lang=en")
    check(st == 200 and "Current phase:" in body and
          "Take part" in body, "the primary's page in English", st)
    st, h, _ = anon.req(P + "/support")
    check(st == 303 and h.get("location", "").endswith(P),
          "GET on the support address: back to the primary", h)

    # anonymous visitors are sent to sign in, and change nothing
    st, h, _ = anon.req(P + "/declare")
    check(st == 303 and h.get("location", "").endswith("/signin"),
          "anonymous: the declaration form asks to sign in", (st, h))
    st, h, _ = anon.post(P + "/declare", {"name": "Anon", "statement": ""},
                         csrf_from="/signin")
    check(st == 303 and db_one(dbpath, "SELECT count(*) FROM"
                               " primary_candidate WHERE name = 'Anon'")[0]
          == 0,
          "anonymous: a declaration is refused, nothing written", st)
    st, h, _ = anon.req(P + "/credential")
    check(st == 303, "anonymous: the credential page asks to sign in", st)

    alice = sign_in(port, "alice@example.org")
    bruno = sign_in(port, "bruno@example.org")
    chloe = sign_in(port, "chloe@example.org")
    dave = sign_in(port, "dave@example.org")
    frank = sign_in(port, "frank@example.org")

    # declarations
    st, h, body = alice.req(P + "/declare")
    check(st == 200 and 'name="name"' in body and
          'name="statement"' in body and 'name="csrf"' in body and
          "/e/%s" % SLUG in body,
          "the declaration form, with where programmes go", body[-1500:])
    st, _, _ = alice.req(P + "/declare", "POST",
                         form={"name": "Alice Martin", "statement": "x"})
    check(st == 403, "a declaration without a CSRF token: 403", st)
    st, h, _ = alice.post(P + "/declare", {
        "action": "declare", "name": "Alice Martin",
        "statement": "Je propose des assemblées citoyennes."})
    check(st == 303, "Alice declares her candidacy", st)
    st, _, body = alice.post(P + "/declare", {
        "action": "declare", "name": "Alice Bis", "statement": ""})
    check(st == 409 and db_one(dbpath, "SELECT count(*) FROM"
                               " primary_candidate WHERE name ="
                               " 'Alice Bis'")[0] == 0,
          "a second candidacy of the same account: 409, nothing written",
          st)
    st, _, _ = bruno.post(P + "/declare", {
        "action": "declare", "name": "Bruno Petit", "statement": ""})
    check(st == 303, "Bruno declares", st)
    st, _, _ = chloe.post(P + "/declare", {
        "action": "declare", "name": "Chloé <b>Roux</b>",
        "statement": "<script>alert(1)</script>"})
    check(st == 303, "Chloé declares", st)
    st, _, body = anon.req(P)
    check("Alice Martin" in body and "assemblées citoyennes" in body and
          "Chloé &lt;b&gt;Roux&lt;/b&gt;" in body and
          "<script>alert" not in body and
          shown_supports(body, "alice-martin") == 0,
          "candidates, statements (escaped) and counts are public",
          body[-2500:])

    # unverified accounts
    con = sqlite3.connect(dbpath)
    con.execute("UPDATE user SET email_verified = 0 WHERE email ="
                " 'frank@example.org'")
    con.commit()
    con.close()
    st, _, body = frank.post(P + "/declare", {
        "action": "declare", "name": "Frank", "statement": ""},
        "/account")
    check(st == 403 and "Confirmez" in body,
          "unverified: a declaration is refused (403)", st)
    st, _, _ = frank.post(P + "/support", {"candidate": "alice-martin",
                                           "action": "support"},
                          "/account")
    check(st == 403 and supports(dbpath, "alice-martin") == 0,
          "unverified: a support is refused, nothing counted", st)
    st, _, _ = frank.post(P + "/credential", {}, "/account")
    check(st == 403 and db_one(dbpath, "SELECT count(*) FROM"
                               " credential")[0] == 0,
          "unverified: no credential", st)

    agora(env, "primary", "phase", SLUG, "support")
    st, _, _ = dave.post(P + "/declare", {
        "action": "declare", "name": "Dave", "statement": ""}, "/account")
    check(st == 400, "a declaration after the declaration phase: 400", st)

    # supports
    sup = {"candidate": "alice-martin", "action": "support"}
    st, _, _ = dave.req(P + "/support", "POST", form=sup)
    check(st == 403 and supports(dbpath, "alice-martin") == 0,
          "a support without a CSRF token: 403, nothing counted", st)
    st, h, _ = dave.post(P + "/support", sup, P)
    check(st == 303 and supports(dbpath, "alice-martin") == 1,
          "Dave supports Alice: counted", st)
    st, _, _ = dave.post(P + "/support", sup, P)
    check(st == 409 and supports(dbpath, "alice-martin") == 1,
          "the same support twice: 409, still 1", st)
    try:
        con = sqlite3.connect(dbpath)
        con.execute("INSERT INTO support(primary_id, candidate_id, user_id)"
                    " SELECT primary_id, candidate_id, user_id FROM"
                    " support LIMIT 1")
        con.commit()
        dup = "accepted"
    except sqlite3.IntegrityError as e:
        dup = str(e)
    finally:
        con.close()
    check(dup != "accepted", "the database itself refuses a double support",
          dup)
    st, _, _ = dave.post(P + "/support", {"candidate": "bruno-petit",
                                          "action": "support"}, P)
    check(st == 303 and supports(dbpath, "bruno-petit") == 1,
          "Dave supports Bruno", st)
    st, _, _ = dave.post(P + "/support", {"candidate": "chloe-b-roux-b",
                                          "action": "support"}, P)
    check(st == 400 and supports(dbpath, "chloe-b-roux-b") == 0,
          "a third support past max_supports (2): 400, not counted",
          (st, db_one(dbpath, "SELECT slug FROM primary_candidate"
                      " WHERE name LIKE 'Chlo%'")))
    st, _, _ = dave.post(P + "/support", {"candidate": "olga-orga",
                                          "action": "support"}, P)
    check(st == 400, "an organiser's candidate takes no supports", st)
    st, _, _ = dave.post(P + "/support", {"candidate": "bruno-petit",
                                          "action": "revoke"}, P)
    check(st == 303 and supports(dbpath, "bruno-petit") == 0,
          "Dave takes his support of Bruno back", st)
    st, _, _ = bruno.post(P + "/support", sup, P)
    check(st == 303 and supports(dbpath, "alice-martin") == 2,
          "Bruno supports Alice: 2", st)
    st, h, body = dave.req(P)
    check(shown_supports(body, "alice-martin") == 2 and
          "Retirer mon parrainage" in body and
          "private" in h.get("cache-control", "") and
          "no-store" in h.get("cache-control", ""),
          "Dave's page: live count, his own support, never stored",
          h.get("cache-control"))
    st, h, body = anon.req(P)
    check(shown_supports(body, "alice-martin") == 2 and
          "Retirer mon parrainage" not in body and
          "dave@example.org" not in body and "Parrainer" not in body,
          "the anonymous page right after: no one's state, same count",
          body[-1500:])
    check(db_one(dbpath, "SELECT count(*) FROM support")[0] == 2,
          "two support rows stored", None)
    st, _, _ = chloe.post(P + "/declare", {"action": "withdraw"})
    st2, _, body = anon.req(P)
    check(st == 303 and status_of(body, "chloe-b-roux-b") == "withdrawn",
          "Chloé withdraws", (st, status_of(body, "chloe-b-roux-b")))

    # open-mode credentials, once per account
    st, _, body = dave.req(P + "/credential")
    check(st == 200 and "Recevoir mon code" in body,
          "the credential page offers one code", st)
    st, h, body = dave.post(P + "/credential", {})
    m = re.search(r'id="credential">([0-9A-Z-]{30,40})<', body)
    code_d = m.group(1) if m else None
    check(st == 200 and code_d and "no-store" in h.get("cache-control", ""),
          "Dave receives a code, shown once, never stored by caches",
          body[-1200:])
    st, _, body = dave.post(P + "/credential", {}, "/account")
    check(st == 409 and (not code_d or code_d not in body) and
          db_one(dbpath, "SELECT count(*) FROM credential")[0] == 1,
          "a second credential for the same account: 409, none issued", st)
    st, _, body = dave.req(P + "/credential")
    check("déjà reçu" in body and (not code_d or code_d not in body),
          "the page says it was given and cannot show it again", st)
    row = db_one(dbpath, "SELECT count(*), max(length(issued_on)) FROM"
                 " credential_issued")
    check(row == (1, 10), "the account's credential is recorded by day only",
          row)
    st, _, body = alice.post(P + "/credential", {})
    m = re.search(r'id="credential">([0-9A-Z-]{30,40})<', body)
    code_a = m.group(1) if m else None
    check(st == 200 and code_a, "Alice receives her code", st)

    # the vote opens: the list is frozen
    st, _, body = anon.req(P + "/vote")
    check("pas ouvert" in body, "the vote page before the vote: closed", st)
    agora(env, "primary", "phase", SLUG, "vote")
    st, _, home = anon.req("/")
    check('<a href="/primary/%s">Primaire de test</a> <span class="meta" '
          'data-phase="vote">' % SLUG in home,
          "the (cached) home page shows the new phase at once",
          home[-2000:])
    st, _, body = anon.req(P)
    check(status_of(body, "alice-martin") == "qualified" and
          status_of(body, "bruno-petit") == "declared" and
          status_of(body, "olga-orga") == "qualified",
          "at vote opening: Alice (2 supports) qualifies, Bruno (0) not",
          body[-2000:])
    st, _, _ = dave.post(P + "/support", {"candidate": "bruno-petit",
                                          "action": "support"}, "/account")
    check(st == 400, "no support once the vote is open", st)
    st, _, body = anon.req(P + "/results")
    check(st == 200 and "seront publiés" in body and "<svg" not in body,
          "results hidden during the vote", body[-600:])
    st, _, body = anon.req(P + "/results.csv")
    check(st == 409 and "alice-martin" not in body,
          "their CSV too: 409 during the vote", st)

    voter = Browser(port)
    st, _, body = voter.req(P + "/vote")
    check(st == 200 and 'name="code"' in body and 'name="csrf"' in body,
          "the voting page asks for the code", st)
    st, _, body = vote(voter, code_d.lower().replace("-", " "), {}, "code")
    check(st == 200 and 'name="g_alice-martin"' in body and
          'name="g_olga-orga"' in body and 'name="g_bruno-petit"' not in
          body and body.count('type="radio"') == 12,
          "the code (any spelling) opens the ballot: qualified candidates,"
          " six grades each", body[-2000:])
    check('class="blank"' not in body and "Voter blanc" not in body,
          "without --allow-blank the ballot offers no blank vote", None)
    n0 = ballots(dbpath)
    st, _, body = voter.post(P + "/vote", {"step": "cast", "code": code_d,
                                           "blank": "1"}, "/signin")
    check(st == 400 and "Le vote blanc n" in body and
          ballots(dbpath) == n0,
          "a blank ballot where none is allowed: 400, nothing stored", st)
    st, _, body = vote(voter, code_d, {"alice-martin": 2})
    check(st == 400 and ballots(dbpath) == n0,
          "a ballot with a candidate left ungraded: 400, nothing stored",
          st)
    st, _, body = vote(voter, "AAAA-BBBB", {"alice-martin": 2,
                                           "olga-orga": 2})
    check(st == 400 and ballots(dbpath) == n0,
          "a wrong code: 400, nothing stored", st)
    st, _, _ = voter.req(P + "/vote", "POST", form={
        "step": "cast", "code": code_d, "g_alice-martin": "2",
        "g_olga-orga": "2"})
    check(st == 403 and ballots(dbpath) == n0,
          "a ballot without a CSRF token: 403, nothing stored", st)
    st, h, body = vote(voter, code_d, {"alice-martin": 1, "olga-orga": 1})
    r1 = receipt_of(body)
    check(st == 200 and r1 and ballots(dbpath) == (1, 1) and
          "no-store" in h.get("cache-control", ""),
          "Dave's ballot through the form: a receipt", body[-1200:])
    st, _, body = anon.req(P + "/receipt/" + r1)
    check(st == 200 and "est compté" in body and "dave" not in body,
          "the receipt page: found and counted, nothing about the person",
          body[-800:])
    st, _, body = vote(voter, code_d, {"alice-martin": 4, "olga-orga": 4})
    r2 = receipt_of(body)
    check(st == 200 and r2 and r2 != r1 and ballots(dbpath) == (2, 1),
          "a second ballot with the same code replaces the first",
          ballots(dbpath))
    st, _, body = anon.req(P + "/receipt/" + r1)
    check(st == 200 and "remplacé" in body, "the first receipt: replaced",
          body[-600:])
    st, _, body = anon.req(P + "/receipt/" + r2)
    check(st == 200 and "est compté" in body,
          "the second receipt: counted", body[-600:])
    st, _, _ = anon.req(P + "/receipt/" + "0" * 64)
    check(st == 404, "an unknown receipt: 404", st)
    st, _, _ = anon.req(P + "/receipt/xyz")
    check(st == 404, "a malformed receipt: 404", st)
    st, _, body = vote(Browser(port), code_a, {"alice-martin": 5,
                                               "olga-orga": 4})
    check(st == 200 and receipt_of(body) and ballots(dbpath) == (3, 2),
          "Alice votes", st)

    # a primary with lots: the form grades exactly the code's lot, the
    # one `agora primary ballot` computes from public data
    lp = "/primary/pw-lot"
    st, _, body = dave.post(lp + "/credential", {})
    m = re.search(r'id="credential">([0-9A-Z-]{30,40})<', body)
    code_l = m.group(1) if m else ""
    st, _, body = Browser(port).post(lp + "/vote", {"step": "code",
                                                    "code": code_l})
    shown = sorted(re.findall(r'name="g_([a-z0-9-]+)"', body))
    shown = sorted(set(shown))
    want = sorted(c["slug"] for c in json.loads(agora(
        env, "primary", "ballot", "pw-lot", "--credential", code_l,
        "--json"))["candidates"])
    check(st == 200 and len(shown) == 2 and shown == want,
          "with --lot-size 2 the form grades exactly the code's lot",
          (shown, want))

    # a primary whose organiser allows the blank ballot: offered, counted
    bp = "/primary/pw-blank"
    st, _, body = dave.post(bp + "/credential", {})
    m = re.search(r'id="credential">([0-9A-Z-]{30,40})<', body)
    code_b = m.group(1) if m else ""
    bv = Browser(port)
    st, _, body = bv.post(bp + "/vote", {"step": "code", "code": code_b})
    check(st == 200 and 'class="blank"' in body and "Voter blanc" in body
          and 'name="g_eve-nord"' in body,
          "with --allow-blank the ballot also offers a blank vote",
          body[-1500:])
    n0 = ballots(dbpath)
    st, _, body = bv.post(bp + "/vote", {"step": "cast", "code": code_b,
                                         "blank": "1"})
    stored = db_one(dbpath, "SELECT body FROM ballot ORDER BY rowid DESC"
                    " LIMIT 1")[0]
    check(st == 200 and receipt_of(body) and
          ballots(dbpath) == (n0[0] + 1, n0[1] + 1) and
          json.loads(stored)["grades"] == {},
          "a blank ballot there: a receipt, stored with no grade",
          (st, stored))
    agora(env, "primary", "phase", "pw-blank", "closed")
    st, _, body = anon.req(bp + "/results")
    check(st == 200 and "1 votant" in body and "aucun vote" in body,
          "its results: one voter, no grade for anyone", body[-2000:])

    agora(env, "primary", "phase", SLUG, "closed")
    n0 = ballots(dbpath)
    st, _, _ = vote(voter, code_d, {"alice-martin": 0, "olga-orga": 0})
    check(st == 400 and ballots(dbpath) == n0,
          "a ballot after the close: 400, nothing stored", st)
    st, _, body = anon.req(P + "/results")
    svg = re.search(r"<svg.*?</svg>", body, re.S)
    check(st == 200 and svg and "merit-mid" in svg.group(0) and
          svg.group(0).count("<rect") >= 3 and " style=" not in body,
          "results after the close: an SVG merit profile, 50 % line, "
          "no style attribute", body[-3000:])
    rows = re.findall(r'<tr data-candidate="([^"]+)"><td>(\d+)</td>', body)
    check(rows == [("alice-martin", "1"), ("olga-orga", "2")],
          "the ranking: Alice first (Bien / Très bien beats Bien / Bien)",
          rows)
    check("2 votants" in body and "devance" in body and
          "Fabre" in body and "50,0 %" in body,
          "voters, the tie-break explained, Fabre's judgments, percentages",
          body[-3000:])
    sec = re.search(r'<details class="secondary">.*?</details>', body, re.S)
    check(sec and "mention majoritaire ou au-dessus" in sec.group(0) and
          "100,0 %" in sec.group(0),
          "the share of voters at or above the majority grade, for "
          "information", sec.group(0) if sec else body[-2000:])
    check('href="/primary/%s/results.csv"' % SLUG in body and
          'href="/api/v1/primaries/%s/results"' % SLUG in body,
          "the results page links to its CSV and JSON exports", None)
    st, h, csvt = anon.req(P + "/results.csv")
    lines = csvt.split("\r\n")
    check(st == 200 and h.get("content-type", "").startswith("text/csv")
          and "attachment" in h.get("content-disposition", "") and
          lines[0] == "rank,candidate,name,majority_grade,sign,À rejeter,"
          "Insuffisant,Passable,Assez bien,Bien,Très bien" and
          lines[1].startswith("1,alice-martin,Alice Martin,Bien,+,") and
          lines[2].startswith("2,olga-orga,Olga Orga,Bien,-,") and
          lines[1].endswith(",1,1") and lines[3] == "",
          "the results as CSV: rank order, grades named, counts worst "
          "first", (st, h.get("content-type"), csvt[:600]))


def main():
    tmp = tempfile.mkdtemp(prefix="agora-pweb-")
    proc = None
    try:
        dbpath = os.path.join(tmp, "agora.db")
        env = dict(os.environ, AGORA_DB=dbpath, AGORA_PWHASH_LIMITS=FAST)
        agora(env, "primary", "create", SLUG, "--title", "Primaire de test",
              "--support-threshold", "2", "--max-supports", "2", "--open")
        agora(env, "primary", "candidate", "add", SLUG, "--name",
              "Olga Orga")
        agora(env, "primary", "create", "pw-lot", "--title", "Lots",
              "--lot-size", "2", "--open")
        for name in ("Ana Un", "Basile Deux", "Cyrille Trois"):
            agora(env, "primary", "candidate", "add", "pw-lot", "--name",
                  name)
        agora(env, "primary", "phase", "pw-lot", "vote")
        agora(env, "primary", "create", "pw-blank", "--title", "Blanc",
              "--allow-blank", "--open")
        agora(env, "primary", "candidate", "add", "pw-blank", "--name",
              "Eve Nord")
        agora(env, "primary", "phase", "pw-blank", "vote")
        for who in ("alice", "bruno", "chloe", "dave", "frank"):
            agora(env, "user", "add", who + "@example.org", "--role",
                  "citizen", stdin=PASSWORD + "\n")
        port = free_port()
        proc = start(env, port)
        check(True, "server up on port %d" % port)
        flows(port, dbpath, env)
        rc = stop(proc)
        proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0", rc)
        r = subprocess.run([AGORA, "verify"], env=env, capture_output=True,
                           text=True)
        check(r.returncode == 0, "agora verify passes after it all",
              r.stdout + r.stderr)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
