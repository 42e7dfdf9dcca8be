#!/usr/bin/env python3
"""claim_test.py AGORA SRCDIR - linking an account to its candidacy.

Starts `agora serve` on a temporary database with two elections and a
primary, an editor of each, an administrator and citizens, then walks
the flow and each refusal: a citizen asks to be linked to a candidate
with a message; the request waits in the queue of that election's
editors (not another election's); an editor refuses it with a reason
the citizen reads, then confirms a new request, which opens /submit for
that candidacy. Refusals: anonymous, CSRF-less, unknown candidate, too
long a message, a duplicate request, an account already linked, a
citizen and another election's editor on the queue, a refusal without
reason, a second decision; none changes anything. Then a primary's
declarant: declaring creates the comparator candidate and files the
request; once an editor confirms, the declarant submits a programme
that, published, shows on the candidate's page under the primary's
election; a declarant whose request already waits keeps the
declaration, with that one request. Ends with `agora verify` (the audit chain). Prints one
"ok - ..." line per check, then "N passed, M failed".
"""
import json
import os
import sys

import harness
from harness import Browser, check, query as q

AGORA, SRC = sys.argv[1], sys.argv[2]
ELECTION = "cl-2026"
OTHER = "ailleurs-2026"
PRIMARY = "prim-2027"


def claims(dbpath):
    return q(dbpath, "SELECT k.id, u.email, c.slug, k.status, k.reason"
             " FROM candidacy_claim k JOIN user u ON u.id = k.user_id"
             " JOIN candidate c ON c.id = k.candidate_id ORDER BY k.id")


def linked(dbpath, email, cand):
    return bool(q(dbpath, "SELECT 1 FROM user_role r JOIN user u"
                  " ON u.id = r.user_id JOIN candidate c"
                  " ON c.id = r.candidate_id WHERE u.email = ?"
                  " AND r.role = 'candidate' AND c.slug = ?", email, cand))


def multipart(fields, file):
    """file: (name, bytes) of a Markdown programme"""
    return harness.multipart(fields, (file[0], "text/markdown", file[1]))


