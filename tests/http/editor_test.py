#!/usr/bin/env python3
"""editor_test.py AGORA SRCDIR - editors' flows and refusals over HTTP
(and `agora review`, the same from a script).

Starts `agora serve` on a temporary database with two elections, an
editor of each, a citizen and an anonymous visitor, and checks: the
review screen and its filters; themes confirmed, rejected and added one
by one and in bulk; context notes (sources validated, signed, edited
with history) shown to voters on the proposal, candidate and compare
pages and in the API at once (the page cache's generation moves); every
action in the hash-chained audit log, its public page and `agora
verify`; and each refusal: anonymous (to sign-in) and citizen (403) on
editor routes, an editor of another election (403, 404), posts without
a CSRF token (403), and a crafted post that tries to change a
proposal's text (refused, text unchanged).
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import http.client
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
import auth_test as A  # noqa: E402  (Browser, start, stop, check)
import harness  # noqa: E402

AGORA, SRC = sys.argv[1], sys.argv[2]
check = A.check
CORPUS = os.path.join(SRC, "corpus", "valbrune-2026")


def run(env, *args, stdin=None):
    r = subprocess.run([AGORA, "--quiet"] + list(args), env=env,
                       input=stdin, capture_output=True, text=True)
    if r.returncode:
        sys.exit("agora %s failed: %s" % (" ".join(args), r.stderr))
    return r


def db(path):
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    return con


def q1(path, sql, *args):
    con = db(path)
    try:
        return con.execute(sql, args).fetchone()
    finally:
        con.close()


def generation(path):
    return q1(path, "SELECT value FROM meta"
              " WHERE key = 'search_generation'")[0]


def signin(b, email):
    st, h, _ = b.post("/signin", {"email": email,
                                  "password": "editor password"})
    return st == 303 and "agora_session" in b.jar


def suggestions(path, election, n, status="suggested"):
    """n (proposal, theme key) pairs of an election's current
    programmes, each from a different proposal"""
    con = db(path)
    try:
        rows = con.execute(
            "SELECT pt.proposal_id, t.slug FROM proposal_theme pt"
            " JOIN theme t ON t.id = pt.theme_id"
            " JOIN proposal p ON p.id = pt.proposal_id"
            " JOIN current_document d ON d.id = p.document_id"
            " JOIN candidate c ON c.id = d.candidate_id"
            " JOIN election e ON e.id = c.election_id"
            " WHERE e.slug = ? AND pt.status = ?"
            " GROUP BY pt.proposal_id ORDER BY pt.proposal_id LIMIT ?",
            (election, status, n)).fetchall()
        return [(r[0], r[1]) for r in rows]
    finally:
        con.close()


def status_of(path, pid, theme):
    r = q1(path, "SELECT pt.status, pt.editor_id, pt.origin"
           " FROM proposal_theme pt JOIN theme t ON t.id = pt.theme_id"
           " WHERE pt.proposal_id = ? AND t.slug = ?", pid, theme)
    return tuple(r) if r else None


def audit_rows(path, action=None):
    con = db(path)
    try:
        return con.execute(
            "SELECT actor, action, object, detail FROM audit"
            " WHERE ?1 IS NULL OR action = ?1 ORDER BY seq",
            (action,)).fetchall()
    finally:
        con.close()


def start(env, port):
    """agora serve with one worker: one page cache, so that a test can
    tell a page served from it (stale) from a page rendered anew"""
    return harness.start(AGORA, env, port, threads=1)


def relabel(path, theme, label):
    """Changes a theme's label behind the server's back: nothing moves
    the cache's generation, so a cached page keeps the old label"""
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE theme SET label_fr = ? WHERE slug = ?",
                    (label, theme))
        con.commit()
    finally:
        con.close()


