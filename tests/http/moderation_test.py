#!/usr/bin/env python3
"""moderation_test.py AGORA SRCDIR - editors' moderation through the
JSON API, the e-mail that tells the candidate, and the open-data
exports of campaign material and profiles.

Starts `agora serve` on a temporary database with an election, two
candidates with their accounts, an editor of the election, an editor
of another election, an administrator and a citizen. The candidates
send a programme, photos, a video link and a profile, and a new
account asks to be linked to a candidacy; then:

- GET /api/v1/elections/E/moderation lists them for the editor and the
  administrator, and is refused (401, 403) to anyone else;
- POST /api/v1/moderation/KIND/ID decides each, with the same refusals
  as the pages (a citizen, a candidate, an editor of another election:
  403; no CSRF token: 403; a rejection without a reason: 400; an
  unknown id: 404; a decision already taken: 409), each leaving the
  database and the outbox as they were; a decision is audited;
- each decision writes one e-mail to its sender's address, with the
  decision and the reason, in the account's language (English for an
  account that signed in in English, French otherwise); a decision
  whose transaction fails (a trigger refuses its audit entry) writes no
  e-mail at all; the moderation pages decide through the same function
  and write the same e-mails;
- the exports (JSON, candidates.csv, material.csv) hold the published
  material and profiles, and never pending or rejected ones, and give
  the same bytes twice.

Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import csv
import email
import email.policy
import io
import json
import os
import sqlite3
import sys

import harness
from harness import check, query

AGORA, SRC = sys.argv[1], sys.argv[2]
ELECTION = "mod-2026"
OTHER = "autre-2026"
DATA = os.path.join(SRC, "tests", "data")
CLAIRE = ELECTION + "/claire-mercier"
ANTOINE = ELECTION + "/antoine-roux"


def fixture(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


PNG = fixture("material/photo.png")
JPEG = fixture("material/photo.jpg")


class Browser(harness.Browser):
    timeout = 120

    def signin_in(self, email_, lang=None):
        """signs in with the pages in lang (a ?lang= remembered in a
        cookie), or in the default language"""
        path = "/signin" + ("?lang=" + lang if lang else "")
        tok = self.csrf(path)
        st, _, _ = self.req(path, "POST", form={
            "email": email_, "password": harness.PASSWORD, "csrf": tok})
        return st == 303

    def api_csrf(self):
        st, _, body = self.req("/api/v1/me")
        return json.loads(body)["csrf"] if st == 200 else None

    def api(self, path, form=None, csrf=True):
        """status, parsed JSON (or the text)"""
        h = {}
        if form is not None and csrf:
            h["X-CSRF-Token"] = self.api_csrf() or ""
        st, _, body = self.req(path, "POST" if form is not None else "GET",
                               form=form, headers=h)
        try:
            return st, json.loads(body)
        except ValueError:
            return st, body

    def upload(self, path, fields, file):
        return self.post_multipart(path, dict(fields, csrf=self.csrf(path)),
                                   file)


def outbox(tmp):
    d = os.path.join(tmp, "outbox")
    return sorted(f for f in os.listdir(d)) if os.path.isdir(d) else []


def state(dbpath, tmp):
    """what a refused decision must leave as it was"""
    return (query(dbpath, "SELECT (SELECT group_concat(status) FROM"
                  " document), (SELECT group_concat(status) FROM material),"
                  " (SELECT group_concat(status) FROM candidate_profile),"
                  " (SELECT group_concat(status) FROM candidacy_claim),"
                  " (SELECT count(*) FROM audit)")[0], outbox(tmp))


def read_mail(tmp, name):
    with open(os.path.join(tmp, "outbox", name), "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def new_mail(tmp, before):
    """the .eml files written since before, parsed"""
    return [read_mail(tmp, n) for n in outbox(tmp)
            if n not in before and n.endswith(".eml")]


def setup_requests(port, dbpath, claire, antoine, newcomer):
    """a programme, two photos, a video, a profile, a claim: pending"""
    st, _, body = claire.upload("/submit", {
        "candidacy": CLAIRE, "title": "Programme 2",
        "source_url": "https://claire.example.org/programme"},
        ("programme.md", "text/markdown",
         "# Logement\n\n1. Construire 500 logements sociaux.\n\n"
         "# Transports\n\n2. Un tramway vers la gare.\n".encode()))
    check(st == 303, "a candidate submits a programme", (st, body[-500:]))
    for f, cap in ((("p.png", "image/png", PNG), "Claire au marché"),
                   (("p.jpg", "image/jpeg", JPEG), "Claire en réunion")):
        st, _, body = claire.upload("/material", {"candidacy": CLAIRE,
                                                  "caption": cap}, f)
        check(st == 303, "a candidate uploads a photo: " + cap,
              (st, body[-500:]))
    st, _, body = claire.post("/material", {
        "candidacy": CLAIRE, "caption": "Réunion publique",
        "url": "https://video.example.org/v/42"})
    check(st == 303, "a candidate adds a video link", (st, body[-500:]))
    st, _, body = antoine.post("/profile", {
        "candidacy": ANTOINE, "given_name": "Antoine",
        "family_name": "Roux", "party": "Valbrune Ensemble",
        "bio": "Professeur des écoles.\nCycliste.",
        "links": "https://antoine.example.org\nhttps://social.example.org/@ar"})
    check(st == 303, "a candidate proposes a profile", (st, body[-500:]))
    st, c = newcomer.api("/api/v1/me/claims", {
        "election": ELECTION, "candidate": "antoine-roux",
        "message": "Je suis son directeur de campagne."})
    check(st == 201, "an account asks to be linked to a candidacy", (st, c))


def queue_checks(admin, editor, outsider, citizen, claire, anon):
    path = "/api/v1/elections/%s/moderation" % ELECTION
    st, q = anon.api(path)
    check(st == 401 and q["error"]["code"] == "unauthorized",
          "the queue: anonymous 401", (st, q))
    for who, name in ((citizen, "a citizen"), (claire, "a candidate"),
                      (outsider, "an editor of another election")):
        st, q = who.api(path)
        check(st == 403 and q["error"]["code"] == "forbidden",
              "the queue: %s gets 403" % name, (st, q))
    st, q = editor.api("/api/v1/elections/nowhere-2026/moderation")
    check(st == 404, "the queue of an unknown election: 404", (st, q))
    st, q = editor.api(path)
    ok = (st == 200 and len(q["documents"]) == 1 and
          len(q["material"]) == 3 and len(q["profiles"]) == 1 and
          len(q["claims"]) == 1)
    check(ok, "the queue: the election's editor sees the programme, the "
          "three items, the profile and the claim", (st, q))
    if not ok:
        return None
    d = q["documents"][0]
    check(d["title"] == "Programme 2" and d["candidate"] == "claire-mercier"
          and d["proposals"] == 2 and d["preview"] == "/moderation/%d"
          % d["id"], "the queue: the programme with its proposals", d)
    kinds = sorted(m["kind"] for m in q["material"])
    check(kinds == ["photo", "photo", "video"] and
          any(m.get("media_type") == "image/png" and m["url"] ==
              "/m/%d" % m["id"] for m in q["material"]),
          "the queue: the material with its type and link", q["material"])
    p = q["profiles"][0]
    check(p["family_name"] == "Roux" and p["links"] ==
          ["https://antoine.example.org", "https://social.example.org/@ar"]
          and p["biography"] == "Professeur des écoles.\nCycliste.",
          "the queue: the profile as proposed", p)
    c = q["claims"][0]
    check(c["email"] == "newcomer@example.org" and
          c["candidate"] == "antoine-roux" and "directeur" in c["message"],
          "the queue: the claim with its account and message", c)
    st, q2 = admin.api(path)
    check(st == 200 and q2 == q, "the queue: an administrator sees the "
          "same", (st, q2))
    return q


def refusals(tmp, dbpath, q, editor, outsider, citizen, claire):
    mid = q["material"][0]["id"]
    path = "/api/v1/moderation/material/%d" % mid
    before = state(dbpath, tmp)

    def refused(res, status, code, what):
        st, body = res
        check(st == status and isinstance(body, dict) and
              body.get("error", {}).get("code") == code and
              state(dbpath, tmp) == before,
              "%s: %d %s, nothing changed or mailed" % (what, status, code),
              (st, body, state(dbpath, tmp), before))

    refused(citizen.api(path, {"action": "publish"}), 403, "forbidden",
            "a citizen's decision")
    refused(claire.api(path, {"action": "publish"}), 403, "forbidden",
            "a candidate's decision on their own item")
    refused(outsider.api(path, {"action": "publish"}), 403, "forbidden",
            "an editor of another election")
    refused(outsider.api("/api/v1/moderation/claims/%d" % q["claims"][0]["id"],
                         {"action": "confirm"}), 403, "forbidden",
            "an editor of another election on a claim")
    refused(editor.api(path, {"action": "publish"}, csrf=False), 403,
            "forbidden", "a decision without a CSRF token")
    refused(editor.api(path, {"action": "reject"}), 400, "bad_request",
            "a rejection without a reason")
    refused(editor.api(path, {"action": "reject", "reason": ""}), 400,
            "bad_request", "a rejection with an empty reason")
    refused(editor.api(path, {"action": "delete"}), 400, "bad_request",
            "an action that is not one")
    refused(editor.api("/api/v1/moderation/material/999999",
                       {"action": "publish"}), 404, "not_found",
            "an unknown item")
    refused(editor.api("/api/v1/moderation/claims/999999",
                       {"action": "confirm"}), 404, "not_found",
            "an unknown claim")
    refused(editor.api("/api/v1/moderation/ballots/%d" % mid,
                       {"action": "publish"}), 404, "not_found",
            "an unknown queue")
    st, _, _ = editor.req(path)
    check(st == 405, "GET on a decision: 405", st)


def decisions(tmp, dbpath, q, editor, admin):
    """each kind decided once; returns the ids"""
    photo1, photo2, video = (sorted(m["id"] for m in q["material"]
                                    if m["kind"] == "photo") +
                             [m["id"] for m in q["material"]
                              if m["kind"] == "video"])
    doc = q["documents"][0]["id"]
    prof = q["profiles"][0]["id"]
    claim = q["claims"][0]["id"]

    # a decision whose transaction fails mails nothing
    con = sqlite3.connect(dbpath)
    con.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON audit"
                " WHEN new.action = 'material.reject' BEGIN"
                " SELECT RAISE(ABORT, 'refused by the test'); END")
    con.commit()
    con.close()
    before = state(dbpath, tmp)
    st, body = editor.api("/api/v1/moderation/material/%d" % photo2,
                          {"action": "reject", "reason": "photo floue"})
    leftovers = [n for n in outbox(tmp) if n.startswith(".tmp")]
    check(st == 500 and state(dbpath, tmp) == before and not leftovers,
          "a decision whose transaction fails: 500, nothing decided, no "
          "e-mail written (nor a temporary file left)",
          (st, body, state(dbpath, tmp), before, leftovers))
    con = sqlite3.connect(dbpath)
    con.execute("DROP TRIGGER test_refuse")
    con.commit()
    con.close()

    audit0 = query(dbpath, "SELECT count(*) FROM audit")[0][0]
    mails0 = outbox(tmp)
    st, body = editor.api("/api/v1/moderation/material/%d" % photo1,
                          {"action": "publish"})
    check(st == 200 and body == {"kind": "material", "id": photo1,
                                 "status": "published", "reason": ""},
          "an editor publishes a photo", (st, body))
    st, body = editor.api("/api/v1/moderation/material/%d" % photo2,
                          {"action": "reject", "reason": "Photo floue"})
    check(st == 200 and body["status"] == "rejected",
          "an editor rejects a photo with a reason", (st, body))
    st, body = admin.api("/api/v1/moderation/material/%d" % video,
                         {"action": "publish"})
    check(st == 200 and body["status"] == "published",
          "an administrator publishes a video link", (st, body))
    st, body = editor.api("/api/v1/moderation/documents/%d" % doc,
                          {"action": "publish"})
    check(st == 200 and body["status"] == "published",
          "an editor publishes a programme", (st, body))
    st, body = editor.api("/api/v1/moderation/profiles/%d" % prof,
                          {"action": "publish",
                           "reason": "Vérifié auprès de la mairie."})
    check(st == 200 and body["status"] == "published",
          "an editor publishes a profile", (st, body))
    st, body = editor.api("/api/v1/moderation/claims/%d" % claim,
                          {"action": "refuse",
                           "reason": "Écrivez-nous depuis l'adresse de la "
                                     "campagne."})
    check(st == 200 and body["status"] == "refused",
          "an editor refuses a claim with a reason", (st, body))

    rows = query(dbpath, "SELECT action, object, actor FROM audit"
                 " WHERE rowid > ?1 ORDER BY seq", audit0)
    acts = [(a, o) for a, o, _ in rows]
    check(("material.publish", "material:%d" % photo1) in acts and
          ("material.reject", "material:%d" % photo2) in acts and
          ("document.publish", "document:%d" % doc) in acts and
          ("profile.publish", "profile:%d" % prof) in acts and
          ("claim.refuse", "claim:%d" % claim) in acts and len(rows) == 6,
          "each decision is one audit entry, signed by its editor", rows)
    check(query(dbpath, "SELECT status, reason FROM material WHERE id = ?1",
                photo2) == [("rejected", "Photo floue")],
          "the rejection's reason is stored", photo2)

    st, body = editor.api("/api/v1/moderation/material/%d" % photo1,
                          {"action": "reject", "reason": "trop tard"})
    check(st == 409 and body["error"]["code"] == "conflict",
          "a decision already taken: 409", (st, body))
    st, body = editor.api("/api/v1/moderation/claims/%d" % claim,
                          {"action": "confirm"})
    check(st == 409, "a claim already decided: 409", (st, body))

    mails = new_mail(tmp, mails0)
    by_to = {}
    for m in mails:
        by_to.setdefault(str(m["To"]), []).append(m)
    check(len(mails) == 6 and len(by_to.get("claire@example.org", [])) == 4
          and len(by_to.get("antoine@example.org", [])) == 1 and
          len(by_to.get("newcomer@example.org", [])) == 1,
          "one e-mail per decision, to the account that sent the request",
          [(str(m["To"]), str(m["Subject"])) for m in mails])
    bodies = {str(m["To"]): [] for m in mails}
    for m in mails:
        bodies[str(m["To"])].append((str(m["Subject"]),
                                     m.get_content()))
    claire_text = "\n".join(s + "\n" + b for s, b in
                            bodies.get("claire@example.org", []))
    check("Photo floue" in claire_text and "refusé" in claire_text and
          "Claire en réunion" in claire_text,
          "the rejection's e-mail says what was refused and why "
          "(in French, the language she signed in with)", claire_text)
    check("Programme 2" in claire_text and "publié" in claire_text and
          "/submit" in claire_text and "/material" in claire_text,
          "the e-mails name the programme and link to the candidate's "
          "pages", claire_text)
    check("l'origine de cette demande" not in claire_text,
          "a decision's e-mail is a notice: it does not say to ignore it "
          "(that line is for account links nobody may have asked for)",
          claire_text)
    ant = "\n".join(s + "\n" + b for s, b in
                    bodies.get("antoine@example.org", []))
    check("published" in ant and "Vérifié auprès de la mairie." in ant and
          "/profile" in ant,
          "an account that signed in in English gets its e-mail in "
          "English, with the reason", ant)
    newc = "\n".join(s + "\n" + b for s, b in
                     bodies.get("newcomer@example.org", []))
    check("refusé" in newc and "adresse de la campagne" in newc and
          "/account/candidacy" in newc,
          "the refused claim's e-mail gives the reason", newc)
    return photo1, photo2, video


def exports(port, anon, photo1, photo2, video):
    st, h, body = anon.req("/e/%s/export.json" % ELECTION)
    st2, _, body2 = anon.req("/api/v1/elections/%s/export" % ELECTION)
    check(st == 200 and body == body2, "the JSON export, twice the same",
          st)
    x = json.loads(body)
    mat = x.get("material", [])
    ids = [m["id"] for m in mat]
    check(ids == [photo1, video],
          "the JSON export holds the published material only (not the "
          "rejected photo)", (ids, photo1, photo2, video))
    byid = {m["id"]: m for m in mat}
    p = byid.get(photo1, {})
    check(p.get("kind") == "photo" and p.get("media_type") == "image/png"
          and p.get("size") == len(PNG) and p.get("url") ==
          "/m/%d" % photo1 and p.get("candidate") == "claire-mercier" and
          len(p.get("sha256") or "") == 64 and p.get("width", 0) > 0 and
          p.get("published_at"),
          "a photo: kind, type, size, SHA-256, its URL", p)
    st3, _, data = anon.req("/m/%d" % photo1)
    check(st3 == 200, "the exported URL serves the photo", st3)
    v = byid.get(video, {})
    check(v.get("kind") == "video" and v.get("url") ==
          "https://video.example.org/v/42" and v.get("media_type") is None
          and v.get("sha256") is None and v.get("size") is None,
          "a video: its link, no type, size or hash", v)
    cands = {c["slug"]: c for c in x["candidates"]}
    a = cands.get("antoine-roux", {})
    check(a.get("party") == "Valbrune Ensemble" and
          a.get("biography") == "Professeur des écoles.\nCycliste." and
          a.get("links") == ["https://antoine.example.org",
                             "https://social.example.org/@ar"] and
          a.get("profile_published_at"),
          "the JSON export: a candidate's published profile", a)
    c = cands.get("claire-mercier", {})
    check(c.get("biography") == "" and c.get("links") == [] and
          c.get("profile_published_at", 1) is None,
          "the JSON export: a candidate without a published profile", c)

    st, h, body = anon.req("/e/%s/export-material.csv" % ELECTION)
    rows = list(csv.reader(io.StringIO(body)))
    check(st == 200 and h.get("content-type", "").startswith("text/csv")
          and "attachment" in h.get("content-disposition", "") and
          rows[0][:6] == ["election", "candidate", "given_name",
                          "family_name", "material_id", "kind"] and
          rows[0][-1] == "licence" and len(rows) == 3 and
          body.endswith("\r\n"),
          "material.csv: a header and the two published items",
          (st, h, body[:800]))
    col = {k: i for i, k in enumerate(rows[0])}
    if len(rows) == 3:
        r = [x for x in rows[1:] if x[col["material_id"]] == str(photo1)]
        check(r and r[0][col["sha256"]] == p.get("sha256") and
              r[0][col["url"]] == "/m/%d" % photo1 and
              r[0][col["size"]] == str(len(PNG)) and
              r[0][col["media_type"]] == "image/png",
              "material.csv: the photo's row matches the JSON", r)
    st, h, body = anon.req("/e/%s/export-candidates.csv" % ELECTION)
    rows = list(csv.reader(io.StringIO(body)))
    col = {k: i for i, k in enumerate(rows[0])} if rows else {}
    ar = [x for x in rows[1:] if x[col.get("candidate", 1)] == "antoine-roux"]
    check(st == 200 and ar and ar[0][col["biography"]] ==
          "Professeur des écoles.\nCycliste." and ar[0][col["links"]] ==
          "https://antoine.example.org https://social.example.org/@ar",
          "candidates.csv: the published profile, links separated by "
          "spaces", (st, body[:800]))
    st2, _, again = anon.req("/e/%s/export-candidates.csv" % ELECTION)
    check(again == body, "candidates.csv: twice the same bytes", st2)
    st, _, page = anon.req("/e/%s" % ELECTION)
    check("export-material.csv" in page and "export-candidates.csv" in page,
          "the election page links the new exports", page[-1500:])


def page_decisions(tmp, dbpath, claire, editor, newcomer):
    """the moderation pages decide through the same function: the
    candidate gets the same e-mail"""
    st, _, _ = claire.upload("/material", {"candidacy": CLAIRE,
                                           "caption": "Tract du marché"},
                             ("t.jpg", "image/jpeg", JPEG))
    mid = query(dbpath, "SELECT max(id) FROM material")[0][0]
    st2, c = newcomer.api("/api/v1/me/claims", {
        "election": ELECTION, "candidate": "claire-mercier",
        "message": "Je suis sa suppléante."})
    check(st == 303 and st2 == 201, "a new item and a new claim wait",
          (st, st2, c))
    before = outbox(tmp)
    st, _, body = editor.post("/moderation/material/%d" % mid,
                              {"action": "reject"})
    check(st == 400 and outbox(tmp) == before,
          "a page's rejection without a reason: 400, no e-mail",
          (st, body[-300:]))
    st, _, _ = editor.post("/moderation/material/%d" % mid,
                           {"action": "reject",
                            "reason": "Un tract est un PDF."})
    st2, _, _ = editor.post("/candidacies/%d" % c["claim"]["id"],
                            {"action": "confirm"})
    mails = new_mail(tmp, before)
    texts = {str(m["To"]): str(m["Subject"]) + "\n" + m.get_content()
             for m in mails}
    check(st == 303 and st2 == 303 and len(mails) == 2 and
          "Un tract est un PDF." in texts.get("claire@example.org", "") and
          "confirmé" in texts.get("newcomer@example.org", ""),
          "the moderation pages' decisions are e-mailed too, with the "
          "reason", (st, st2, texts))


def main():
    site = harness.Site(AGORA, "agora-moderation-")
    tmp, dbpath = site.tmp, site.dbpath
    try:
        site.setup(harness.campaign(SRC, ELECTION, OTHER) + [
            harness.account("admin@example.org", "administrator"),
            harness.account("newcomer@example.org"),
        ])
        port = site.serve()
        p = {}
        for name in ("claire", "antoine", "editor", "outsider", "admin",
                     "citizen", "newcomer"):
            b = Browser(port)
            ok = b.signin_in(name + "@example.org",
                             "en" if name == "antoine" else None)
            check(ok, "%s signs in" % name)
            p[name] = b
        check(query(dbpath, "SELECT language FROM user WHERE email = ?1",
                    "antoine@example.org") == [("en",)] and
              query(dbpath, "SELECT language FROM user WHERE email = ?1",
                    "claire@example.org") == [("fr",)],
              "signing in remembers the account's language")
        anon = Browser(port)
        setup_requests(port, dbpath, p["claire"], p["antoine"],
                       p["newcomer"])
        q = queue_checks(p["admin"], p["editor"], p["outsider"],
                         p["citizen"], p["claire"], anon)
        if q:
            refusals(tmp, dbpath, q, p["editor"], p["outsider"],
                     p["citizen"], p["claire"])
            ids = decisions(tmp, dbpath, q, p["editor"], p["admin"])
            exports(port, anon, *ids)
            page_decisions(tmp, dbpath, p["claire"], p["editor"],
                           p["newcomer"])
        site.stop()
        r = site.run("verify")
        check(r.returncode == 0, "agora verify: the audit chain holds",
              r.stdout + r.stderr)
        r = site.run("export", "--election", ELECTION, "--format",
                     "csv-material")
        check(r.returncode == 0 and len(r.stdout.splitlines()) == 3,
              "agora export --format csv-material", r.stdout + r.stderr)
        r = site.run("export", "--election", ELECTION, "--format", "xls")
        check(r.returncode == 2 and "csv-material" in r.stderr,
              "agora export: an unknown format names those there are",
              r.stderr)
    finally:
        site.close()
    harness.finish()


if __name__ == "__main__":
    main()