def claim_flows(port, dbpath):
    anon = Browser(port)
    cit, cit2 = Browser(port), Browser(port)
    editor, outsider, admin = Browser(port), Browser(port), Browser(port)
    for b, who in ((cit, "citizen"), (cit2, "citizen2"),
                   (editor, "editor"), (outsider, "outsider"),
                   (admin, "admin")):
        check(b.signin(who + "@example.org"), "%s signs in" % who)
    want = ELECTION + "/claire-mercier"
    form = {"candidacy": want, "message": "Je suis Claire Mercier."}

    # not signed in
    st, h, _ = anon.req("/account/candidacy")
    check(st == 303 and h.get("location") == "/signin",
          "anonymous: the request page sends to sign in", (st, h))
    st, h, _ = anon.post("/account/candidacy", form, "/signup")
    check(st == 303 and h.get("location") == "/signin" and
          claims(dbpath) == [],
          "anonymous: a posted request is sent to sign in, nothing filed",
          (st, h))
    st, h, _ = anon.req("/candidacies")
    check(st == 303 and h.get("location") == "/signin",
          "anonymous: the queue sends to sign in", (st, h))

    # the form
    st, _, body = cit.req("/account/candidacy?c=" + want)
    check(st == 200 and ('value="%s" selected' % want) in body and
          'value="%s/antoine-roux"' % ELECTION in body and
          'name="message"' in body and 'name="csrf"' in body,
          "a citizen's request form lists the candidates, preselected",
          body[-1500:])
    st, _, body = cit.req("/account")
    check('href="/account/candidacy"' in body,
          "the account page links to the request page", body[-800:])

    # refusals that change nothing
    st, _, _ = cit.req("/account/candidacy", "POST", form=form)
    check(st == 403 and claims(dbpath) == [],
          "a request without a CSRF token: 403, nothing filed", st)
    st, _, body = cit.post("/account/candidacy",
                           dict(form, candidacy=ELECTION + "/nobody"))
    check(st == 404 and claims(dbpath) == [],
          "a request for an unknown candidate: 404, nothing filed", st)
    st, _, body = cit.post("/account/candidacy",
                           dict(form, candidacy="no-slash"))
    check(st == 400 and claims(dbpath) == [],
          "a request without a candidacy: 400, nothing filed", st)
    st, _, body = cit.post("/account/candidacy",
                           dict(form, message="x" * 2001))
    check(st == 400 and "message" in body and claims(dbpath) == [],
          "a message over 2000 bytes: 400 and why, nothing filed",
          (st, body[-600:]))

    # filed
    st, h, _ = cit.post("/account/candidacy", form)
    rows = claims(dbpath)
    check(st == 303 and h.get("location") == "/account/candidacy?sent=1"
          and len(rows) == 1 and rows[0][1:4] ==
          ("citizen@example.org", "claire-mercier", "pending"),
          "a citizen files a request: pending", (st, h, rows))
    cid = rows[0][0]
    st, _, body = cit.req("/account/candidacy?sent=1")
    check(st == 200 and "en attente" in body and "Claire Mercier" in body,
          "the citizen sees the request waiting", body[-1500:])
    st, _, body = cit.post("/account/candidacy", form)
    check(st == 409 and len(claims(dbpath)) == 1,
          "a duplicate request: 409, nothing filed", (st, body[-400:]))

    # who sees the queue
    st, _, _ = cit.req("/candidacies")
    check(st == 403, "a citizen cannot reach the queue", st)
    st, _, _ = cit.req("/candidacies/%d" % cid)
    check(st == 403, "a citizen cannot open a request", st)
    st, _, body = outsider.req("/candidacies")
    check(st == 200 and "/candidacies/%d" % cid not in body,
          "another election's editor does not see the request", body[-800:])
    st, _, _ = outsider.req("/candidacies/%d" % cid)
    check(st == 403, "another election's editor cannot open it", st)
    tok = outsider.csrf("/account")
    st, _, _ = outsider.req("/candidacies/%d" % cid, "POST",
                            form={"action": "confirm", "csrf": tok})
    check(st == 403 and claims(dbpath)[0][3] == "pending" and
          not linked(dbpath, "citizen@example.org", "claire-mercier"),
          "another election's editor cannot confirm it: 403, nothing "
          "changes", st)
    st, _, body = editor.req("/candidacies")
    check(st == 200 and "/candidacies/%d" % cid in body and
          "citizen@example.org" in body,
          "the election's editor sees the request in the queue",
          body[-1200:])
    st, _, body = editor.req("/moderation")
    check('href="/candidacies"' in body,
          "the moderation page links to the requests", body[-800:])
    st, _, body = editor.req("/candidacies/%d" % cid)
    check(st == 200 and "Je suis Claire Mercier." in body and
          'value="confirm"' in body and 'value="refuse"' in body,
          "the editor reads the message, with confirm and refuse",
          body[-1200:])
    st, _, _ = editor.req("/candidacies/%d" % cid, "POST",
                          form={"action": "confirm"})
    check(st == 403 and claims(dbpath)[0][3] == "pending",
          "a decision without a CSRF token: 403, nothing changes", st)
    st, _, body = editor.post("/candidacies/%d" % cid,
                              {"action": "refuse", "reason": ""})
    check(st == 400 and claims(dbpath)[0][3] == "pending",
          "a refusal without a reason: 400, nothing changes", st)
    st, _, _ = editor.req("/candidacies/999999")
    check(st == 404, "an unknown request: 404", st)

    # refused, with a reason the citizen reads
    reason = "Écrivez-nous depuis l'adresse de campagne."
    st, h, _ = editor.post("/candidacies/%d" % cid,
                           {"action": "refuse", "reason": reason})
    check(st == 303 and claims(dbpath)[0][3:] == ("refused", reason) and
          not linked(dbpath, "citizen@example.org", "claire-mercier"),
          "the editor refuses, with a reason", (st, claims(dbpath)))
    st, _, body = cit.req("/account/candidacy")
    check("refusée" in body and "Écrivez-nous depuis l&#39;adresse" in body,
          "the citizen reads the refusal and its reason", body[-1500:])
    st, _, _ = editor.post("/candidacies/%d" % cid, {"action": "confirm"},
                           "/account")
    check(st == 409 and claims(dbpath)[0][3] == "refused",
          "a second decision on the same request: 409", st)

    # asked again, confirmed: the candidate role for that candidacy
    st, _, _ = cit.post("/account/candidacy", form)
    rows = claims(dbpath)
    check(st == 303 and len(rows) == 2 and rows[1][3] == "pending",
          "after a refusal, a new request can be filed", (st, rows))
    cid2 = rows[1][0]
    st, _, _ = cit.req("/submit")
    check(st == 403, "before confirmation the citizen has no /submit", st)
    st, h, _ = editor.post("/candidacies/%d" % cid2, {"action": "confirm"})
    check(st == 303 and claims(dbpath)[1][3] == "confirmed" and
          linked(dbpath, "citizen@example.org", "claire-mercier"),
          "the editor confirms: the account holds the candidacy",
          (st, claims(dbpath)))
    st, _, body = cit.req("/submit")
    check(st == 200 and 'value="%s/claire-mercier"' % ELECTION in body,
          "confirmed, the citizen's /submit offers that candidacy",
          (st, body[-800:]))
    st, _, body = cit.req("/account/candidacy")
    check("confirmée" in body, "the citizen sees the confirmation",
          body[-1200:])
    st, _, body = cit.post("/account/candidacy", form)
    check(st == 409 and len(claims(dbpath)) == 2 and
          "already linked" in body,
          "an account already linked: 409, nothing filed",
          (st, body[-400:]))

    # an administrator decides for any election
    st, _, _ = cit2.post("/account/candidacy",
                         {"candidacy": OTHER + "/lucie-durand",
                          "message": ""})
    rows = claims(dbpath)
    check(st == 303 and len(rows) == 3, "a request in the other election",
          (st, rows))
    st, _, body = editor.req("/candidacies")
    check("/candidacies/%d" % rows[2][0] not in body,
          "the first election's editor does not see it", body[-800:])
    st, _, body = admin.req("/candidacies")
    check("/candidacies/%d" % rows[2][0] in body,
          "an administrator sees every election's requests", body[-800:])
    st, _, _ = admin.post("/candidacies/%d" % rows[2][0],
                          {"action": "confirm"})
    check(st == 303 and linked(dbpath, "citizen2@example.org",
                               "lucie-durand"),
          "an administrator confirms it", st)

    actions = [a for (a,) in q(dbpath, "SELECT action FROM audit"
                               " WHERE action LIKE 'claim.%' ORDER BY seq")]
    check(actions == ["claim.file", "claim.refuse", "claim.file",
                      "claim.confirm", "claim.file", "claim.confirm"],
          "every request and decision is in the audit log", actions)


