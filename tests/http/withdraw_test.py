#!/usr/bin/env python3
"""withdraw_test.py AGORA SRCDIR - a candidate withdraws published
campaign material.

Starts `agora serve` on a temporary database with an election, two
candidates with their accounts, an editor and a citizen. Claire uploads
a photo and adds a video link, the editor publishes both: voters see
them on the candidate page, in the API, in the exports and at /m/ID.
Refusals, each changing nothing: an anonymous visitor is sent to sign
in, a citizen, the editor and the other candidate get 403, a post
without its CSRF token 403, an unknown item 404, a pending item 409.
Claire withdraws the photo: it leaves the candidate page, the API and
the exports, /m/ID answers 410, and its row and audit entries stay;
withdrawing it again is a 409; the same photo sent again is a new item,
pending. Ends with `agora verify`.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import json
import os
import sqlite3
import sys

import harness
from harness import check, query

AGORA, SRC = sys.argv[1], sys.argv[2]
ELECTION = "retrait-2026"
OTHER = "ailleurs-2026"
CLAIRE = ELECTION + "/claire-mercier"

with open(os.path.join(SRC, "tests", "data", "material", "photo.png"),
          "rb") as f:
    PNG = f.read()
with open(os.path.join(SRC, "tests", "data", "material", "photo.jpg"),
          "rb") as f:
    JPEG = f.read()


class Browser(harness.Browser):
    timeout = 120

    def token(self):
        return self.csrf("/material") or self.csrf("/account")

    def upload(self, caption, file=("p.png", "image/png", PNG)):
        return self.post_multipart("/material", {
            "candidacy": CLAIRE, "caption": caption,
            "csrf": self.token()}, file)

    def withdraw(self, mid, csrf=True):
        form = {"csrf": self.token()} if csrf else {}
        return self.req("/material/%s/withdraw" % mid, "POST", form=form)

    def decide(self, kind, mid, action):
        st, _, body = self.req("/api/v1/me")
        tok = json.loads(body)["csrf"]
        st, _, body = self.req("/api/v1/moderation/%s/%d" % (kind, mid),
                               "POST", form={"action": action},
                               headers={"X-CSRF-Token": tok})
        return st


def public(anon):
    """what voters see of Claire's material: page, API, exports"""
    _, _, page = anon.req("/e/%s/c/claire-mercier" % ELECTION)
    _, _, api = anon.req("/api/v1/elections/%s" % ELECTION)
    c = [x for x in json.loads(api)["candidates"]
         if x["slug"] == "claire-mercier"][0]
    _, _, ex = anon.req("/e/%s/export.json" % ELECTION)
    _, _, csv = anon.req("/e/%s/export-material.csv" % ELECTION)
    return {"page": ("Claire au marché" in page, "Réunion publique" in page),
            "api": sorted(m["caption"] for m in c["material"]),
            "json": sorted(m["caption"] for m in
                           json.loads(ex)["material"]),
            "csv": ("Claire au marché" in csv, "Réunion publique" in csv)}


def state(dbpath):
    return query(dbpath, "SELECT (SELECT group_concat(coalesce(withdrawn_at,"
                 " '-')) FROM material), (SELECT count(*) FROM audit)")[0]


