"""writeforms.py - the forms that write, for the tests that make writes
fail (storage_test.py: a full disk; writefault_test.py: a write failing
mid-transaction): the accounts, primaries and pending requests they
need, the forms themselves with a check that each was stored, and a
snapshot of every table (and of the outbox) to tell that a refused one
changed nothing and mailed nothing.

The account forms: a visitor signs up, confirms an address, signs in,
asks for a new password and chooses it; an account signs out. An editor
confirms a theme, adds one to ticked proposals, writes a note and
corrects one, and decides requests on the moderation pages (a programme,
a video, a profile, a candidacy claim) and through the moderation API (a
programme, a video, a claim). A candidate uploads a programme and a
photo, adds a video link, proposes a profile and withdraws published
material. A citizen asks to be linked to a candidacy (page and API),
declares a candidacy to a primary (with a photo or without), withdraws
one, supports a candidate and revokes a support, gets a voting code in
open mode, and votes on the page (grades or blank) and through the API.
An administrator moves a primary to its next phase, announces its
schedule, opens the vote of one (a supported candidate qualifies) and
closes one that has a ballot.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse

import harness
from harness import check

SUP = "forms-support"  # the editor declares, the citizen supports
DEC = "forms-declare"  # citizens declare and withdraw
ORG = "forms-organise"  # the administrator's phase change and schedule
OPEN = "forms-open"  # open mode: a citizen gets a voting code
VOTE = "forms-vote"  # voters grade, vote blank, vote through the API
CLOSE = "forms-close"  # closed by the administrator, with a ballot
FREEZE = "forms-freeze"  # the vote opened: a supported candidate qualifies
E = "valbrune-2026"
PASSWORD = "a long password"
CANDS = ("iris-un", "jules-deux")  # VOTE's and CLOSE's candidates

# citizens that each do one thing; "editor", "claire", "antoine" and
# "admin" get their roles in setup()
CITIZENS = ("citizen", "leaver", "visitor", "forgetful", "resetter",
            "withdrawer", "claimant")

# what setup() and signed_in() leave for forms(): tokens, codes, ids
ctx = {}


class Form:
    """A form that writes: what it is, how to send it, how to see that
    it was stored, the status that says so, whether its refusal is the
    API's JSON error rather than the 503 page, and for a write made in
    a batch (ballots: one log line per group commit, which names no
    request), the words that begin the batch's log line"""

    def __init__(self, what, send, done, ok=303, api=False, batch=None,
                 kept=None):
        self.what, self.send, self.done = what, send, done
        self.ok, self.api, self.batch = ok, api, batch
        self.kept = kept  # after a refusal: True when the visitor's
        # state (its cookies) is as it was

    def lines(self, logpath, headers, since):
        """The log lines of its refusal: its request's, or the batch's
        written since the offset since"""
        if not self.batch:
            return log_lines(logpath, headers.get("x-request-id"))
        with open(logpath, errors="replace") as f:
            f.seek(since)
            return [line for line in f if self.batch in line]

    def refusal(self, body):
        """True when body is the refusal for want of storage (and the
        visitor's state is kept)"""
        if self.kept and not self.kept():
            return False
        if not self.api:
            return "Le serveur ne peut rien enregistrer" in body
        try:
            return json.loads(body)["error"]["code"] == "unavailable"
        except (ValueError, KeyError, TypeError):
            return False


# the outbox of the server and of setup()'s commands: None for theirs,
# "outbox" beside the database; storage_test.py puts it off the full disk
OUTBOX = None


def outbox_dir(dbpath):
    return OUTBOX or os.path.join(os.path.dirname(dbpath), "outbox")


def serve_args():
    """agora serve's options for OUTBOX"""
    return ["--outbox", OUTBOX] if OUTBOX else []