def declarant_flow(port, dbpath):
    """A primary's declarant becomes a comparator candidate"""
    decl, ed = Browser(port), Browser(port)
    check(decl.signin("declarant@example.org"), "the declarant signs in")
    check(ed.signin("primed@example.org"), "the primary's editor signs in")
    P = "/primary/" + PRIMARY
    st, _, body = decl.req(P + "/declare")
    check(st == 200 and 'href="/account/candidacy"' in body and
          "/submit" in body,
          "the declaration page says how the programme is submitted",
          body[-1500:])
    st, _, _ = decl.post(P + "/declare", {
        "action": "declare", "name": "Léa Dupont",
        "statement": "Pour une ville plus verte."})
    check(st == 303, "the citizen declares a candidacy", st)
    rows = q(dbpath, "SELECT c.slug, c.given_name, c.family_name"
             " FROM candidate c JOIN election e ON e.id = c.election_id"
             " WHERE e.slug = ?", PRIMARY)
    check(rows == [("lea-dupont", "Léa", "Dupont")],
          "declaring creates the comparator candidate under the primary's "
          "election", rows)
    st, _, body = decl.req("/e/%s/c/lea-dupont" % PRIMARY)
    check(st == 200 and "Dupont" in body,
          "the candidate's comparator page exists", st)
    rows = [r for r in claims(dbpath) if r[2] == "lea-dupont"]
    check(len(rows) == 1 and rows[0][1] == "declarant@example.org" and
          rows[0][3] == "pending",
          "declaring files the link request automatically", rows)
    st, _, body = decl.req("/account/candidacy")
    check("en attente" in body and "Léa Dupont" in body,
          "the declarant sees the request waiting", body[-1200:])
    st, _, body = ed.req("/candidacies")
    check("/candidacies/%d" % rows[0][0] in body,
          "the primary's editor sees it in the queue", body[-800:])
    st, _, _ = ed.post("/candidacies/%d" % rows[0][0], {"action": "confirm"})
    check(st == 303 and linked(dbpath, "declarant@example.org",
                               "lea-dupont"),
          "the editor confirms the declarant", st)

    # the existing submission flow, then the comparator
    tok = decl.csrf("/submit")
    md = ("# Programme de Léa Dupont\n\n## Environnement\n\n"
          "- Planter mille arbres dans les cours d'école.\n"
          "- Ouvrir des jardins partagés dans chaque quartier.\n").encode()
    ctype, body = multipart({"csrf": tok or "",
                             "candidacy": PRIMARY + "/lea-dupont",
                             "title": "Programme",
                             "source_url": "https://example.org/lea"},
                            ("lea.md", md))
    st, h, _ = decl.req("/submit", "POST", body=body,
                        headers={"Content-Type": ctype})
    check(st == 303, "the declarant submits the programme", (st, h))
    docs = q(dbpath, "SELECT d.id, d.status FROM document d JOIN candidate"
             " c ON c.id = d.candidate_id WHERE c.slug = 'lea-dupont'")
    check(len(docs) == 1 and docs[0][1] == "pending",
          "the programme waits for moderation", docs)
    if docs:
        st, _, _ = ed.post("/moderation/%d" % docs[0][0],
                           {"action": "publish"})
        check(st == 303, "the primary's editor publishes it", st)
    st, _, body = decl.req("/e/%s/c/lea-dupont" % PRIMARY)
    check(st == 200 and "Planter mille arbres" in body,
          "the programme is in the comparator under the primary's election",
          body[-1500:])


