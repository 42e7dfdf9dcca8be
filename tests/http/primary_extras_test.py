#!/usr/bin/env python3
"""primary_extras_test.py AGORA SRCDIR - a candidacy's photo, the phases'
planned dates and live results before the close (issue 5).

Starts `agora serve` on a temporary database and checks, as a citizen,
an organiser and a voter would notice:

- photo: a verified citizen declares a candidacy with a photo (one
  multipart form); the candidacy, its comparator candidate and the photo
  (pending) are stored together, the photo waits for an editor and is
  then shown on the primary's candidate list and on the ballot. Refused,
  each leaving nothing (no candidacy either): an SVG named .png, a
  polyglot PNG carrying a page, a PDF, a photo over 5 MiB (413 at the
  limit, as it streams). A declaration without a photo still works.
- planned dates: `agora primary schedule` and the administrator's form
  (CSRF, audited in its transaction) announce dates; bad ones (past,
  out of order, not ISO 8601, a phase already reached) change nothing;
  the page shows planned and actual dates in the visitor's language,
  GET /api/v1/primaries/{slug} gives them in ISO 8601.
- live results: with --public-results, ballots and re-votes through the
  API; the live results (API, page, CSV) equal the counts of each
  credential's last ballot, and `agora primary recount` (stored grades,
  then signed bodies) finds the live counters exact.

Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import csv
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import zlib

import harness
from harness import Browser, check, free_port, stop

AGORA, SRC = sys.argv[1], sys.argv[2]
SLUG = "px-2027"
P = "/primary/" + SLUG
LIVE = "px-live"
FAST = "1,8192"  # libsodium's minimums: tests only
PASSWORD = "correct horse battery"
DATA = os.path.join(SRC, "tests", "data")


def fixture(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


PNG = fixture("material/photo.png")
JPEG = fixture("material/photo.jpg")
PDF = fixture("programme.pdf")


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data)))


def agora(env, *args, stdin=None, ok=True):
    r = subprocess.run([AGORA] + list(args), env=env, input=stdin,
                       capture_output=True, text=True)
    if ok and r.returncode:
        sys.exit("agora %s: %s" % (" ".join(args), r.stderr))
    return r


def multipart(fields, file=None):
    boundary = "agora-declare-boundary-7Qx"
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                % (boundary, k)).encode() + v.encode() + b"\r\n"
    if file is not None:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                % (boundary, file[0], file[1])).encode() + file[2] + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=" + boundary, out


def sign_in(port, email):
    b = Browser(port)
    b.timeout = 120
    st, _, body = b.post("/signin", {"email": email, "password": PASSWORD})
    check(st == 303 and "agora_session" in b.jar, "%s signs in" % email,
          (st, re.findall(r'class="error">[^<]*', body)))
    return b


def declare(b, name, file=None, slug=SLUG):
    path = "/primary/%s/declare" % slug
    ctype, body = multipart({"csrf": b.csrf(path), "action": "declare",
                             "name": name, "statement": "Pour la primaire."},
                            file)
    return b.req(path, "POST", body=body, headers={"Content-Type": ctype})


def query(dbpath, sql, *args):
    con = sqlite3.connect(dbpath)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def stored(dbpath):
    """what a declaration may leave: candidacies, comparator candidates,
    material and its bytes, audit entries"""
    return query(dbpath, "SELECT (SELECT count(*) FROM primary_candidate),"
                 " (SELECT count(*) FROM primary_candidacy),"
                 " (SELECT count(*) FROM candidate),"
                 " (SELECT count(*) FROM material),"
                 " (SELECT count(*) FROM material_data),"
                 " (SELECT count(*) FROM audit)")[0]


def photos(port, dbpath, env):
    ana = sign_in(port, "ana@example.org")
    bob = sign_in(port, "bob@example.org")
    anon = Browser(port)

    st, _, body = ana.req(P + "/declare")
    check(st == 200 and 'enctype="multipart/form-data"' in body and
          'name="file" type="file"' in body and
          'accept="image/jpeg,image/png,image/webp"' in body,
          "the declaration form offers an optional photo", body[-1500:])

    before = stored(dbpath)

    def refused(res, status, what, text):
        st, _, body = res
        check(st == status and stored(dbpath) == before and
              (text is None or text in body),
              "%s: %d, nothing stored, no candidacy either" % (what, status),
              (st, stored(dbpath), before, body[-700:]))

    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
           b'<script>alert(2)</script></svg>')
    refused(declare(ana, "Ana Photo", ("ana.png", "image/png", svg)), 415,
            "an SVG named .png, declared image/png", "Photo refusée")
    refused(declare(ana, "Ana Photo", ("ana.svg", "image/svg+xml", svg)),
            415, "an SVG", "JPEG, PNG ou WebP")
    page = b"<html><body><script>alert(1)</script></body></html>"
    refused(declare(ana, "Ana Photo",
                    ("ana.png", "image/png",
                     PNG[:33] + png_chunk(b"tEXt", b"c\0" + page) +
                     PNG[33:])),
            400, "a polyglot PNG with a page in a text chunk", "markup")
    refused(declare(ana, "Ana Photo", ("ana.png", "image/png", PNG + page)),
            400, "a page after a PNG's end", "IEND")
    refused(declare(ana, "Ana Photo", ("ana.pdf", "application/pdf", PDF)),
            415, "a PDF leaflet as a photo", "PDF")
    big = PNG[:33] + png_chunk(b"zzPd", b"\0" * (5 << 20)) + PNG[33:]
    refused(declare(ana, "Ana Photo", ("big.png", "image/png", big)), 413,
            "a photo over 5 MiB, stopped as it streams", None)
    refused(declare(ana, "", ("ana.png", "image/png", PNG)), 400,
            "a photo with an empty name", "name")

    # a good photo: the candidacy and the photo, together
    st, h, body = declare(ana, "Ana Photo", ("ana.png", "image/png", PNG))
    after = stored(dbpath)
    check(st == 303 and h.get("location", "").endswith(P) and
          after[0] == before[0] + 1 and after[1] == before[1] + 1 and
          after[3] == before[3] + 1 and after[4] == before[4] + 1,
          "a candidacy declared with a PNG: the candidacy and the photo "
          "stored together", (st, before, after, body[-500:]))
    rows = query(dbpath, "SELECT m.id, m.kind, m.media_type, m.status,"
                 " m.caption, c.slug, e.slug, m.width, m.height"
                 " FROM material m JOIN candidate c ON c.id = m.candidate_id"
                 " JOIN election e ON e.id = c.election_id")
    check(len(rows) == 1 and rows[0][1:7] ==
          ("photo", "image/png", "pending", "Ana Photo", "ana-photo", SLUG),
          "the photo belongs to the declarant's comparator candidate, "
          "pending, typed from its bytes", rows)
    mid, w, hgt = rows[0][0], rows[0][7], rows[0][8]
    log = query(dbpath, "SELECT action FROM audit ORDER BY seq DESC"
                " LIMIT 3")
    check(("material.submit",) in log, "the photo's submission is audited",
          log)
    st, _, body = anon.req(P)
    check(st == 200 and 'id="c-ana-photo"' in body and
          'class="portrait"' not in body,
          "pending: the primary's page shows the candidacy, not the photo",
          body[-2000:])
    st, _, _ = anon.req("/m/%d" % mid)
    check(st == 404, "pending: the photo itself is not public", st)

    # a second candidacy from the same account: refused with its photo
    before = stored(dbpath)
    refused(declare(ana, "Ana Encore", ("ana.jpg", "image/jpeg", JPEG)),
            409, "a second candidacy of the same account, with a photo",
            "already declared")

    # without a photo, in the same multipart form, and as a plain form
    st, _, _ = declare(bob, "Bob Sans Photo")
    check(st == 303 and query(dbpath, "SELECT count(*) FROM primary_candidate"
                              " WHERE slug = 'bob-sans-photo'")[0][0] == 1 and
          query(dbpath, "SELECT count(*) FROM material")[0][0] == 1,
          "a declaration without a photo still works", st)

    # an editor publishes: the photo on the list and on the ballot
    r = agora(env, "moderate", "--material", str(mid), "--publish")
    check(r.returncode == 0, "agora moderate publishes the photo", r.stderr)
    st, _, body = anon.req(P)
    tag = re.search(r'<article class="candidacy" id="c-ana-photo"[^>]*>\s*'
                    r'(<img class="portrait"[^>]*>)', body)
    check(tag is not None and 'src="/m/%d"' % mid in tag.group(1) and
          'alt="Ana Photo"' in tag.group(1) and
          'width="%d" height="%d"' % (w, hgt) in tag.group(1),
          "published: the photo on the primary's candidate list",
          body[-2500:])
    check(body.count('class="portrait"') == 1,
          "only the candidate with a photo shows one", None)
    st, h, data = anon.req("/m/%d" % mid)
    check(st == 200 and h.get("content-type") == "image/png",
          "published: the photo is served as the PNG it is", (st, h))

    # to the vote: the ballot shows it beside the name
    agora(env, "primary", "phase", SLUG, "support")
    for who in ("cyd", "dan"):
        b = sign_in(port, who + "@example.org")
        st, _, _ = b.post(P + "/support", {"candidate": "ana-photo",
                                           "action": "support"}, P)
        check(st == 303, "%s supports Ana" % who, st)
    agora(env, "primary", "phase", SLUG, "vote")
    code = credentials(env, SLUG, 1)[0]
    voter = Browser(port)
    st, _, body = voter.post(P + "/vote", {"step": "code", "code": code},
                             P + "/vote")
    check(st == 200 and re.search(
        r'<legend>Ana Photo</legend>\s*<img class="portrait" src="/m/%d"'
        % mid, body) is not None,
        "the ballot shows the photo beside the candidate's name",
        body[-2500:])


def credentials(env, slug, n):
    tmp = tempfile.mkdtemp(prefix="agora-roll-")
    try:
        roll = os.path.join(tmp, "roll.csv")
        out = os.path.join(tmp, "codes.csv")
        with open(roll, "w") as f:
            f.write("nom\n" + "".join("v%d\n" % i for i in range(n)))
        agora(env, "primary", "credentials", slug, "--roll", roll, "--out",
              out)
        with open(out) as f:
            return [row["credential"] for row in csv.DictReader(f)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def schedule_state(dbpath):
    return (query(dbpath, "SELECT phase, at FROM primary_schedule"
                  " ORDER BY phase"),
            query(dbpath, "SELECT count(*) FROM audit")[0][0])


def schedule(port, dbpath, env):
    S = "px-dates"
    A = "/primary/%s/admin" % S
    admin = sign_in(port, "orga@example.org")
    cit = sign_in(port, "cyd@example.org")
    anon = Browser(port)

    # the command line
    r = agora(env, "primary", "schedule", S, "--support", "2099-01-10",
              "--vote", "2099-02-01T09:00+01:00", "--close",
              "2099-03-01 20:00Z", ok=False)
    check(r.returncode == 0 and
          "support     planned 2099-01-10T00:00:00Z" in r.stdout and
          "vote        planned 2099-02-01T08:00:00Z" in r.stdout,
          "agora primary schedule announces dates, kept in UTC", r.stdout)
    log = query(dbpath, "SELECT coalesce(actor, 0), object, detail FROM audit"
                " WHERE action = 'primary.schedule'")
    check(log == [(0, "primary:" + S,
                   "support=2099-01-10T00:00:00Z vote=2099-02-01T08:00:00Z "
                   "closed=2099-03-01T20:00:00Z")],
          "the command line's plan is audited", log)
    before = schedule_state(dbpath)
    for args, what, text in (
            (["--close", "2020-01-01"], "a date in the past",
             "not in the future"),
            (["--vote", "2099-04-01"], "the vote after the close",
             "the phases come in order"),
            (["--close", "2099-02-30"], "30 February", "not a date"),
            (["--support", "10/01/2099"], "not ISO 8601", "not a date"),
            (["--vote", "2099-01-01T25:00"], "25 o'clock", "not a date")):
        r = agora(env, "primary", "schedule", S, *args, ok=False)
        check(r.returncode != 0 and text in r.stderr and
              schedule_state(dbpath) == before,
              "refused, nothing changed: %s" % what, r.stderr)

    # the public page and the API
    st, _, body = anon.req("/primary/" + S)
    check(st == 200 and re.search(
        r'<li data-phase="vote">[^<]*<span class="planned" '
        r'data-at="2099-02-01T08:00:00Z">prévue le <time datetime='
        r'"2099-02-01T08:00:00Z">1er février 2099</time>, 08:00 UTC',
        body) is not None,
        "the page shows the planned date in French", body[-3000:])
    st, _, body = anon.req("/primary/" + S + "?lang=en")
    check(st == 200 and "planned for" in body and "1 February 2099" in body,
          "and in English", re.findall(r'<ol class="phases">.*?</ol>',
                                       body, re.S))
    st, h, body = anon.req("/api/v1/primaries/" + S)
    j = json.loads(body)
    check(st == 200 and j.get("schedule", [None])[0]["phase"] ==
          "declaration" and j["schedule"][0]["planned"] is None and
          j["schedule"][0]["began"] and
          j["schedule"][2] == {"phase": "vote",
                               "planned": "2099-02-01T08:00:00Z",
                               "began": None},
          "the API gives each phase's planned and actual dates", j)
    st, _, body = anon.req("/api/v1/openapi.json")
    check('"schedule"' in body, "the OpenAPI document describes them", st)

    # the organiser's form: administrators only, CSRF, audited
    st, _, body = admin.req(A)
    check(st == 200 and 'name="action" value="schedule"' in body and
          'name="vote" value="2099-02-01T08:00"' in body and
          'type="datetime-local"' in body,
          "the organiser page offers the plan, filled in", body[-3000:])
    before = schedule_state(dbpath)
    st, _, _ = cit.post(A, {"action": "schedule", "vote": "2099-02-02T10:00"},
                        "/primary/" + S)
    check(st == 403 and schedule_state(dbpath) == before,
          "a citizen's plan: 403, nothing changed", st)
    st, _, _ = admin.req(A, "POST", form={"action": "schedule",
                                          "vote": "2099-02-02T10:00"})
    check(st == 403 and schedule_state(dbpath) == before,
          "a plan without a CSRF token: 403, nothing changed", st)
    st, _, body = admin.post(A, {"action": "schedule",
                                 "support": "2099-01-10T00:00",
                                 "vote": "2099-03-05T10:00",
                                 "close": "2099-03-01T20:00"})
    check(st == 400 and schedule_state(dbpath) == before and
          "rien n&#39;a changé" in body and "in order" in body,
          "a plan out of order: 400, nothing changed", (st, body[-600:]))
    st, h, _ = admin.post(A, {"action": "schedule",
                              "support": "2099-01-10T00:00",
                              "vote": "2099-02-02T10:00",
                              "close": ""})
    after = schedule_state(dbpath)
    check(st == 303 and after[0] == [("support", "2099-01-10T00:00:00Z"),
                                     ("vote", "2099-02-02T10:00:00Z")] and
          after[1] == before[1] + 1,
          "the administrator moves the vote and withdraws the close: one "
          "audit entry", (st, after))
    log = query(dbpath, "SELECT u.email, a.detail FROM audit a"
                " JOIN user u ON u.id = a.actor"
                " WHERE a.action = 'primary.schedule'")
    check(log == [("orga@example.org", "support=2099-01-10T00:00:00Z "
                   "vote=2099-02-02T10:00:00Z closed=-")],
          "the audit entry names the administrator and the plan", log)

    # a plan is not a timer: the phase moves when the organiser moves it
    st, _, body = anon.req("/primary/" + S)
    check('<strong data-phase="declaration">' in body,
          "still in the declaration phase whatever the plan", None)
    agora(env, "primary", "phase", S, "support")
    st, _, body = anon.req("/primary/" + S)
    li = re.search(r'<li data-phase="support">.*?</li>', body, re.S)
    check(li is not None and 'class="began"' in li.group(0) and
          'data-at="2099-01-10T00:00:00Z"' in li.group(0),
          "a phase begun earlier than planned shows both dates",
          li and li.group(0))
    before = schedule_state(dbpath)
    r = agora(env, "primary", "schedule", S, "--support", "2099-05-01",
              ok=False)
    check(r.returncode != 0 and "already began" in r.stderr and
          schedule_state(dbpath) == before,
          "a phase already reached cannot be planned again", r.stderr)
    st, _, body = admin.req(A)
    check('name="support"' not in body and 'name="vote"' in body,
          "the form plans only the phases to come", None)


def live(port, dbpath, env):
    """ballots and re-votes; live results against the last ballots"""
    codes = credentials(env, LIVE, 6)
    anon = Browser(port)
    grades = [
        {"a": 0, "b": 5, "c": 2},
        {"a": 3, "b": 3, "c": 3},
        {"a": 5, "b": 1, "c": 0},
        {"a": 2, "b": 4, "c": 4},
        {"a": 1, "b": 0, "c": 5},
        {"a": 4, "b": 2, "c": 1},
    ]
    last = {}

    def cast(i, g):
        r = agora(env, "--quiet", "primary", "vote", LIVE, "--credential",
                  codes[i], "--grades",
                  ",".join("%s=%d" % kv for kv in sorted(g.items())),
                  ok=False)
        check(r.returncode == 0, "voter %d casts %s" % (i, g), r.stderr)
        last[i] = g

    for i, g in enumerate(grades):
        cast(i, g)
    # re-votes: three voters change their minds, one of them twice
    cast(0, {"a": 5, "b": 5, "c": 5})
    cast(2, {"a": 0, "b": 0, "c": 0})
    cast(0, {"a": 1, "b": 2, "c": 3})
    cast(4, {"a": 4, "b": 4, "c": 4})
    want = {c: [0] * 6 for c in "abc"}
    for g in last.values():
        for c, k in g.items():
            want[c][k] += 1

    st, _, body = anon.req("/api/v1/primaries/%s/results" % LIVE)
    j = json.loads(body)
    check(st == 200 and j["final"] is False and
          j["result"]["counts"] == want and j["result"]["voters"] == 6,
          "live results before the close: the counts of each "
          "credential's last ballot only, 6 voters out of 10 ballots",
          (j, want))
    ballots = query(dbpath, "SELECT count(*), sum(counted) FROM ballot b"
                    " JOIN primary_election p ON p.id = b.primary_id"
                    " WHERE p.slug = ?", LIVE)[0]
    check(ballots == (10, 6), "10 ballots stored, 6 counted", ballots)
    st, _, body = anon.req("/primary/%s/results.csv" % LIVE)
    rows = list(csv.reader(body.splitlines()))
    got = {row[1]: [int(x) for x in row[-6:]] for row in rows[1:]}
    check(st == 200 and got == want, "the CSV gives the same live counts",
          (got, want))
    r = agora(env, "primary", "recount", LIVE, ok=False)
    check(r.returncode == 0 and "give exactly the live counters" in r.stdout,
          "agora primary recount: the stored ballots give the live "
          "counters", r.stdout + r.stderr)
    r = agora(env, "primary", "recount", LIVE, "--bodies", ok=False)
    check(r.returncode == 0, "and so do their signed bodies",
          r.stdout + r.stderr)
    # the live path reads the counters: a counter changed behind agora's
    # back shows on the live page, and the recount catches it
    con = sqlite3.connect(dbpath)
    con.execute("UPDATE tally SET count = count + 7 WHERE grade = 5 AND"
                " candidate_id = (SELECT id FROM primary_candidate"
                " WHERE slug = 'a' AND primary_id = (SELECT id FROM"
                " primary_election WHERE slug = ?))", (LIVE,))
    con.commit()
    con.close()
    st, _, body = anon.req("/api/v1/primaries/%s/results" % LIVE)
    check(json.loads(body)["result"]["counts"]["a"][5] == want["a"][5] + 7,
          "the live results are the kept counters (no recount per request)",
          body[:300])
    r = agora(env, "primary", "recount", LIVE, ok=False)
    check(r.returncode != 0 and "MISMATCH" in r.stdout,
          "the recount finds the tampered counter", r.stdout)
    con = sqlite3.connect(dbpath)
    con.execute("UPDATE tally SET count = count - 7 WHERE grade = 5 AND"
                " candidate_id = (SELECT id FROM primary_candidate"
                " WHERE slug = 'a' AND primary_id = (SELECT id FROM"
                " primary_election WHERE slug = ?))", (LIVE,))
    con.commit()
    con.close()


def main():
    tmp = tempfile.mkdtemp(prefix="agora-pextras-")
    proc = None
    try:
        dbpath = os.path.join(tmp, "agora.db")
        env = dict(os.environ, AGORA_DB=dbpath, AGORA_PWHASH_LIMITS=FAST)
        agora(env, "primary", "create", SLUG, "--title", "Primaire photo",
              "--support-threshold", "2")
        agora(env, "primary", "candidate", "add", SLUG, "--name",
              "Olga Orga")
        agora(env, "primary", "create", "px-dates", "--title", "Dates")
        agora(env, "primary", "create", LIVE, "--title", "En direct",
              "--public-results")
        for c in "abc":
            agora(env, "primary", "candidate", "add", LIVE, "--name",
                  "Candidat " + c.upper(), "--slug", c)
        agora(env, "primary", "phase", LIVE, "vote")
        agora(env, "user", "add", "orga@example.org", "--role",
              "administrator", stdin=PASSWORD + "\n")
        for who in ("ana", "bob", "cyd", "dan"):
            agora(env, "user", "add", who + "@example.org", "--role",
                  "citizen", stdin=PASSWORD + "\n")
        port = free_port()
        proc = harness.start(AGORA, env, port)
        check(True, "server up on port %d" % port)
        photos(port, dbpath, env)
        schedule(port, dbpath, env)
        live(port, dbpath, env)
        rc = stop(proc)
        proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0", rc)
        r = subprocess.run([AGORA, "verify"], env=env, capture_output=True,
                           text=True)
        check(r.returncode == 0, "agora verify passes: audit chain, "
              "stored files, counters", r.stdout + r.stderr)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    harness.finish()


if __name__ == "__main__":
    main()