def main():
    site = harness.Site(AGORA, "agora-withdraw-")
    dbpath = site.dbpath
    try:
        site.setup(harness.campaign(SRC, ELECTION, OTHER))
        port = site.serve()
        claire, antoine, editor, citizen, anon = (Browser(port)
                                                  for _ in range(5))
        for b, who in ((claire, "claire"), (antoine, "antoine"),
                       (editor, "editor"), (citizen, "citizen")):
            check(b.signin(who + "@example.org"), who + " signs in")

        st, _, _ = claire.upload("Claire au marché")
        st2, _, _ = claire.req("/material", "POST", form={
            "candidacy": CLAIRE, "caption": "Réunion publique",
            "url": "https://video.example.org/v/7",
            "csrf": claire.token()})
        ids = [i for (i,) in query(dbpath, "SELECT id FROM material"
                                   " ORDER BY id")]
        check(st == 303 and st2 == 303 and len(ids) == 2,
              "Claire sends a photo and a video link", (st, st2, ids))
        photo, video = ids
        check(editor.decide("material", photo, "publish") == 200 and
              editor.decide("material", video, "publish") == 200,
              "the editor publishes both")
        seen = public(anon)
        check(seen == {"page": (True, True),
                       "api": ["Claire au marché", "Réunion publique"],
                       "json": ["Claire au marché", "Réunion publique"],
                       "csv": (True, True)},
              "voters see both: page, API, JSON and CSV exports", seen)
        st, _, _ = anon.req("/m/%d" % photo)
        check(st == 200, "the photo is served", st)

        # a pending item cannot be withdrawn (nor is it public)
        st, _, _ = claire.upload("Claire en réunion",
                                 ("p.jpg", "image/jpeg", JPEG))
        pending = query(dbpath, "SELECT max(id) FROM material")[0][0]
        check(st == 303 and pending not in (photo, video),
              "Claire sends another photo, pending", (st, pending))
        before = state(dbpath)

        def refused(res, status, what):
            check(res[0] == status and state(dbpath) == before,
                  "%s: %d, nothing changed" % (what, status),
                  (res[0], state(dbpath), before, res[2][-400:]))

        st, h, _ = anon.req("/material/%d/withdraw" % photo, "POST",
                            form={})
        check(st == 303 and h.get("location") == "/signin" and
              state(dbpath) == before,
              "anonymous: sent to sign in, nothing changed", (st, h))
        refused(citizen.withdraw(photo), 403, "a citizen")
        refused(editor.withdraw(photo), 403, "the election's editor")
        refused(antoine.withdraw(photo), 403, "another candidacy's "
                "candidate")
        refused(claire.withdraw(photo, csrf=False), 403,
                "Claire without the CSRF token")
        refused(claire.withdraw(999999), 404, "an unknown item")
        refused(claire.withdraw(pending), 409, "a pending item")
        refused(claire.req("/material/%d/withdraw" % photo), 405,
                "a GET")
        con = sqlite3.connect(dbpath)
        try:
            con.execute("UPDATE material SET withdrawn_at = 'x'"
                        " WHERE id = ?1", (pending,))
            con.commit()
            guarded = False
        except sqlite3.DatabaseError as e:
            guarded = "only published material" in str(e)
        finally:
            con.close()
        check(guarded and state(dbpath) == before,
              "the schema refuses to withdraw a pending item", before)

        st, h, _ = claire.withdraw(photo)
        check(st == 303 and h.get("location") == "/material",
              "Claire withdraws her photo", (st, h))
        seen = public(anon)
        check(seen == {"page": (False, True),
                       "api": ["Réunion publique"],
                       "json": ["Réunion publique"],
                       "csv": (False, True)},
              "the photo has left the candidate page, the API and the "
              "exports; the video stays", seen)
        for who, b in (("a voter", anon), ("Claire", claire),
                       ("the editor", editor)):
            st, _, _ = b.req("/m/%d" % photo)
            check(st == 410, "/m/ID of the withdrawn photo: 410 for %s"
                  % who, st)
        st, _, page = claire.req("/material")
        check(st == 200 and "retiré" in page.lower(),
              "Claire's material page says it is withdrawn", page[-1500:])
        rows = query(dbpath, "SELECT status, withdrawn_at IS NOT NULL,"
                     " withdrawn_by = (SELECT id FROM user WHERE email ="
                     " 'claire@example.org'),"
                     " (SELECT count(*) FROM material_data"
                     "  WHERE material_id = m.id)"
                     " FROM material m WHERE id = ?1", photo)
        check(rows == [("published", 1, 1, 1)],
              "its row and its bytes stay, marked withdrawn by Claire",
              rows)
        acts = [a for (a,) in query(dbpath, "SELECT action FROM audit"
                                    " WHERE object = ?1 ORDER BY seq",
                                    "material:%d" % photo)]
        check(acts == ["material.submit", "material.publish",
                       "material.withdraw"],
              "its audit entries: submitted, published, withdrawn", acts)
        before = state(dbpath)
        refused(claire.withdraw(photo), 409, "withdrawing it again")
        st, _, _ = claire.upload("Claire au marché, encore")
        n = query(dbpath, "SELECT count(*) FROM material WHERE sha256 ="
                  " (SELECT sha256 FROM material WHERE id = ?1)"
                  " AND status = 'pending' AND id > ?1", photo)[0][0]
        check(st == 303 and n == 1,
              "the same photo sent again is a new item, pending", (st, n))

        site.stop()
        r = site.run("verify")
        check(r.returncode == 0, "agora verify: the audit chain and the "
              "stored files hold", r.stdout + r.stderr)
        r = site.run("export", "--election", ELECTION)
        check(r.returncode == 0 and
              [m["id"] for m in json.loads(r.stdout)["material"]] == [video],
              "agora export: the withdrawn photo is not in it",
              r.stdout[-500:] + r.stderr)
    finally:
        site.close()
    harness.finish()


if __name__ == "__main__":
    main()