def declarant_already_asked(site, port, dbpath):
    """A declarant whose request is refused (one already waits for that
    candidacy): the declaration stands, with its one request"""
    r = site.run("--quiet", "ingest", "--election", PRIMARY, "--candidate",
                 "Nadia Benali", os.path.join(SRC, "corpus",
                                              "valbrune-2026", "benali.txt"))
    check(r.returncode == 0, "a programme of the primary's election "
          "ingested", r.stderr)
    b = Browser(port)
    check(b.signin("nadia@example.org"), "a citizen signs in")
    st, _, _ = b.post("/account/candidacy", {
        "candidacy": PRIMARY + "/nadia-benali",
        "message": "Je suis Nadia Benali."})
    check(st == 303, "she asks to be linked to a candidate of the "
          "primary's election", st)
    before = claims(dbpath)
    st, _, body = b.post("/primary/%s/declare" % PRIMARY, {
        "action": "declare", "name": "Nadia Benali", "statement": ""})
    rows = q(dbpath, "SELECT c.slug FROM primary_candidate c JOIN"
             " primary_candidacy y ON y.candidate_id = c.id JOIN user u"
             " ON u.id = y.user_id WHERE u.email = 'nadia@example.org'")
    check(st == 303 and rows == [("nadia-benali",)] and
          claims(dbpath) == before,
          "she declares under that name: the request already waits, so "
          "none is filed, and the declaration stands",
          (st, rows, claims(dbpath)[-2:]))


def submit_md(b, md, title="Programme"):
    tok = b.csrf("/submit")
    ctype, body = multipart({"csrf": tok or "",
                             "candidacy": PRIMARY + "/lea-dupont",
                             "title": title,
                             "source_url": "https://example.org/lea"},
                            ("lea.md", md.encode()))
    st, _, _ = b.req("/submit", "POST", body=body,
                     headers={"Content-Type": ctype})
    return st


def jreq(b, path, method="GET", form=None, headers=None):
    st, h, body = b.req(path, method, form=form, headers=headers)
    try:
        return st, h, json.loads(body)
    except ValueError:
        return st, h, None


