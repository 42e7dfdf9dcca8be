#!/usr/bin/env python3
"""material_test.py AGORA SRCDIR - campaign material and profiles.

Starts `agora serve` on a temporary database with an election, two
candidates with their accounts, an editor of the election, an editor of
another election and a citizen, then walks each flow and each refusal:
a candidate uploads photos (JPEG, PNG, WebP: real files written by an
encoder, tests/data/material) and a PDF leaflet and adds a video link;
all wait for moderation, visible only to the candidate and the
election's editors; an editor publishes some and rejects one with a
reason the candidate reads; voters then see the published ones on the
candidate page and in the API, served with headers that cannot execute.
Refusals, each leaving no row: a file typed by its name or declared
type rather than its bytes (an SVG or HTML named .png/.jpg), a
polyglot, a truncated image, a PDF with JavaScript, an oversize photo
(413 at its type's limit) and an oversize upload (413 at the route's,
announced or streamed), a javascript: or http: video link, a
non-candidate, another candidacy, a missing CSRF token. Profiles: a
candidate proposes, the public page keeps the previous profile until an
editor publishes, a rejection keeps it too, the history shows each.
`agora moderate --material/--profile` does the same from the command
line. Ends with `agora verify` (the audit chain, each stored file's
hash and type), which reports a file changed behind agora's back.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import http.client
import json
import os
import sqlite3
import struct
import sys
import time
import zlib

import harness
from harness import check, multipart, query, raw_status

AGORA, SRC = sys.argv[1], sys.argv[2]
ELECTION = "mat-2026"
OTHER = "ailleurs-2026"
DATA = os.path.join(SRC, "tests", "data")
CLAIRE = ELECTION + "/claire-mercier"


def fixture(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


JPEG = fixture("material/photo.jpg")
PNG = fixture("material/photo.png")
WEBP = fixture("material/photo.webp")
PDF = fixture("programme.pdf")


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data)))


def png_with(chunk):
    """the fixture PNG with one more chunk right after IHDR"""
    return PNG[:33] + chunk + PNG[33:]


class Browser(harness.Browser):
    timeout = 120

    def token(self):
        return self.csrf("/material") or self.csrf("/account")

    def upload(self, file, caption="Claire au marché", candidacy=CLAIRE,
               csrf=True):
        fields = {"candidacy": candidacy, "caption": caption}
        if csrf:
            fields["csrf"] = self.token()
        return self.post_multipart("/material", fields, file)

    def video(self, url, caption="Réunion publique", candidacy=CLAIRE):
        return self.req("/material", "POST", form={
            "candidacy": candidacy, "caption": caption, "url": url,
            "csrf": self.token()})

    def raw(self, path):
        """status, headers, bytes"""
        h = {}
        if self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request("GET", path, headers=h)
            r = c.getresponse()
            return (r.status, {k.lower(): v for k, v in r.getheaders()},
                    r.read())
        finally:
            c.close()


def counts(dbpath):
    return query(dbpath, "SELECT (SELECT count(*) FROM material),"
                 " (SELECT count(*) FROM material_data),"
                 " (SELECT count(*) FROM candidate_profile),"
                 " (SELECT count(*) FROM audit)")[0]


def last_material(dbpath):
    rows = query(dbpath, "SELECT id, kind, media_type, status, width,"
                 " height FROM material ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


def refusals(port, dbpath, claire, antoine, citizen, anon):
    before = counts(dbpath)

    def refused(res, status, what, text=None):
        st, _, body = res
        check(st == status and counts(dbpath) == before and
              (text is None or text in body),
              "%s: %d, nothing stored" % (what, status),
              (st, counts(dbpath), before, body[-700:]))

    st, h, _ = anon.req("/material")
    check(st == 303 and h.get("location") == "/signin",
          "anonymous: /material sends to sign in", (st, h))
    for path in ("/material", "/profile"):
        st, _, _ = citizen.req(path)
        check(st == 403, "a citizen cannot reach %s" % path, st)
    refused(citizen.upload(("p.png", "image/png", PNG)), 403,
            "a citizen's upload")
    refused(claire.upload(("p.png", "image/png", PNG), csrf=False), 403,
            "an upload without a CSRF token")
    refused(antoine.upload(("p.png", "image/png", PNG)), 403,
            "a candidate uploading for another candidacy")
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
           b'<script>alert(2)</script></svg>')
    refused(claire.upload(("photo.png", "image/png", svg)), 415,
            "an SVG named .png, declared image/png", "non pris en charge")
    refused(claire.upload(("photo.svg", "image/svg+xml", svg)), 415,
            "an SVG")
    html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script>"
    refused(claire.upload(("photo.jpg", "image/jpeg", html)), 415,
            "an HTML file named .jpg, declared image/jpeg")
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff;"
    refused(claire.upload(("photo.gif", "image/gif", gif)), 415, "a GIF")
    page = b"<html><body><script>alert(1)</script></body></html>"
    refused(claire.upload(("p.png", "image/png",
                           png_with(png_chunk(b"tEXt", b"c\0" + page)))),
            400, "a polyglot: a PNG with a page in a text chunk", "markup")
    refused(claire.upload(("p.png", "image/png", PNG + page)), 400,
            "a polyglot: a page after a PNG's end", "IEND")
    refused(claire.upload(("p.jpg", "image/jpeg", JPEG[:len(JPEG) // 2])),
            400, "a truncated JPEG", "truncated")
    refused(claire.upload(("p.png", "image/png", PNG[:-20])), 400,
            "a truncated PNG")
    js_pdf = PDF[:9] + b"1 0 obj << /OpenAction << /S /JavaScript " \
        b"/JS (app.alert(1)) >> >>\nendobj\n" + PDF[9:]
    refused(claire.upload(("tract.pdf", "application/pdf", js_pdf)), 400,
            "a PDF that runs JavaScript", "JavaScript")
    refused(claire.upload(("p.pdf", "application/pdf", PDF[:-30])), 400,
            "a truncated PDF", "EOF")
    big_png = png_with(png_chunk(b"zzPd", b"\0" * (6 << 20)))
    refused(claire.upload(("big.png", "image/png", big_png)), 413,
            "a 6 MiB photo (a photo is 5 MiB at most)", "5 MiB")
    refused(claire.upload(("p.png", "image/png", PNG), caption=""), 400,
            "a photo without a caption", "caption")
    refused(claire.upload(None), 400, "a form without a file")
    refused(claire.video("javascript:alert(document.cookie)"), 400,
            "a javascript: video link", "https")
    refused(claire.video("http://video.example.org/v/1"), 400,
            "an http: video link", "https")
    refused(claire.video('https://v.example.org/"><script>'), 400,
            "a video link with quotes and brackets")
    refused(antoine.video("https://video.example.org/v/1"), 403,
            "a video link for another candidacy")

    cookie = "; ".join("%s=%s" % kv for kv in claire.jar.items())
    head = ("POST /material HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            "Content-Length: %d\r\n\r\n" % (cookie, 64 << 20)).encode()
    t0 = time.time()
    st = raw_status(port, head)
    check(st == 413 and time.time() - t0 < 10 and counts(dbpath) == before,
          "64 MiB announced: 413 at once, before the body is read", st)
    ctype, big = multipart({"candidacy": CLAIRE, "caption": "x",
                            "csrf": claire.token()},
                           ("big.pdf", "application/pdf",
                            PDF[:9] + b"%" + b"x" * (11 << 20) + PDF[9:]))
    head = ("POST /material HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (cookie, ctype, len(big))).encode()
    st = raw_status(port, head, big)
    check(st == 413 and counts(dbpath) == before,
          "an 11 MiB file within the announced length: 413 when it "
          "crosses 10 MiB, nothing stored", st)


def flows(port, dbpath, site):
    anon = Browser(port)
    claire, antoine = Browser(port), Browser(port)
    editor, outsider, citizen = Browser(port), Browser(port), Browser(port)
    for b, who in ((claire, "claire"), (antoine, "antoine"),
                   (editor, "editor"), (outsider, "outsider"),
                   (citizen, "citizen")):
        check(b.signin(who + "@example.org"), "%s signs in" % who)

    st, _, body = claire.req("/material")
    check(st == 200 and 'enctype="multipart/form-data"' in body and
          'value="%s"' % CLAIRE in body and "antoine-roux" not in body,
          "a candidate's material page: their own candidacy only",
          body[-800:])
    refusals(port, dbpath, claire, antoine, citizen, anon)

    # accepted: typed from the bytes, pending
    ids = {}
    for key, name, declared, data, mtype in (
            ("jpeg", "photo.jpg", "image/jpeg", JPEG, "image/jpeg"),
            ("png", "tract.pdf", "application/pdf", PNG, "image/png"),
            ("webp", "photo.webp", "image/webp", WEBP, "image/webp"),
            ("pdf", "tract.png", "image/png", PDF, "application/pdf")):
        st, h, body = claire.upload((name, declared, data),
                                    caption="Légende " + key)
        row = last_material(dbpath)
        check(st == 303 and h.get("location") == "/material?sent=1" and
              row and row[2] == mtype and row[3] == "pending",
              "%s named %s: stored as %s, pending" % (key, name, mtype),
              (st, row, body[-600:]))
        ids[key] = row[0] if row else 0
    check(last_material(dbpath)[1] == "leaflet" and
          query(dbpath, "SELECT width, height FROM material WHERE id = ?",
                ids["jpeg"])[0] == (96, 64),
          "a PDF is a leaflet; a photo's size is read from its header")
    before = counts(dbpath)
    st, h, _ = claire.upload(("again.png", "image/png", PNG))
    check(st == 303 and h.get("location") == "/material?sent=same" and
          counts(dbpath) == before, "the same bytes again: nothing new",
          (st, h))
    st, h, body = claire.video("https://video.example.org/watch?v=42")
    row = last_material(dbpath)
    check(st == 303 and row[1] == "video" and row[3] == "pending",
          "an https video link: pending", (st, row, body[-500:]))
    ids["video"] = row[0]
    st, _, body = claire.req("/material?sent=1")
    check(body.count("en attente de modération") >= 5,
          "the candidate sees their material waiting", body[-1500:])

    # pending: only its candidate and the election's editors see it
    st, _, body = anon.req("/e/%s/c/claire-mercier" % ELECTION)
    check(st == 200 and "/m/" not in body and "Légende" not in body,
          "pending material is not on the candidate page", body[-800:])
    st, _, body = anon.req("/api/v1/elections/%s/candidates" % ELECTION)
    cands = {c["slug"]: c for c in json.loads(body)["candidates"]}
    check(st == 200 and cands["claire-mercier"]["material"] == [],
          "pending material is not in the API", body[:600])
    for who, b, want in (("anonymous", anon, 404),
                         ("another candidate", antoine, 404),
                         ("another election's editor", outsider, 404),
                         ("its candidate", claire, 200),
                         ("the election's editor", editor, 200)):
        st, _, _ = b.raw("/m/%d" % ids["jpeg"])
        check(st == want, "pending /m/ID for %s: %d" % (who, want), st)
    st, _, body = editor.req("/moderation")
    check(st == 200 and "/moderation/material/%d" % ids["jpeg"] in body and
          "Légende webp" in body, "the editor's queue lists the material",
          body[-1500:])
    st, _, body = outsider.req("/moderation")
    check(st == 200 and "/moderation/material/" not in body,
          "another election's editor does not see it in the queue",
          body[-800:])
    st, _, _ = outsider.req("/moderation/material/%d" % ids["jpeg"])
    check(st == 403, "another election's editor cannot open it", st)
    st, _, _ = claire.req("/moderation/material/%d" % ids["jpeg"])
    check(st == 403, "a candidate cannot moderate", st)
    st, _, body = editor.req("/moderation/material/%d" % ids["jpeg"])
    check(st == 200 and '<img class="preview" src="/m/%d"' % ids["jpeg"]
          in body and "96x64" in body,
          "the editor previews the photo", body[-1000:])

    # decisions
    path = "/moderation/material/%d"
    before = counts(dbpath)
    st, _, _ = editor.req(path % ids["png"], "POST", form={
        "action": "publish"})
    check(st == 403 and counts(dbpath) == before,
          "a decision without a CSRF token: 403, nothing changes", st)
    st, _, body = editor.post(path % ids["png"], {"action": "reject",
                                                  "reason": ""})
    check(st == 400 and "reason" in body and counts(dbpath) == before,
          "a rejection without a reason: 400", (st, body[-500:]))
    for key in ("jpeg", "webp", "pdf", "video"):
        st, h, _ = editor.post(path % ids[key], {"action": "publish"})
        check(st == 303, "the editor publishes the %s" % key, st)
    st, _, _ = editor.post(path % ids["png"], {
        "action": "reject", "reason": "Photo floue, merci d'en envoyer "
        "une autre."})
    check(st == 303, "the editor rejects the PNG with a reason", st)
    st, _, body = editor.post(path % ids["png"], {"action": "publish"},
                              csrf_from="/account")
    check(st == 400 and "not waiting" in body,
          "a second decision on the same item: 400", (st, body[-400:]))
    st, _, body = claire.req("/material")
    check("Photo floue" in body and "refusé" in body,
          "the candidate reads the rejection and its reason", body[-1500:])

    # what voters see
    st, _, body = anon.req("/e/%s/c/claire-mercier" % ELECTION)
    check(st == 200 and 'src="/m/%d"' % ids["jpeg"] in body and
          'src="/m/%d"' % ids["webp"] in body and
          'alt="Légende jpeg"' in body and
          'href="/m/%d" download' % ids["pdf"] in body and
          "/m/%d" % ids["png"] not in body and
          'rel="nofollow noopener noreferrer ugc" '
          'href="https://video.example.org/watch?v=42"' in body,
          "the candidate page shows the published material only",
          body[-2000:])
    st, _, body = anon.req("/api/v1/elections/%s/candidates" % ELECTION)
    mat = {m["id"]: m for m in
           {c["slug"]: c for c in json.loads(body)["candidates"]}
           ["claire-mercier"]["material"]}
    check(sorted(mat) == sorted([ids["jpeg"], ids["webp"], ids["pdf"],
                                 ids["video"]]) and
          mat[ids["jpeg"]]["url"] == "/m/%d" % ids["jpeg"] and
          mat[ids["jpeg"]]["media_type"] == "image/jpeg" and
          mat[ids["jpeg"]]["width"] == 96 and
          mat[ids["video"]]["url"] == "https://video.example.org/watch?v=42",
          "the API lists the published material", body[:1500])
    for key, data, ctype, disp in (
            ("jpeg", JPEG, "image/jpeg", "inline"),
            ("webp", WEBP, "image/webp", "inline"),
            ("pdf", PDF, "application/pdf", "attachment")):
        st, h, got = anon.raw("/m/%d" % ids[key])
        check(st == 200 and got == data and
              h.get("content-type") == ctype and
              h.get("x-content-type-options") == "nosniff" and
              h.get("content-security-policy") ==
              "default-src 'none'; sandbox" and
              h.get("content-disposition", "").startswith(disp + ";"),
              "/m/ID of the %s: its bytes, %s, nosniff, a sandbox, %s"
              % (key, ctype, disp), (st, h))
    st, _, _ = anon.raw("/m/%d" % ids["png"])
    check(st == 404, "rejected material is not served", st)
    st, _, _ = anon.raw("/m/%d" % ids["video"])
    check(st == 404, "a video link has no /m/ID", st)
    actions = [a for (a,) in query(dbpath, "SELECT action FROM audit"
                                   " WHERE object LIKE 'material:%'")]
    check(actions.count("material.submit") == 5 and
          actions.count("material.publish") == 4 and
          actions.count("material.reject") == 1,
          "each submission and decision is in the audit log", actions)

    # the command line
    claire.upload(("p.png", "image/png", PNG), caption="Au conseil")
    cli_id = last_material(dbpath)[0]
    r = site.run("moderate", "--material")
    check(r.returncode == 0 and str(cli_id) in r.stdout and
          "Au conseil" in r.stdout, "agora moderate --material lists it",
          r.stdout + r.stderr)
    r = site.run("moderate", "--material", str(cli_id), "--reject", "")
    check(r.returncode == 2 and "reason" in r.stderr,
          "agora moderate --material: a rejection needs a reason",
          r.stderr)
    r = site.run("moderate", "--material", str(cli_id), "--publish")
    st, _, body = anon.req("/e/%s/c/claire-mercier" % ELECTION)
    check(r.returncode == 0 and "Au conseil" in body,
          "agora moderate --material publishes it",
          r.stdout + r.stderr)
    r = site.run("moderate", "--material", "--json")
    check(r.returncode == 0 and json.loads(r.stdout) == [],
          "nothing left in the material queue", r.stdout + r.stderr)

    profiles(dbpath, site, anon, claire, antoine, editor, outsider)


def profiles(dbpath, site, anon, claire, antoine, editor, outsider):
    page = "/e/%s/c/claire-mercier" % ELECTION
    form = {"candidacy": CLAIRE, "given_name": "Claire",
            "family_name": "Mercier-Duval", "party": "Valbrune Demain",
            "bio": "Infirmière, conseillère municipale depuis 2020.\n"
                   "Mère de deux enfants.",
            "links": "https://claire.example.org\n\n"
                     "  https://social.example.org/@claire  "}
    st, _, body = claire.req("/profile")
    check(st == 200 and 'value="%s"' % CLAIRE in body and
          'name="family_name"' in body, "the profile form", body[-800:])
    before = counts(dbpath)
    for what, f, who, status in (
            ("without a CSRF token", None, claire, 403),
            ("for another candidacy", form, antoine, 403),
            ("with a javascript: link",
             dict(form, links="javascript:alert(1)"), claire, 400),
            ("without a family name", dict(form, family_name=""),
             claire, 400),
            ("with six links", dict(form, links="\n".join(
                "https://e%d.example.org" % i for i in range(6))),
             claire, 400),
            ("with a biography over 2000 bytes",
             dict(form, bio="é" * 1001), claire, 400)):
        if f is None:
            st, _, body = who.req("/profile", "POST", form=form)
        else:
            st, _, body = who.post("/profile", f)
        check(st == status and counts(dbpath) == before,
              "a profile %s: %d, nothing stored" % (what, status),
              (st, body[-500:]))
    st, h, _ = claire.post("/profile", form)
    check(st == 303 and h.get("location") == "/profile?sent=1",
          "the candidate proposes a profile", st)
    pid = query(dbpath, "SELECT max(id) FROM candidate_profile")[0][0]
    st, _, body = anon.req(page)
    check("Mercier-Duval" not in body and "Infirmière" not in body,
          "until it is published, the page shows the previous profile",
          body[:1500])
    st, _, body = editor.req("/moderation")
    check("/moderation/profile/%d" % pid in body,
          "the profile is in the editor's queue", body[-1200:])
    st, _, _ = outsider.req("/moderation/profile/%d" % pid)
    check(st == 403, "another election's editor cannot decide on it", st)
    st, _, body = editor.req("/moderation/profile/%d" % pid)
    check(st == 200 and "Mercier-Duval" in body and "Infirmière" in body,
          "the editor sees the proposed profile", body[-1200:])
    st, _, _ = editor.post("/moderation/profile/%d" % pid,
                           {"action": "publish"})
    st, _, body = anon.req(page)
    check(st == 200 and "<h1>Claire Mercier-Duval</h1>" in body and
          "Valbrune Demain" in body and
          "<p>Infirmière, conseillère municipale depuis 2020.</p>" in body
          and 'href="https://social.example.org/@claire"' in body,
          "published: the page shows the new name, party, biography and "
          "links", body[:2500])
    st, _, body = anon.req("/api/v1/elections/%s/candidates" % ELECTION)
    c = {c["slug"]: c for c in json.loads(body)["candidates"]}[
        "claire-mercier"]
    check(c["family_name"] == "Mercier-Duval" and
          c["biography"].startswith("Infirmière") and
          c["links"] == ["https://claire.example.org",
                         "https://social.example.org/@claire"],
          "the API has the published profile", c)

    st, _, _ = claire.post("/profile", dict(form, party="Autre liste",
                                            bio="Nouvelle biographie"))
    pid2 = query(dbpath, "SELECT max(id) FROM candidate_profile")[0][0]
    st, _, _ = editor.post("/moderation/profile/%d" % pid2, {
        "action": "reject", "reason": "Le parti ne correspond pas au "
        "dépôt en préfecture."})
    st, _, body = anon.req(page)
    check(st == 200 and "Valbrune Demain" in body and
          "Autre liste" not in body and "Nouvelle biographie" not in body,
          "a rejected profile changes nothing public", body[:1500])
    st, _, body = claire.req("/profile")
    check("dépôt en préfecture" in body and "refusé" in body and
          "publié" in body, "the candidate reads the history and the "
          "reason", body[-1500:])
    # a new proposal replaces a pending one, which stays in the history
    claire.post("/profile", dict(form, bio="Version une"))
    claire.post("/profile", dict(form, bio="Version deux"))
    rows = query(dbpath, "SELECT status, bio FROM candidate_profile"
                 " ORDER BY id DESC LIMIT 2")
    check(rows == [("pending", "Version deux"), ("withdrawn", "Version une")],
          "a second proposal replaces the pending one, kept as history",
          rows)
    r = site.run("moderate", "--profile")
    check(r.returncode == 0 and "Mercier-Duval" in r.stdout and
          r.stdout.count("\n") == 1, "agora moderate --profile lists it",
          r.stdout + r.stderr)
    pid3 = rows and query(dbpath, "SELECT max(id) FROM candidate_profile"
                          )[0][0]
    r = site.run("moderate", "--profile", str(pid3), "--publish")
    st, _, body = anon.req(page)
    check(r.returncode == 0 and "Version deux" in body,
          "agora moderate --profile publishes it", r.stdout + r.stderr)
    actions = [a for (a,) in query(dbpath, "SELECT action FROM audit"
                                   " WHERE object LIKE 'profile:%'")]
    check(actions.count("profile.propose") == 4 and
          actions.count("profile.publish") == 2 and
          actions.count("profile.reject") == 1,
          "each profile proposal and decision is in the audit log",
          actions)


def main():
    site = harness.Site(AGORA, "agora-material-")
    try:
        site.setup(harness.campaign(SRC, ELECTION, OTHER))
        port = site.serve()
        flows(port, site.dbpath, site)
        site.stop()
        dbpath = site.dbpath
        r = site.run("verify")
        check(r.returncode == 0 and "campaign files match" in r.stdout,
              "agora verify: the audit chain holds, every stored file "
              "matches its hash and type", r.stdout + r.stderr)
        # a file changed behind agora's back (the schema refuses the
        # update: its trigger is dropped first, as an attacker would)
        con = sqlite3.connect(dbpath)
        con.execute("DROP TRIGGER material_data_update")
        con.execute("UPDATE material_data SET data = data || x'00'"
                    " WHERE material_id = (SELECT min(id) FROM material"
                    " WHERE kind = 'photo' AND status = 'published')")
        con.commit()
        con.close()
        r = site.run("verify")
        check(r.returncode == 1 and "do not match their SHA-256" in
              r.stdout, "agora verify: a stored file changed is reported",
              r.stdout + r.stderr)
    finally:
        site.close()
    harness.finish()


if __name__ == "__main__":
    main()
