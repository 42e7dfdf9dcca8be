#!/usr/bin/env python3
"""submit_test.py AGORA SRCDIR - candidates' programmes on the web.

Starts `agora serve` on a temporary database with an election, two
candidates with their accounts, an editor of the election, an editor of
another election and a citizen, then walks each flow and each refusal:
a candidate uploads a PDF programme (multipart/form-data) that waits,
pending and unsearchable, for moderation; an editor previews its
proposals (with their pages) and publishes it; the comparator and search
then show it; a second version is rejected with a reason the candidate
reads; a third replaces the published one, whose proposals stay
readable, and "what changed" lists the proposals added, removed and
changed. Refusals: anonymous, citizen, candidate and another election's
editor kept out of the routes that are not theirs, another candidacy,
CSRF-less posts, unsupported types, empty documents, oversize uploads
(413, announced or streamed), a rejection without a reason, a second
decision; each leaves the database as it was. Ends with `agora verify`.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import importlib.util
import os
import re
import sqlite3
import sys
import time
import urllib.parse

import harness
from harness import check, raw_status

AGORA, SRC = sys.argv[1], sys.argv[2]
ELECTION = "sub-2026"
OTHER = "ailleurs-2026"

spec = importlib.util.spec_from_file_location(
    "make_pdf", os.path.join(SRC, "tests", "data", "make_pdf.py"))
make_pdf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_pdf)


def multipart(fields, file=None):
    """fields: dict; file: (name, bytes) or None. Returns (type, body)."""
    return harness.multipart(fields, file and (
        file[0], "application/octet-stream", file[1]))


class Browser(harness.Browser):
    timeout = 120  # 20 MiB uploads on a loaded machine

    def upload(self, fields, file, csrf=True):
        if csrf:
            # a citizen has no upload form: a valid token of theirs
            tok = self.csrf("/submit") or self.csrf("/account")
            fields = dict(fields, csrf=tok)
        ctype, body = multipart(fields, file)
        return self.req("/submit", "POST", body=body,
                        headers={"Content-Type": ctype})


def counts(dbpath):
    con = sqlite3.connect(dbpath)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM document),"
            " (SELECT count(*) FROM proposal),"
            " (SELECT count(*) FROM proposal_fts_docsize)").fetchone()
    finally:
        con.close()


def doc_rows(dbpath):
    con = sqlite3.connect(dbpath)
    try:
        return con.execute("SELECT id, version, status FROM document"
                           " WHERE title = 'Programme' ORDER BY id"
                           ).fetchall()
    finally:
        con.close()


def search_hits(browser, q):
    st, _, body = browser.req("/api/v1/search?q=" + urllib.parse.quote(q))
    return st, body


def flows(port, dbpath, site):
    anon = Browser(port)
    claire, antoine = Browser(port), Browser(port)
    editor, outsider, citizen = Browser(port), Browser(port), Browser(port)
    for b, who in ((claire, "claire"), (antoine, "antoine"),
                   (editor, "editor"), (outsider, "outsider"),
                   (citizen, "citizen")):
        check(b.signin(who + "@example.org"), "%s signs in" % who)

    pdf1 = make_pdf.pdf(make_pdf.PAGES)
    fields = {"candidacy": ELECTION + "/claire-mercier",
              "title": "Programme",
              "source_url": "https://example.org/programme.pdf"}

    # who may reach what
    st, h, _ = anon.req("/submit")
    check(st == 303 and h.get("location") == "/signin",
          "anonymous: /submit sends to sign in", (st, h))
    for path in ("/submit", "/moderation"):
        st, _, _ = citizen.req(path)
        check(st == 403, "a citizen cannot reach %s" % path, st)
    st, _, _ = claire.req("/moderation")
    check(st == 403, "a candidate cannot reach the moderation queue", st)
    st, _, body = claire.req("/submit")
    check(st == 200 and 'enctype="multipart/form-data"' in body and
          'value="%s/claire-mercier"' % ELECTION in body and
          "antoine-roux" not in body,
          "a candidate's upload form: their own candidacy only", body[-800:])

    before = counts(dbpath)
    st, _, _ = claire.upload(fields, ("p.pdf", pdf1), csrf=False)
    check(st == 403 and counts(dbpath) == before,
          "an upload without a CSRF token: 403, nothing stored", st)
    st, _, _ = citizen.upload(fields, ("p.pdf", pdf1))
    check(st == 403 and counts(dbpath) == before,
          "a citizen's upload: 403, nothing stored", st)
    st, _, _ = antoine.upload(fields, ("p.pdf", pdf1))
    check(st == 403 and counts(dbpath) == before,
          "a candidate cannot submit for another candidacy", st)

    # bad input changes nothing
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    st, _, body = claire.upload(fields, ("programme.html", png))
    check(st == 415 and "non pris en charge" in body and
          counts(dbpath) == before,
          "a PNG named .html: 415, a clear message, nothing stored",
          (st, body[-600:]))
    st, _, body = claire.upload(fields, ("p.pdf", b"%PDF-1.4\nnot a pdf"))
    check(st == 400 and "PDF" in body and counts(dbpath) == before,
          "a broken PDF: 400 and why, nothing stored", (st, body[-600:]))
    st, _, body = claire.upload(fields, ("p.txt", b"   \n"))
    check(st == 400 and counts(dbpath) == before,
          "an empty document: 400, nothing stored", st)
    st, _, body = claire.upload(dict(fields, source_url="javascript:x"),
                                ("p.pdf", pdf1))
    check(st == 400 and counts(dbpath) == before,
          "a source URL that is not http(s): 400, nothing stored", st)
    st, _, body = claire.upload(fields, None)
    check(st == 400 and counts(dbpath) == before,
          "a form without a file: 400", st)
    cookie = "; ".join("%s=%s" % kv for kv in claire.jar.items())
    head = ("POST /submit HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            "Content-Length: %d\r\n\r\n" % (cookie, 64 << 20)).encode()
    t0 = time.time()
    st = raw_status(port, head)
    check(st == 413 and time.time() - t0 < 10 and counts(dbpath) == before,
          "64 MiB announced: 413 at once, before the body is read", st)
    tok = claire.csrf("/submit")
    ctype, big = multipart(dict(fields, csrf=tok),
                           ("big.txt", b"1. " + b"x" * (20 << 20)))
    head = ("POST /submit HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (cookie, ctype, len(big))).encode()
    st = raw_status(port, head, big)
    check(st == 413 and counts(dbpath) == before,
          "a file over 20 MiB within the announced length: 413 when it "
          "crosses the limit, nothing stored", st)
    st, _, _ = anon.req("/signin", "POST", body=b"x",
                        headers={"Content-Type": ctype})
    check(st in (403, 415), "multipart elsewhere than /submit: refused", st)

    # the upload: pending, not searchable, not in the comparator
    st, h, body = claire.upload(fields, ("programme.pdf", pdf1))
    rows = doc_rows(dbpath)
    check(st == 303 and h.get("location") == "/submit?sent=1" and
          rows and rows[-1][2] == "pending",
          "a PDF programme: received, pending", (st, rows, body[-600:]))
    pending_id = rows[-1][0] if rows else 0
    st, _, body = claire.req("/submit?sent=1")
    check("attend la modération" in body and
          "en attente de modération" in body,
          "the candidate sees it waiting", body[-800:])
    after = counts(dbpath)
    st, h, _ = claire.upload(fields, ("programme.pdf", pdf1))
    check(st == 303 and h.get("location") == "/submit?sent=same" and
          counts(dbpath) == after, "the same bytes again: nothing new",
          (st, after, counts(dbpath)))
    st, body = search_hits(anon, "cyclables")
    check(st == 200 and "50 kilomètres" not in body,
          "a pending programme is not searchable", body[:400])
    st, _, body = anon.req("/e/%s/c/claire-mercier" % ELECTION)
    check(st == 200 and "50 kilomètres" not in body,
          "a pending programme is not on the candidate page", st)
    st, _, body = anon.req("/e/%s/compare?theme=transport" % ELECTION)
    check(st == 200 and "50 kilomètres" not in body,
          "a pending programme is not in the comparator", st)
    st, _, body = anon.req("/d/%d/changes" % pending_id)
    check(st == 404, "no public 'what changed' for a pending document",
          st)
    con = sqlite3.connect(dbpath)
    pid = con.execute("SELECT min(id) FROM proposal WHERE document_id = ?",
                      (pending_id,)).fetchone()[0]
    con.close()
    st_api, _, _ = anon.req("/api/v1/proposals/%d" % pid)
    st_page, _, _ = anon.req("/p/%d" % pid)
    st_exp, _, body = anon.req("/api/v1/elections/%s/export" % ELECTION)
    check(st_api == 404 and st_page == 404 and st_exp == 200 and
          "50 kilomètres" not in body,
          "a pending proposal: 404 in the API and pages, not exported",
          (st_api, st_page, st_exp))

    # moderation
    st, _, body = outsider.req("/moderation")
    check(st == 200 and "/moderation/%d" % pending_id not in body,
          "another election's editor does not see it in the queue", st)
    st, _, _ = outsider.req("/moderation/%d" % pending_id)
    check(st == 403, "another election's editor cannot preview it", st)
    st, _, _ = claire.req("/moderation/%d" % pending_id)
    check(st == 403, "its candidate cannot moderate it", st)
    st, _, body = editor.req("/moderation")
    check(st == 200 and "/moderation/%d" % pending_id in body,
          "the election's editor sees it in the queue", body[-800:])
    st, _, body = editor.req("/moderation/%d" % pending_id)
    check(st == 200 and "Créer 50 kilomètres de pistes cyclables" in body
          and "page 2" in body and "4 propositions extraites" in body,
          "the preview: the extracted proposals with their pages",
          body[-1200:])
    st, _, _ = editor.req("/moderation/%d" % pending_id, "POST",
                          form={"action": "publish"})
    check(st == 403 and doc_rows(dbpath)[-1][2] == "pending",
          "a moderation post without a CSRF token: 403", st)
    st, _, body = editor.post("/moderation/%d" % pending_id,
                              {"action": "reject", "reason": ""})
    check(st == 400 and "reason" in body and
          doc_rows(dbpath)[-1][2] == "pending",
          "a rejection without a reason: 400, still pending", st)
    st, _, _ = citizen.post("/moderation/%d" % pending_id,
                            {"action": "publish"}, csrf_from="/account")
    check(st == 403 and doc_rows(dbpath)[-1][2] == "pending",
          "a citizen cannot publish", st)
    st, h, _ = editor.post("/moderation/%d" % pending_id,
                           {"action": "publish"})
    check(st == 303 and doc_rows(dbpath)[-1][2] == "published",
          "the editor publishes it", (st, h))
    st, _, body = editor.post("/moderation/%d" % pending_id,
                              {"action": "reject", "reason": "trop tard"},
                              csrf_from="/account")
    check(st == 400 and doc_rows(dbpath)[-1][2] == "published",
          "a decided document cannot be decided again", st)
    st, body = search_hits(anon, "cyclables")
    check(st == 200 and "50 kilomètres" in body,
          "published: search finds it", body[:400])
    st, _, body = anon.req("/e/%s/compare?theme=transport" % ELECTION)
    check("50 kilomètres" in body, "published: the comparator shows it",
          st)

    # a second version, rejected with a reason the candidate reads
    pages2 = [list(p) for p in make_pdf.PAGES]
    pages2[1][2] = "4. Créer 80 kilomètres de pistes cyclables."
    st, _, body = claire.upload(fields, ("v2.pdf", make_pdf.pdf(pages2)))
    v2 = doc_rows(dbpath)[-1]
    check(st == 303 and v2[2] == "pending", "a second version: pending",
          v2)
    st, _, _ = editor.post("/moderation/%d" % v2[0],
                           {"action": "reject",
                            "reason": "L'adresse ne mène pas au document."})
    st, _, body = claire.req("/submit")
    check(doc_rows(dbpath)[-1][2] == "rejected" and "refusé" in body and
          "L&#39;adresse ne mène pas au document." in body or
          "L'adresse ne mène pas au document." in body,
          "rejected: the candidate reads the reason", body[-1000:])
    st, body = search_hits(anon, "80 kilomètres")
    check(st == 200 and "4. Créer 80" not in body,
          "a rejected version is not searchable",
          body[:300])

    # a third version replaces the published one
    pages3 = [list(p) for p in make_pdf.PAGES]
    pages3[0][2] = "2. Encadrer les loyers partout."
    pages3[1] = pages3[1][:2] + ["5. Ouvrir trois lignes de tramway."]
    st, _, body = claire.upload(fields, ("v3.pdf", make_pdf.pdf(pages3)))
    v3 = doc_rows(dbpath)[-1]
    check(st == 303 and v3[2] == "pending", "a third version: pending",
          (st, body[-500:]))
    st, _, _ = editor.post("/moderation/%d" % v3[0], {"action": "publish"})
    check(doc_rows(dbpath)[-1][2] == "published",
          "the third version is published", doc_rows(dbpath))
    st, body = search_hits(anon, "tramway")
    st2, body2 = search_hits(anon, "cyclables")
    check("trois lignes de tramway" in body and "50 kilomètres" not in body2,
          "search sees the new version only", (body[:300], body2[:300]))
    con = sqlite3.connect(dbpath)
    old = con.execute("SELECT id FROM proposal WHERE document_id = ?"
                      " AND text LIKE '%50 kilom%'",
                      (pending_id,)).fetchone()
    con.close()
    st, _, body = anon.req("/p/%d" % old[0]) if old else (0, {}, "")
    check(st == 200 and "cyclables" in body,
          "the old version's proposals stay readable", st)
    st, _, body = anon.req("/d/%d/changes" % v3[0])
    added = re.findall(r'<li class="added">.*?</li>', body, re.S)
    removed = re.findall(r'<li class="removed">.*?</li>', body, re.S)
    old_new = re.findall(r'<li class="(old|new)">', body)
    check(st == 200 and len(added) == 1 and "tramway" in added[0] and
          len(removed) == 1 and "cyclables" in removed[0] and
          old_new == ["old", "new"] and "partout" in body,
          "what changed: one added, one removed, one changed",
          body[body.find("<main"):][:1500])
    st, _, body = claire.req("/submit")
    check("/d/%d/changes" % v3[0] in body,
          "the candidate's page links to what changed", body[-800:])

    # the same queue from the command line
    pages4 = [list(p) for p in pages3] + [["6. Un budget participatif."]]
    st, _, _ = claire.upload(fields, ("v4.pdf", make_pdf.pdf(pages4)))
    v4 = doc_rows(dbpath)[-1]
    r = site.run("moderate", "--election", ELECTION, "--json")
    check(r.returncode == 0 and '"document": %d' % v4[0] in r.stdout and
          '"candidate": "claire-mercier"' in r.stdout,
          "agora moderate lists the pending document", r.stdout + r.stderr)
    r = site.run("moderate", str(v4[0]), "--reject", "")
    check(r.returncode == 2 and doc_rows(dbpath)[-1][2] == "pending",
          "agora moderate: a rejection without a reason is refused",
          r.stderr)
    r = site.run("moderate", str(v4[0]), "--publish")
    st, body = search_hits(anon, "budget participatif")
    check(r.returncode == 0 and doc_rows(dbpath)[-1][2] == "published" and
          "6. Un budget participatif." in body,
          "agora moderate publishes it: search sees it at once",
          r.stdout + r.stderr + body[:300])
    r = site.run("moderate", str(v4[0]), "--publish")
    check(r.returncode == 2 and "not waiting" in r.stderr,
          "agora moderate: a published document is not decided again",
          r.stderr)


def main():
    site = harness.Site(AGORA, "agora-submit-")
    try:
        site.setup(harness.campaign(SRC, ELECTION, OTHER))
        port = site.serve()
        flows(port, site.dbpath, site)
        site.stop()
        r = site.run("verify")
        check(r.returncode == 0,
              "agora verify: every version verbatim, the index exact",
              r.stdout + r.stderr)
    finally:
        site.close()
    harness.finish()


if __name__ == "__main__":
    main()