def versions_and_api(port, dbpath):
    """Older versions on the web, and the JSON API around submissions"""
    decl, ed, anon = Browser(port), Browser(port), Browser(port)
    decl.signin("declarant@example.org")
    ed.signin("primed@example.org")
    md2 = ("# Programme de Léa Dupont\n\n## Environnement\n\n"
           "- Planter deux mille arbres dans les cours d'école.\n"
           "- Ouvrir des jardins partagés dans chaque quartier.\n"
           "- Rendre la cantine bio et locale.\n")
    check(submit_md(decl, md2) == 303, "the declarant submits version 2",
          None)
    docs = q(dbpath, "SELECT d.id, d.version, d.status FROM document d"
             " JOIN candidate c ON c.id = d.candidate_id"
             " WHERE c.slug = 'lea-dupont' ORDER BY d.id")
    v1, v2 = docs[0][0], docs[1][0]
    st, _, _ = anon.req("/d/%d" % v2)
    check(st == 404, "a pending version is not public: 404", st)
    st, _, _ = ed.post("/moderation/%d" % v2, {"action": "publish"})
    check(st == 303, "version 2 is published", st)
    st, _, body = anon.req("/e/%s/c/lea-dupont" % PRIMARY)
    check('href="/d/%d"' % v2 in body and "deux mille" in body,
          "the candidate page links the current version's page",
          body[-1500:])
    st, _, body = anon.req("/d/%d" % v2)
    check(st == 200 and 'href="/d/%d"' % v1 in body and
          'href="/d/%d/changes"' % v2 in body and "deux mille" in body and
          'href="/p/' in body,
          "a version's page lists the older version and what changed",
          body[-1500:])
    st, _, body = anon.req("/d/%d" % v1)
    check(st == 200 and "Planter mille arbres" in body and
          'href="/d/%d"' % v2 in body,
          "the replaced version stays readable, linked to the newer one",
          body[-1500:])
    st, _, body = anon.req("/d/%d/changes" % v2)
    check(st == 200 and "cantine bio" in body,
          "what changed lists the added proposal", body[-800:])
    check(submit_md(decl, md2 + "- Une piscine par quartier.\n") == 303,
          "the declarant submits version 3 (left pending)", None)

    # the public API: published versions only
    base = "/api/v1/elections/%s/candidates/lea-dupont/documents" % PRIMARY
    st, _, j = jreq(anon, base)
    ds = (j or {}).get("documents", [])
    check(st == 200 and [d["id"] for d in ds] == [v2, v1] and
          ds[0]["current"] and not ds[1]["current"] and
          ds[0]["previous"] == v1 and
          ds[0]["changes"] == "/d/%d/changes" % v2 and
          ds[1]["changes"] is None and
          all(d["status"] == "published" for d in ds) and
          "reason" not in ds[0],
          "API: a candidate's published versions, the current one, "
          "what changed", j)
    st, _, j = jreq(anon, "/api/v1/elections/%s/candidates/nobody/documents"
                    % PRIMARY)
    check(st == 404 and j and j["error"]["code"] == "not_found",
          "API: an unknown candidate: 404", (st, j))

    # the signed-in candidate's own
    for path in ("/api/v1/me", "/api/v1/me/submissions", "/api/v1/me/claims"):
        st, _, j = jreq(anon, path)
        check(st == 401 and j and j["error"]["code"] == "unauthorized",
              "API: %s without a session: 401" % path, (st, j))
    st, h, j = jreq(decl, "/api/v1/me")
    check(st == 200 and j and j["email"] == "declarant@example.org" and
          {"role": "candidate", "election": PRIMARY,
           "candidate": "lea-dupont"} in j["roles"] and
          len(j.get("csrf", "")) == 43 and
          "no-store" in h.get("cache-control", ""),
          "API: /me gives the account, its roles and a CSRF token",
          (st, h, j))
    tok = (j or {}).get("csrf", "")
    st, _, j = jreq(decl, "/api/v1/me/submissions")
    c = ((j or {}).get("candidacies") or [{}])[0]
    check(st == 200 and c.get("candidate") == "lea-dupont" and
          [d["status"] for d in c.get("documents", [])] ==
          ["pending", "published", "published"],
          "API: the candidate's submissions, pending one included", j)

    # a state-changing call: session + CSRF token
    n = len(claims(dbpath))
    form = {"election": ELECTION, "candidate": "antoine-roux",
            "message": "Mandataire d'Antoine Roux."}
    st, _, j = jreq(decl, "/api/v1/me/claims", "POST", form=form)
    check(st == 403 and j and j["error"]["code"] == "forbidden" and
          len(claims(dbpath)) == n,
          "API: a request without the CSRF token: 403, nothing filed",
          (st, j))
    st, _, j = jreq(anon, "/api/v1/me/claims", "POST", form=form,
                    headers={"X-CSRF-Token": tok})
    check(st == 401 and len(claims(dbpath)) == n,
          "API: a request without a session: 401, nothing filed", st)
    hdr = {"X-CSRF-Token": tok}
    st, _, j = jreq(decl, "/api/v1/me/claims", "POST",
                    form=dict(form, candidate="nobody"), headers=hdr)
    check(st == 404 and len(claims(dbpath)) == n,
          "API: a request for an unknown candidate: 404", (st, j))
    st, _, j = jreq(decl, "/api/v1/me/claims", "POST", form=form,
                    headers=hdr)
    check(st == 201 and j and j["claim"]["status"] == "pending" and
          j["claim"]["candidate"] == "antoine-roux" and
          len(claims(dbpath)) == n + 1,
          "API: with the session and the token, the request is filed (201)",
          (st, j))
    st, _, j = jreq(decl, "/api/v1/me/claims", "POST", form=form,
                    headers=hdr)
    check(st == 409 and j and j["error"]["code"] == "conflict" and
          len(claims(dbpath)) == n + 1,
          "API: the same request again: 409", (st, j))
    st, _, j = jreq(decl, "/api/v1/me/claims")
    check(st == 200 and [k["candidate"] for k in j["claims"]] ==
          ["antoine-roux", "lea-dupont"] and
          j["claims"][1]["status"] == "confirmed",
          "API: the account's requests and their answers", j)