def mail_token(dbpath, to, kind):
    """The token of the newest kind ("verify", "reset") link mailed to
    to, from the outbox"""
    d = outbox_dir(dbpath)
    found = None
    for name in sorted(os.listdir(d), key=lambda n: os.path.getmtime(
            os.path.join(d, n))):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(d, name), errors="replace") as f:
            text = f.read()
        m = re.search(kind + r"\?token=([A-Za-z0-9_-]+)", text)
        if m and re.search(r"^To: .*%s" % re.escape(to), text, re.M):
            found = m.group(1)
    if not found:
        sys.exit("no %s link mailed to %s in %s" % (kind, to, d))
    return found


def setup(agora, env, corpus):
    """On a database with election E and Claire Mercier's programme:
    a second candidate, the accounts, the primaries (VOTE's voting codes
    in ctx["codes"], CLOSE with one ballot), a set-password link"""
    def run(*args, stdin=None):
        r = subprocess.run([agora] + list(args), env=env, input=stdin,
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit("agora %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    tmp = os.path.dirname(env["AGORA_DB"])
    run("ingest", "--election", E, "--candidate", "Antoine Roux",
        "--family-name", "Roux", os.path.join(corpus, "roux.xml"))
    for who, role in ([("editor", ["editor", "--election", E]),
                       ("claire", ["candidate", "--election", E,
                                   "--candidate", "claire-mercier"]),
                       ("antoine", ["candidate", "--election", E,
                                    "--candidate", "antoine-roux"]),
                       ("admin", ["administrator"])] +
                      [(c, ["citizen"]) for c in CITIZENS
                       if c != "resetter"]):
        run("user", "add", who + "@example.org", "--role", *role,
            stdin=PASSWORD + "\n")
    # an account made with a set-password link, for /reset
    run("user", "add", "resetter@example.org", "--role", "citizen",
        "--link", *serve_args())
    ctx["reset"] = mail_token(env["AGORA_DB"], "resetter@example.org",
                              "reset")
    run("primary", "create", SUP, "--title", "Primaire des soutiens",
        "--open")
    run("primary", "create", DEC, "--title", "Primaire ouverte", "--open")
    run("primary", "create", ORG, "--title", "Primaire à organiser")
    run("primary", "create", OPEN, "--title", "Primaire en mode ouvert",
        "--open")
    run("primary", "create", FREEZE, "--title", "Primaire à figer",
        "--open", "--support-threshold", "1")
    roll = os.path.join(tmp, "forms-roll.csv")
    with open(roll, "w") as f:
        f.write("nom\nv1\nv2\nv3\n")
    codes = {}
    for p, title in ((VOTE, "Primaire du vote"),
                     (CLOSE, "Primaire à clore")):
        run("primary", "create", p, "--title", title, "--allow-blank")
        for c in CANDS:
            run("primary", "candidate", "add", p, "--name",
                " ".join(w.capitalize() for w in c.split("-")))
        out = os.path.join(tmp, p + "-codes.csv")
        run("primary", "credentials", p, "--roll", roll, "--out", out)
        with open(out) as f:
            codes[p] = [line.rstrip("\n").split(",")[-1]
                        for line in f][1:]
        os.unlink(out)
        run("primary", "phase", p, "vote")
    os.unlink(roll)
    ctx["codes"] = codes[VOTE]
    run("primary", "vote", CLOSE, "--credential", codes[CLOSE][0],
        "--grades", "%s=4,%s=2" % CANDS)


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


def log_size(logpath):
    return os.path.getsize(logpath) if os.path.exists(logpath) else 0


def log_lines(logpath, rid):
    with open(logpath, errors="replace") as f:
        return [line for line in f if rid and rid in line]


def snapshot(dbpath):
    """Every row of every table (FTS5's own tables aside: they follow
    the proposals) and the names in the outbox (hidden files too), to
    tell that a refused write changed nothing and mailed nothing"""
    con = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    try:
        names = [n for (n,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'"
            " ORDER BY name")]
        out = {n: sorted(con.execute("SELECT * FROM %s" % n).fetchall(),
                         key=repr) for n in names}
    finally:
        con.close()
    # a mail about what was not stored is a change too
    d = outbox_dir(dbpath)
    out["(outbox)"] = sorted(os.listdir(d)) if os.path.isdir(d) else []
    return out


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


def api_post(b, path, form):
    """A JSON API's POST: the form with the session's CSRF token in its
    header, as /api/v1/me gives it"""
    st, _, body = b.req("/api/v1/me")
    tok = json.loads(body)["csrf"] if st == 200 else ""
    return b.req(path, "POST", form=form, headers={"X-CSRF-Token": tok})


def signed_in(agora, env, port):
    """The accounts signed in while the disk has room (a sign-in writes
    its session), and what their forms act on, made while writes work:
    a candidacy declared to SUP, which then moves to its support phase,
    and a support of it; a candidacy declared to DEC; two programmes,
    three videos (one published) and a profile waiting for the editors,
    two candidacy claims; a note to correct; an account signed up, its
    address not yet confirmed"""
    dbpath = env["AGORA_DB"]
    out = {}
    for who in ("editor", "claire", "antoine", "admin") + CITIZENS:
        if who in ("visitor", "forgetful", "resetter"):
            continue  # they sign in, or cannot, in their forms
        b = harness.Browser(port)
        st, _, _ = b.post("/signin", {"email": who + "@example.org",
                                      "password": PASSWORD})
        check(st == 303, "%s signs in while writes work" % who, st)
        out[who] = b

    def ok(res, what, want=303):
        check(res[0] == want, what + " while writes work",
              (res[0], error_of(res[2])))

    ok(out["editor"].post("/primary/%s/declare" % SUP,
                          {"name": "Dora Sup", "statement": ""}),
       "a candidacy declared")
    r = subprocess.run([agora, "primary", "phase", SUP, "support"],
                       env=env, capture_output=True, text=True)
    check(r.returncode == 0, "then the primary moves to its support "
          "phase", r.stderr)
    ok(out["claire"].post("/primary/%s/support" % SUP,
                          {"candidate": "dora-sup", "action": "support"},
                          "/account"), "a support")
    ok(out["claimant"].post("/primary/%s/declare" % FREEZE,
                            {"name": "Fred Gel", "statement": ""}),
       "a candidacy to qualify declared")
    r = subprocess.run([agora, "primary", "phase", FREEZE, "support"],
                       env=env, capture_output=True, text=True)
    check(r.returncode == 0, "that primary moves to its support phase",
          r.stderr)
    ok(out["antoine"].post("/primary/%s/support" % FREEZE,
                           {"candidate": "fred-gel", "action": "support"},
                           "/account"), "a support that qualifies")
    ok(out["withdrawer"].post("/primary/%s/declare" % DEC,
                              {"name": "Wanda Retrait",
                               "statement": ""}),
       "a candidacy to withdraw declared")
    for title in ("Programme à publier", "Programme à refuser"):
        ok(upload(out["claire"], "/submit",
                  {"candidacy": E + "/claire-mercier", "title": title,
                   "source_url": "https://example.org/p.md"},
                  ("programme.md", "text/markdown",
                   ("# %s\n\n## Transports\n\nUn bus de nuit.\n"
                    % title).encode())), "a programme sent: " + title)
        ctx[title] = one(dbpath, "SELECT id FROM document WHERE title"
                         " = ?", title)[0]
    for i, caption in enumerate(("Vidéo à publier", "Vidéo à refuser",
                                 "Vidéo à retirer")):
        ok(out["claire"].post("/material", {
            "candidacy": E + "/claire-mercier", "caption": caption,
            "url": "https://video.example.org/v/%d" % i}),
           "a video sent: " + caption)
        ctx[caption] = one(dbpath, "SELECT id FROM material WHERE"
                           " caption = ?", caption)[0]
    r = subprocess.run([agora, "moderate", "--material",
                        str(ctx["Vidéo à retirer"]), "--publish"],
                       env=env, capture_output=True, text=True)
    check(r.returncode == 0, "a video published to withdraw", r.stderr)
    ok(out["antoine"].post("/profile", {
        "candidacy": E + "/antoine-roux", "given_name": "Antoine",
        "family_name": "Roux", "party": "Valbrune Ensemble",
        "bio": "Professeur.", "links": ""}), "a profile proposed")
    ctx["profile"] = one(dbpath, "SELECT id FROM candidate_profile WHERE"
                         " bio = 'Professeur.'")[0]
    for slug in ("claire-mercier", "antoine-roux"):
        ok(out["claimant"].post("/account/candidacy",
                                {"candidacy": "%s/%s" % (E, slug),
                                 "message": "Je fais campagne."}),
           "a candidacy claim filed for " + slug)
        ctx["claim " + slug] = one(
            dbpath, "SELECT k.id FROM candidacy_claim k JOIN user u ON"
            " u.id = k.user_id JOIN candidate c ON c.id = k.candidate_id"
            " WHERE u.email = 'claimant@example.org' AND c.slug = ?",
            slug)[0]
    pid = one(dbpath, "SELECT p.id FROM proposal p JOIN document d ON"
              " d.id = p.document_id JOIN candidate c ON c.id ="
              " d.candidate_id WHERE c.slug = 'antoine-roux' AND"
              " d.status = 'published' ORDER BY 1 LIMIT 1")[0]
    ok(out["editor"].post("/e/%s/review/%d" % (E, pid), {
        "body": "Une note à corriger.",
        "sources": "https://www.insee.fr/fr/"}), "a note written")
    ctx["note"] = (pid, one(dbpath, "SELECT note_id FROM note_version"
                            " WHERE body = 'Une note à corriger.'")[0])
    ok(harness.Browser(port).post("/signup", {
        "email": "unverified@example.org", "name": "",
        "password": PASSWORD}), "an account signed up", 200)
    ctx["verify"] = mail_token(dbpath, "unverified@example.org",
                               "verify")
    return out


def forms(src, dbpath, who):
    """Form(what, send, done, ok status, api): each form that writes"""
    ed, claire, cit = who["editor"], who["claire"], who["citizen"]
    admin = who["admin"]
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
                 " AND d.status = 'published'"
                 " ORDER BY 1 DESC, 2 LIMIT 1")
    data = os.path.join(src, "tests", "data", "material")
    with open(os.path.join(data, "photo.jpg"), "rb") as f:
        jpeg = f.read()
    with open(os.path.join(data, "photo.png"), "rb") as f:
        png = f.read()
    review = "/e/%s/review" % E
    code_graded, code_blank, code_api = ctx["codes"][:3]

    def theme(p, t):
        return one(dbpath, "SELECT pt.status FROM proposal_theme pt JOIN"
                   " theme t ON t.id = pt.theme_id WHERE pt.proposal_id"
                   " = ? AND t.slug = ?", p, t)

    def count(sql, *args):
        return one(dbpath, sql, *args)[0]

    def status(table, id_):
        return one(dbpath, "SELECT status FROM %s WHERE id = ?" % table,
                   id_)[0]

    def mailed(to):
        d = outbox_dir(dbpath)
        for name in os.listdir(d):
            if name.endswith(".eml"):
                with open(os.path.join(d, name), errors="replace") as f:
                    if re.search(r"^To: .*%s" % re.escape(to), f.read(),
                                 re.M):
                        return True
        return False

    def user_id(who):
        return one(dbpath, "SELECT id FROM user WHERE email = ?",
                   who + "@example.org")[0]

    def claimed(who, primary, name):
        """who's candidacy named name in primary, with its claim on the
        comparator's candidate (filed for the declarant)"""
        return count("SELECT count(*) FROM primary_candidate c JOIN"
                     " primary_election p ON p.id = c.primary_id JOIN"
                     " primary_candidacy y ON y.candidate_id = c.id JOIN"
                     " candidacy_claim k ON k.user_id = y.user_id JOIN"
                     " candidate e ON e.id = k.candidate_id AND e.slug ="
                     " c.slug JOIN election l ON l.id = e.election_id AND"
                     " l.slug = p.slug WHERE p.slug = ? AND c.name = ?"
                     " AND y.user_id = ?", primary, name,
                     user_id(who)) == 1

    def phase(p):
        return one(dbpath, "SELECT phase FROM primary_election WHERE"
                   " slug = ?", p)[0]

    def blank(p):
        return count("SELECT count(*) FROM ballot b JOIN primary_election"
                     " p ON p.id = b.primary_id WHERE p.slug = ? AND"
                     " json_extract(b.body, '$.grades') = '{}'", p)

    def graded(p, g):
        """p's ballots that give g to its first candidate"""
        return count("SELECT count(*) FROM ballot b JOIN primary_election"
                     " p ON p.id = b.primary_id WHERE p.slug = ? AND"
                     " json_extract(b.body, '$.grades.\"%s\"') = ?"
                     % CANDS[0], p, g)

    def vote(code, grades):
        path = "/primary/%s/vote" % VOTE
        form = dict({"step": "cast", "code": code}, **grades)
        return cit.post(path, form)

    def api_ballot(code):
        return cit.req("/api/v1/primaries/%s/ballots" % VOTE, "POST",
                       body=json.dumps({"credential": code, "grades": {
                           c: 3 for c in CANDS}}),
                       headers={"Content-Type": "application/json"},
                       cookies=False)

    withdraw = "/material/%d/withdraw" % ctx["Vidéo à retirer"]
    visitor = [harness.Browser(cit.port)]

    def signin():
        visitor[0] = harness.Browser(cit.port)
        return visitor[0].post("/signin", {"email": "visitor@example.org",
                                           "password": PASSWORD})

    def no_session_cookie(b):
        """no session cookie set or cleared: a refused sign-in gives no
        token of a session that was not stored, a refused sign-out
        keeps the session it did not end"""
        return lambda: not any(c.startswith("agora_session=")
                               for c in b().last_cookies)
    return [
        # the accounts
        Form("a visitor signs up",
             lambda: harness.Browser(cit.port).post("/signup", {
                 "email": "newcomer@example.org", "name": "Nouveau",
                 "password": PASSWORD}),
             lambda: count("SELECT count(*) FROM user WHERE email ="
                           " 'newcomer@example.org'") == 1 and
             mailed("newcomer@example.org"), ok=200),
        Form("a visitor confirms an address (the mailed link)",
             lambda: harness.Browser(cit.port).req(
                 "/verify?token=" + ctx["verify"]),
             lambda: count("SELECT email_verified FROM user WHERE email ="
                           " 'unverified@example.org'") == 1, ok=200),
        Form("a visitor signs in", signin,
             lambda: count("SELECT count(*) FROM session WHERE user_id ="
                           " ?", user_id("visitor")) >= 1,
             kept=no_session_cookie(lambda: visitor[0])),
        Form("an account signs out",
             lambda: who["leaver"].post("/signout", {}),
             lambda: count("SELECT count(*) FROM session WHERE user_id ="
                           " ?", user_id("leaver")) == 0,
             kept=no_session_cookie(lambda: who["leaver"])),
        Form("a visitor asks for a new password",
             lambda: harness.Browser(cit.port).post("/forgot", {
                 "email": "forgetful@example.org"}),
             lambda: count("SELECT count(*) FROM user_link WHERE user_id"
                           " = ? AND purpose = 'reset'",
                           user_id("forgetful")) == 1 and
             mailed("forgetful@example.org"), ok=200),
        Form("a visitor chooses a new password (the mailed link)",
             lambda: harness.Browser(cit.port).post(
                 "/reset", {"token": ctx["reset"],
                            "password": "another long password"},
                 "/reset?token=" + ctx["reset"]),
             lambda: count("SELECT count(*) FROM user_link WHERE user_id"
                           " = ? AND used_at IS NOT NULL",
                           user_id("resetter")) == 1, ok=200),
        # the editors
        Form("an editor confirms a theme",
             lambda: ed.post(review, {"one": "confirm:%d:%s" % (p1, t1)}),
             lambda: theme(p1, t1) == ("confirmed",)),
        Form("an editor adds a theme to ticked proposals",
             lambda: post_pairs(ed, review, [("action", "add"),
                                             ("add_theme", t2),
                                             ("p", str(p2))]),
             lambda: theme(p2, t2) == ("confirmed",)),
        Form("an editor writes a note",
             lambda: ed.post("%s/%d" % (review, p1),
                             {"body": "Un fait vérifié.",
                              "sources": "https://www.insee.fr/fr/"}),
             lambda: count("SELECT count(*) FROM note_version WHERE body"
                           " = 'Un fait vérifié.'") == 1),
        Form("an editor corrects a note",
             lambda: ed.post("%s/%d" % (review, ctx["note"][0]),
                             {"note": str(ctx["note"][1]),
                              "body": "Une note corrigée.",
                              "sources": "https://www.insee.fr/fr/"}),
             lambda: count("SELECT count(*) FROM note_version WHERE"
                           " note_id = ? AND version = 2 AND body ="
                           " 'Une note corrigée.'", ctx["note"][1]) == 1),
        Form("an editor publishes a programme",
             lambda: ed.post("/moderation/%d" % ctx["Programme à publier"],
                             {"action": "publish"}),
             lambda: status("document", ctx["Programme à publier"]) ==
             "published"),
        Form("an editor publishes a video",
             lambda: ed.post("/moderation/material/%d"
                             % ctx["Vidéo à publier"], {"action": "publish"}),
             lambda: status("material", ctx["Vidéo à publier"]) ==
             "published"),
        Form("an editor publishes a profile",
             lambda: ed.post("/moderation/profile/%d" % ctx["profile"],
                             {"action": "publish"}),
             lambda: status("candidate_profile", ctx["profile"]) ==
             "published"),
        Form("an editor confirms a candidacy claim",
             lambda: ed.post("/candidacies/%d"
                             % ctx["claim claire-mercier"],
                             {"action": "confirm"}),
             lambda: status("candidacy_claim",
                            ctx["claim claire-mercier"]) == "confirmed"),
        Form("an editor rejects a programme through the API",
             lambda: api_post(ed, "/api/v1/moderation/documents/%d"
                              % ctx["Programme à refuser"],
                              {"action": "reject",
                               "reason": "Une version de travail."}),
             lambda: status("document", ctx["Programme à refuser"]) ==
             "rejected", ok=200, api=True),
        Form("an editor rejects a video through the API",
             lambda: api_post(ed, "/api/v1/moderation/material/%d"
                              % ctx["Vidéo à refuser"],
                              {"action": "reject", "reason": "Floue."}),
             lambda: status("material", ctx["Vidéo à refuser"]) ==
             "rejected", ok=200, api=True),
        Form("an editor refuses a candidacy claim through the API",
             lambda: api_post(ed, "/api/v1/moderation/claims/%d"
                              % ctx["claim antoine-roux"],
                              {"action": "refuse",
                               "reason": "Inconnu de l'équipe."}),
             lambda: status("candidacy_claim", ctx["claim antoine-roux"])
             == "refused", ok=200, api=True),
        # the candidates
        Form("a candidate uploads a programme",
             lambda: upload(claire, "/submit",
                            {"candidacy": E + "/claire-mercier",
                             "title": "Programme complet",
                             "source_url": "https://example.org/p.md"},
                            ("programme.md", "text/markdown",
                             "# Programme\n\n## Écoles\n\nDes cantines "
                             "bio dans toutes les écoles.\n".encode())),
             lambda: count("SELECT count(*) FROM document WHERE title ="
                           " 'Programme complet'") == 1),
        Form("a candidate uploads a photo",
             lambda: upload(claire, "/material",
                            {"candidacy": E + "/claire-mercier",
                             "caption": "Au marché"},
                            ("photo.jpg", "image/jpeg", jpeg)),
             lambda: count("SELECT count(*) FROM material WHERE caption ="
                           " 'Au marché'") == 1),
        Form("a candidate adds a video link",
             lambda: claire.post("/material", {
                 "candidacy": E + "/claire-mercier",
                 "caption": "Réunion publique",
                 "url": "https://video.example.org/v/42"}),
             lambda: count("SELECT count(*) FROM material WHERE caption ="
                           " 'Réunion publique'") == 1),
        Form("a candidate proposes a profile",
             lambda: claire.post("/profile", {
                 "candidacy": E + "/claire-mercier",
                 "given_name": "Claire", "family_name": "Mercier",
                 "party": "Valbrune Demain", "bio": "Infirmière.",
                 "links": "https://claire.example.org"}),
             lambda: count("SELECT count(*) FROM candidate_profile WHERE"
                           " bio = 'Infirmière.'") == 1),
        Form("a candidate withdraws published material",
             lambda: claire.post(withdraw, {}, "/material"),
             lambda: count("SELECT count(*) FROM material WHERE id = ? AND"
                           " withdrawn_at IS NOT NULL",
                           ctx["Vidéo à retirer"]) == 1),
        # the citizens
        Form("a citizen asks to be linked to a candidacy",
             lambda: cit.post("/account/candidacy",
                              {"candidacy": E + "/antoine-roux",
                               "message": "Je suis Antoine Roux."}),
             lambda: count("SELECT count(*) FROM candidacy_claim k JOIN"
                           " candidate c ON c.id = k.candidate_id WHERE"
                           " c.slug = 'antoine-roux' AND k.user_id = ?",
                           user_id("citizen")) == 1),
        Form("a citizen asks to be linked through the API",
             lambda: api_post(cit, "/api/v1/me/claims", {
                 "election": E, "candidate": "claire-mercier",
                 "message": "Je suis Claire Mercier."}),
             lambda: count("SELECT count(*) FROM candidacy_claim k JOIN"
                           " candidate c ON c.id = k.candidate_id WHERE"
                           " c.slug = 'claire-mercier' AND k.user_id = ?",
                           user_id("citizen")) == 1, ok=201, api=True),
        Form("a citizen declares a candidacy to a primary",
             lambda: cit.post("/primary/%s/declare" % DEC,
                              {"name": "Cyril Citoyen",
                               "statement": "Moi."}),
             lambda: claimed("citizen", DEC, "Cyril Citoyen")),
        Form("a candidate declares a candidacy with a photo",
             lambda: upload(claire, "/primary/%s/declare" % DEC,
                            {"action": "declare", "name": "Claire Photo",
                             "statement": "Avec ma photo."},
                            ("photo.png", "image/png", png)),
             lambda: claimed("claire", DEC, "Claire Photo") and
             count("SELECT count(*) FROM material m JOIN candidate c ON"
                   " c.id = m.candidate_id WHERE c.slug = 'claire-photo'"
                   " AND m.status = 'pending'") == 1),
        Form("a citizen withdraws a candidacy",
             lambda: who["withdrawer"].post("/primary/%s/declare" % DEC,
                                            {"action": "withdraw"}),
             lambda: count("SELECT count(*) FROM primary_candidate WHERE"
                           " name = 'Wanda Retrait' AND status ="
                           " 'withdrawn'") == 1),
        Form("a citizen supports a candidate of a primary",
             lambda: cit.post("/primary/%s/support" % SUP,
                              {"candidate": "dora-sup",
                               "action": "support"}, "/account"),
             lambda: count("SELECT count(*) FROM support s JOIN"
                           " primary_candidate c ON c.id = s.candidate_id"
                           " WHERE c.slug = 'dora-sup' AND s.user_id = ?",
                           user_id("citizen")) == 1),
        Form("a citizen revokes a support",
             lambda: claire.post("/primary/%s/support" % SUP,
                                 {"candidate": "dora-sup",
                                  "action": "revoke"}, "/account"),
             lambda: count("SELECT count(*) FROM support WHERE user_id ="
                           " ?", user_id("claire")) == 0),
        Form("a citizen gets a voting code (open mode)",
             lambda: cit.post("/primary/%s/credential" % OPEN, {}),
             lambda: count("SELECT count(*) FROM credential_issued i JOIN"
                           " primary_election p ON p.id = i.primary_id"
                           " WHERE p.slug = ? AND i.user_id = ?", OPEN,
                           user_id("citizen")) == 1, ok=200),
        Form("a voter grades the candidates on the page",
             lambda: vote(code_graded, {"g_" + c: "4" for c in CANDS}),
             lambda: graded(VOTE, 4) == 1, ok=200),
        Form("a voter votes blank on the page",
             lambda: vote(code_blank, {"blank": "1"}),
             lambda: blank(VOTE) == 1, ok=200),
        Form("a voter votes through the API",
             lambda: api_ballot(code_api),
             lambda: graded(VOTE, 3) == 1, ok=201, api=True,
             batch="ballots: "),
        # the organisers
        Form("an administrator moves a primary to its next phase",
             lambda: admin.post("/primary/%s/admin" % ORG,
                                {"phase": "support", "confirm": "1"}),
             lambda: phase(ORG) == "support"),
        Form("an administrator announces a primary's schedule",
             lambda: admin.post("/primary/%s/admin" % ORG,
                                {"action": "schedule",
                                 "vote": "2031-01-10T09:00",
                                 "close": "2031-02-10T18:00"}),
             lambda: count("SELECT count(*) FROM primary_schedule s JOIN"
                           " primary_election p ON p.id = s.primary_id"
                           " WHERE p.slug = ?", ORG) == 2),
        Form("an administrator opens the vote (a candidate qualifies)",
             lambda: admin.post("/primary/%s/admin" % FREEZE,
                                {"phase": "vote", "confirm": "1"}),
             lambda: phase(FREEZE) == "vote" and
             count("SELECT count(*) FROM primary_candidate WHERE slug ="
                   " 'fred-gel' AND status = 'qualified'") == 1),
        Form("an administrator closes a primary that has a ballot",
             lambda: admin.post("/primary/%s/admin" % CLOSE,
                                {"phase": "closed", "confirm": "1"}),
             lambda: phase(CLOSE) == "closed"),
    ]


def refused(dbpath, forms, logpath, when, cause):
    """Each form gets the 503 page (the JSON error under /api/) and one
    log line that says cause; every table and the outbox stay as they
    were"""
    before = snapshot(dbpath)
    for f in forms:
        since = log_size(logpath)
        st, h, body = f.send()
        lines = f.lines(logpath, h, since)
        check(st == 503 and f.refusal(body) and len(lines) == 1 and
              cause in lines[0],
              "%s: %s: 503, one log line" % (when, f.what),
              (st, error_of(body), lines))
    after = snapshot(dbpath)
    check(before == after, "%s: after those refusals every table and "
          "the outbox are as they were" % when, changed(before, after))


def error_of(body):
    m = re.search(r'<p class="error"[^>]*>(.*?)</p>', body, re.S)
    return m.group(1) if m else body[-400:]


def stored(dbpath, forms, when):
    """Each form gets its answer (303 for most) and what it sent is
    stored"""
    for f in forms:
        st, h, body = f.send()
        check(st == f.ok and f.done(), "%s: %s: stored" % (when, f.what),
              (st, error_of(body)))