def post_pairs(b, url, pairs):
    """A form with repeated keys (ticked boxes), with b's CSRF token"""
    tok = b.csrf(url)
    body = urllib.parse.urlencode(pairs + [("csrf", tok)]).encode()
    return b.req(url, "POST", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded"})


def flows(port, path, env):
    anon = A.Browser(port)
    cit = A.Browser(port)
    ed = A.Browser(port)
    other = A.Browser(port)
    check(signin(cit, "cit@example.org") and signin(ed, "ed@example.org")
          and signin(other, "other@example.org"),
          "the citizen and both editors sign in")
    ed_id = q1(path, "SELECT id FROM user WHERE email = 'ed@example.org'")[0]

    # ---- who may reach the editor routes
    for url in ("/e/ed-a/review", "/e/ed-a/review/1"):
        st, h, _ = anon.req(url)
        check(st == 303 and h.get("location") == "/signin",
              "anonymous %s: sent to sign-in" % url, (st, h))
        st, _, body = cit.req(url)
        check(st == 403, "a citizen on %s: 403" % url, st)
        st, _, body = other.req(url)
        check(st == 403, "the editor of another election on %s: 403" % url,
              st)
    (p1, t1), (p2, t2), (p3, t3) = suggestions(path, "ed-a", 3)
    one = {"one": "confirm:%d:%s" % (p1, t1)}
    st, h, _ = anon.req("/e/ed-a/review", "POST", form=one)
    check(st == 303 and h.get("location") == "/signin",
          "an anonymous post: sent to sign-in, nothing written", st)
    tok = cit.csrf("/account")
    st, _, _ = cit.req("/e/ed-a/review", "POST", form=dict(one, csrf=tok))
    check(st == 403, "a citizen's post with a valid CSRF token: 403", st)
    st, _, _ = other.post("/e/ed-a/review", one, csrf_from="/e/ed-b/review")
    check(st == 403, "the other election's editor posting here: 403", st)
    st, _, _ = other.post("/e/ed-b/review", one)
    check(st == 404, "a decision on this election's proposal through the "
          "other election: 404", st)
    st, _, _ = other.post("/e/ed-b/review/%d" % p1,
                          {"body": "x", "sources": "https://example.org/"},
                          csrf_from="/e/ed-b/review")
    check(st == 404, "a note on this election's proposal through the other "
          "election: 404", st)
    st, _, _ = ed.req("/e/ed-a/review", "POST", form=one)
    check(st == 403, "the editor's own post without a CSRF token: 403", st)
    st, _, _ = ed.req("/e/ed-a/review", "POST",
                      form=dict(one, csrf="A" * 43))
    check(st == 403, "the editor's post with a forged CSRF token: 403", st)
    check(status_of(path, p1, t1)[0] == "suggested" and not
          audit_rows(path, "theme.confirm"),
          "after every refusal: nothing changed, nothing logged",
          status_of(path, p1, t1))

    # ---- the review screen
    cand = q1(path, "SELECT c.slug FROM proposal p JOIN document d"
              " ON d.id = p.document_id JOIN candidate c"
              " ON c.id = d.candidate_id WHERE p.id = ?", p1)[0]
    mine = "/e/ed-a/review?candidate=%s" % cand
    st, _, body = ed.req(mine)
    check(st == 200 and 'name="csrf"' in body and
          ('<input type="checkbox" name="pt" id="pt-%d-%s"' % (p1, t1))
          in body and ('<label for="pt-%d-%s">' % (p1, t1)) in body and
          'value="confirm:%d:%s"' % (p1, t1) in body,
          "the review screen: each suggestion a labelled checkbox and "
          "a button", body[:1500])
    check("règle de mots-clés" in body or "intitulé de rubrique" in body,
          "the review screen says each suggestion's origin")
    check("no-store" in (ed.req("/e/ed-a/review")[1]
                         .get("cache-control", "")),
          "the review screen is never stored by caches")
    names = set(re.findall(r'<label for="sel-\d+">([^<]*?) —', body))
    check(st == 200 and len(names) == 1, "filter by candidate", names)
    st, _, body = ed.req("/e/ed-a/review?theme=%s" % t1)
    check(st == 200 and 'id="p%d"' % p1 in body and
          all(('data-theme="%s"' % t1) in art for art in
              re.findall(r'<article class="review-item".*?</article>',
                         body, re.S)),
          "filter by theme: every proposal listed has it")

    # ---- one decision; the page cache sees it at once
    st, _, body = anon.req("/p/%d" % p2)
    check(st == 200 and ("compare?theme=%s" % t2) in body,
          "before: the voter sees the suggested theme", body[-1500:])
    label = q1(path, "SELECT label_fr FROM theme WHERE slug = ?", t2)[0]
    relabel(path, t2, "Libellé périmé")
    st, _, body = anon.req("/p/%d" % p2)
    check(st == 200 and ("compare?theme=%s" % t2) in body and
          "Libellé périmé" not in body,
          "the proposal page is served from the page cache", body[-1500:])
    relabel(path, t2, label)
    g0 = generation(path)
    st, h, _ = ed.post("/e/ed-a/review",
                       {"one": "reject:%d:%s" % (p2, t2)})
    check(st == 303 and h.get("location") == "/e/ed-a/review",
          "reject one theme: 303 back to the review screen", (st, h))
    check(status_of(path, p2, t2)[:2] == ("rejected", ed_id),
          "the theme is rejected, by this editor", status_of(path, p2, t2))
    check(generation(path) > g0, "a decision moves the cache's generation")
    st, _, body = anon.req("/p/%d" % p2)
    check(st == 200 and ("compare?theme=%s" % t2) not in body,
          "after: the voter no longer sees the rejected theme at once")
    st, h, _ = ed.post("/e/ed-a/review",
                       {"one": "confirm:%d:%s" % (p1, t1),
                        "candidate": cand, "unreviewed": "1"})
    check(st == 303 and h.get("location") == mine + "&unreviewed=1"
          and status_of(path, p1, t1)[0] == "confirmed",
          "confirm one theme; the filters are kept", (st, h))
    st, _, body = ed.req(mine + "&unreviewed=1")
    arts = re.findall(r'<article class="review-item".*?</article>', body,
                      re.S)
    left = q1(path, "SELECT count(*) FROM proposal_theme WHERE"
              " proposal_id = ? AND status = 'suggested'", p1)[0]
    check(st == 200 and arts and
          all('data-status="suggested"' in a or "data-theme" not in a
              for a in arts) and
          ('id="p%d"' % p1 in body) == (left > 0),
          "unreviewed only: each proposal listed has a suggestion left",
          (len(arts), left))

    # ---- in bulk
    more = suggestions(path, "ed-a", 2)
    st, _, _ = post_pairs(ed, "/e/ed-a/review", [("action", "reject")] +
                          [("pt", "%d:%s" % m) for m in more])
    check(st == 303 and all(status_of(path, *m)[0] == "rejected"
                            for m in more),
          "reject the ticked themes: all of them", [status_of(path, *m)
                                                    for m in more])
    st, _, _ = post_pairs(ed, "/e/ed-a/review", [
        ("action", "add"), ("add_theme", "europe"), ("p", str(p2)),
        ("p", str(p3))])
    check(st == 303 and status_of(path, p2, "europe") ==
          ("confirmed", ed_id, "editor") and
          status_of(path, p3, "europe")[0] == "confirmed",
          "add a theme to the ticked proposals: origin editor, confirmed",
          (status_of(path, p2, "europe"), status_of(path, p3, "europe")))
    st, _, _ = post_pairs(ed, "/e/ed-a/review", [
        ("action", "add"), ("add_theme", "nope"), ("p", str(p2))])
    check(st == 404, "an unknown theme: 404", st)
    n_audit = len(audit_rows(path))
    check(len(audit_rows(path, "theme.reject")) == 3 and
          len(audit_rows(path, "theme.confirm")) == 1 and
          len(audit_rows(path, "theme.add")) == 2,
          "one audit entry per decision", n_audit)
    r = audit_rows(path, "theme.reject")[0]
    check(r["actor"] == ed_id and r["object"] == "proposal:%d" % p2 and
          json.loads(r["detail"]) == {"theme": t2, "before": "suggested",
                                      "after": "rejected"},
          "an entry names actor, object, before and after", dict(r))

    # ---- the text of a proposal cannot be changed
    text0 = q1(path, "SELECT text FROM proposal WHERE id = ?", p1)[0]
    for url in ("/e/ed-a/review", "/e/ed-a/review/%d" % p1):
        st, _, _ = ed.post(url, {"text": "Texte falsifié", "id": str(p1),
                                 "action": "edit"},
                           csrf_from="/e/ed-a/review")
        check(st == 400, "a crafted post with a new text to %s: 400" % url,
              st)
    check(q1(path, "SELECT text FROM proposal WHERE id = ?", p1)[0] ==
          text0 and len(audit_rows(path)) == n_audit,
          "the proposal's text is unchanged and nothing was logged")
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE proposal SET text = 'x' WHERE id = ?", (p1,))
        con.commit()
        refused = False
    except sqlite3.DatabaseError as e:
        refused = "verbatim" in str(e)
    finally:
        con.close()
    check(refused, "the database itself refuses a text update")

    # ---- context notes
    page = "/e/ed-a/review/%d" % p1
    st, _, body = ed.req(page)
    check(st == 200 and '<label for="body-0">' in body and
          '<label for="sources-0">' in body,
          "a proposal's review page: a labelled note form", body[-1200:])
    anon.req("/e/ed-a/c/%s" % cand)
    anon.req("/p/%d" % p1)
    label = q1(path, "SELECT label_fr FROM theme WHERE slug = ?", t1)[0]
    relabel(path, t1, "Libellé périmé")
    st, _, body = anon.req("/p/%d" % p1)
    check(st == 200 and ("compare?theme=%s" % t1) in body and
          "Libellé périmé" not in body,
          "the annotated proposal's page is in the page cache")
    for bad, why in (("", "no source"), ("ftp://example.org/x", "ftp"),
                     ("javascript:alert(1)", "javascript:"),
                     ("https://", "no host"),
                     ("https://exa mple.org/", "a space")):
        st, _, body = ed.post(page, {"body": "Un fait.", "sources": bad})
        check(st == 400 and "Un fait." in body,
              "a note with %s as its source: 400, the text kept" % why, st)
    st, _, _ = ed.post(page, {"body": "   ", "sources":
                              "https://example.org/"})
    check(st == 400, "an empty note: 400", st)
    check(q1(path, "SELECT count(*) FROM note")[0] == 0,
          "no refused note was stored")
    g0 = generation(path)
    note = ("Le coût de cette mesure est estimé à 2 Md€ <b>par an</b>.")
    st, h, _ = ed.post(page, {"body": note, "sources":
                              "https://www.insee.fr/fr/statistiques\n\n"
                              "http://example.org/rapport?id=3&x=1\n"})
    check(st == 303 and h.get("location") == page, "a note: 303", (st, h))
    nid = q1(path, "SELECT id FROM note WHERE proposal_id = ?", p1)
    nid = nid[0] if nid else 0
    check(nid and generation(path) > g0, "a note moves the generation")
    st, _, body = anon.req("/p/%d" % p1)
    check(st == 200 and '<aside class="note"' in body and
          "2 Md€ &lt;b&gt;par an&lt;/b&gt;" in body and
          "Éd Itrice" in body and "pas par le candidat" in body and
          'href="http://example.org/rapport?id=3&amp;x=1"' in body and
          "/notes/%d" % nid in body,
          "the voter sees the note at once on the proposal page: apart, "
          "signed, sourced", body[-2500:])
    check("Libellé périmé" in body, "the page was rendered anew, not "
          "taken from the cache")
    st, _, body = A.Browser(port).req("/p/%d?lang=en" % p1)
    check(st == 200 and "Context note" in body and "Note signed by" in body
          and "not by the candidate" in body, "the note in English", st)
    relabel(path, t1, label)
    check(body.index('<blockquote class="text">') <
          body.index('<aside class="note"'),
          "the note comes under the proposal, outside its quote")
    check("ed@example.org" not in body, "no editor's e-mail on the page")
    st, _, body = anon.req("/e/ed-a/c/%s" % cand)
    check(st == 200 and "2 Md€" in body, "the note on the candidate page")
    st, _, body = anon.req("/e/ed-a/compare?theme=%s" % t1)
    check(st == 200 and "2 Md€" in body, "the note on the compare page")
    st, _, j = A.Browser(port).req("/api/v1/proposals/%d" % p1)
    j = json.loads(j) if st == 200 else {}
    n = (j.get("notes") or [{}])[0]
    check(n.get("body") == note and n.get("editor") == "Éd Itrice" and
          n.get("sources") == ["https://www.insee.fr/fr/statistiques",
                               "http://example.org/rapport?id=3&x=1"] and
          n.get("version") == 1 and j.get("text") == text0,
          "the API gives the note apart from the text", j)

    # edited, with history
    st, _, _ = ed.post(page, {"note": str(nid), "body": "Coût : 3 Md€.",
                              "sources": "https://www.insee.fr/"})
    check(st == 303, "a new version of the note: 303", st)
    st, _, body = anon.req("/p/%d" % p1)
    check("3 Md€" in body and "2 Md€" not in body,
          "the proposal page shows the current version")
    st, _, body = anon.req("/notes/%d" % nid)
    check(st == 200 and "3 Md€" in body and "2 Md€" in body and
          body.index("3 Md€") < body.index("2 Md€"),
          "the note's history keeps every version, newest first")
    rows = audit_rows(path, "note.edit")
    d = json.loads(rows[0]["detail"]) if rows else {}
    check(len(audit_rows(path, "note.add")) == 1 and len(rows) == 1 and
          d.get("before", {}).get("body") == note and
          d.get("after", {}).get("body") == "Coût : 3 Md€.",
          "note.add and note.edit logged with before and after", d)
    st, _, _ = other.post("/e/ed-b/review/%d" % p1,
                          {"note": str(nid), "body": "Autre.",
                           "sources": "https://example.org/"},
                          csrf_from="/e/ed-b/review")
    check(st == 404 and q1(path, "SELECT max(version) FROM note_version"
                           " WHERE note_id = ?", nid)[0] == 2,
          "the other election's editor cannot edit this note", st)

    # ---- the public log
    st, _, body = anon.req("/e/ed-a/audit")
    check(st == 200 and body.count("<tr data-action=") == len(
        [r for r in audit_rows(path) if r["action"].split(".")[0] in
         ("theme", "note")]) and "Éd Itrice" in body and
          "ed@example.org" not in body,
          "the public editor log lists every decision, by name", body[-800:])
    st, _, body = anon.req("/e/ed-a")
    check('href="/e/ed-a/audit"' in body,
          "the election page links to its editor log")
    st, _, body = anon.req("/e/ed-b/audit")
    check(st == 200 and "<tr data-action=" not in body,
          "another election's log does not list them")
    r = subprocess.run([AGORA, "verify"], env=env, capture_output=True,
                       text=True)
    check(r.returncode == 0, "agora verify accepts the audit chain",
          r.stdout + r.stderr)


def review(env, *args, stdin=""):
    return subprocess.run([AGORA, "review"] + list(args), env=env,
                          input=stdin, capture_output=True, text=True)


def command_line(path, env):
    """agora review: the same changes, refusals and log from a script"""
    (pid, theme), = suggestions(path, "ed-a", 1)
    n = len(audit_rows(path))
    r = review(env, "--election", "ed-a", "--as", "other@example.org",
               "confirm", str(pid), theme)
    check(r.returncode == 2 and "not an editor" in r.stderr and
          len(audit_rows(path)) == n,
          "agora review: another election's editor is refused", r.stderr)
    r = review(env, "--election", "ed-b", "--as", "other@example.org",
               "confirm", str(pid), theme)
    check(r.returncode == 2 and status_of(path, pid, theme)[0] ==
          "suggested", "agora review: a proposal of another election is "
          "refused", r.stderr)
    args = ["--election", "ed-a", "--as", "ed@example.org", "confirm",
            str(pid), theme]
    r = review(env, *args)
    check(r.returncode == 0 and r.stdout == "changed\n" and
          status_of(path, pid, theme)[0] == "confirmed" and
          audit_rows(path)[-1]["action"] == "theme.confirm",
          "agora review confirm: confirmed and logged", r.stdout + r.stderr)
    r = review(env, *args)
    check(r.returncode == 0 and r.stdout == "unchanged\n" and
          len(audit_rows(path)) == n + 1,
          "the same decision again: unchanged, not logged", r.stdout)
    r = review(env, "--election", "ed-a", "--as", "ed@example.org",
               "--source", "ftp://example.org/", "note", str(pid),
               stdin="Un fait.")
    check(r.returncode == 2, "agora review note: a bad source, exit 2",
          r.stderr)
    r = review(env, "--election", "ed-a", "--as", "ed@example.org",
               "--source", "https://example.org/a", "note", str(pid),
               stdin="Un fait venu d'un script.\n")
    m = re.match(r"note (\d+)\n$", r.stdout)
    check(r.returncode == 0 and m and q1(
        path, "SELECT body FROM note_version WHERE note_id = ?",
        int(m.group(1)))[0] == "Un fait venu d'un script.",
          "agora review note: stored, its id printed", r.stdout + r.stderr)
    r = subprocess.run([AGORA, "--quiet", "review", "--election", "ed-a",
                        "--as", "ed@example.org", "--source",
                        "https://example.org/b", "note", str(pid)],
                       env=env, input="Un second fait.\n",
                       capture_output=True, text=True)
    check(r.returncode == 0 and re.match(r"note \d+\n$", r.stdout),
          "agora --quiet review note: the id, its result, still printed",
          r.stdout + r.stderr)
    r = subprocess.run([AGORA, "verify"], env=env, capture_output=True,
                       text=True)
    check(r.returncode == 0, "agora verify still accepts the chain",
          r.stdout + r.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="agora-editor-")
    proc = None
    try:
        path = os.path.join(tmp, "agora.db")
        env = dict(os.environ, AGORA_DB=path, AGORA_PWHASH_LIMITS=A.FAST,
                   LANG="C.UTF-8")
        run(env, "election", "add", "ed-a", "--title", "Élection A")
        run(env, "election", "add", "ed-b", "--title", "Élection B")
        for e, name, f in (("ed-a", "Claire Mercier", "mercier.html"),
                           ("ed-a", "Paul Durand", "durand.md"),
                           ("ed-b", "Nadia Benali", "benali.txt")):
            run(env, "ingest", "--election", e, "--candidate", name,
                os.path.join(CORPUS, f))
        for email, args in (
                ("ed@example.org", ["--role", "editor", "--election",
                                    "ed-a", "--name", "Éd Itrice"]),
                ("other@example.org", ["--role", "editor", "--election",
                                       "ed-b"]),
                ("cit@example.org", ["--role", "citizen"])):
            run(env, "user", "add", email, *args, stdin="editor password\n")
        port = A.free_port()
        proc = start(env, port)
        check(True, "server up on port %d" % port)
        flows(port, path, env)
        rc = A.stop(proc)
        proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0")
        command_line(path, env)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