def cli_flow(site, dbpath):
    """The same queue from the command line"""
    r = site.run("claims")
    pending = [k for k in claims(dbpath) if k[3] == "pending"]
    check(r.returncode == 0 and len(pending) == 1 and
          r.stdout.startswith("%d\t%s\tantoine-roux\tdeclarant@example.org"
                              % (pending[0][0], ELECTION)),
          "agora claims lists the waiting request", (r.stdout, r.stderr))
    kid = pending[0][0] if pending else 0
    r = site.run("claims", str(kid), "--refuse", "")
    check(r.returncode == 2 and claims(dbpath)[-1][3] == "pending",
          "agora claims ID --refuse without a reason: exit 2, unchanged",
          (r.returncode, r.stderr))
    r = site.run("claims", str(kid), "--refuse", "Pas de mandat.")
    check(r.returncode == 0 and claims(dbpath)[-1][3:] ==
          ("refused", "Pas de mandat."),
          "agora claims ID --refuse REASON", (r.returncode, r.stderr))
    r = site.run("claims", str(kid), "--confirm")
    check(r.returncode == 2 and "already refused" in r.stderr and
          not linked(dbpath, "declarant@example.org", "antoine-roux"),
          "agora claims: a decided request is refused (exit 2)",
          (r.returncode, r.stderr))
    r = site.run("claims", "--json")
    check(r.returncode == 0 and json.loads(r.stdout) == [],
          "agora claims --json: nothing waits any more", r.stdout)


def main():
    site = harness.Site(AGORA, "agora-claim-")
    try:
        corpus = os.path.join(SRC, "corpus", "valbrune-2026")
        site.setup(harness.elections(SRC, ELECTION, OTHER) + [
            ("--quiet", "ingest", "--election", OTHER, "--candidate",
             "Lucie Durand", os.path.join(corpus, "durand.md")),
            ("primary", "create", PRIMARY, "--title", "Primaire"),
            harness.editor("editor@example.org", ELECTION),
            harness.editor("outsider@example.org", OTHER),
            harness.editor("primed@example.org", PRIMARY),
            harness.account("admin@example.org", "administrator"),
            harness.account("citizen@example.org"),
            harness.account("citizen2@example.org"),
            harness.account("declarant@example.org"),
            harness.account("nadia@example.org"),
        ])
        port = site.serve()
        claim_flows(port, site.dbpath)
        declarant_flow(port, site.dbpath)
        versions_and_api(port, site.dbpath)
        cli_flow(site, site.dbpath)
        declarant_already_asked(site, port, site.dbpath)
        site.stop()
        r = site.run("verify")
        check(r.returncode == 0, "agora verify: the audit chain holds",
              r.stdout + r.stderr)
    finally:
        site.close()
    harness.finish()


if __name__ == "__main__":
    main()
