#!/usr/bin/env python3
"""http_test.py AGORA SRCDIR - the web comparator as a user meets it.

Loads the sample election into a temporary database with the built
binary, starts `agora serve` on a free loopback port, and checks what a
visitor or an API client would notice: pages and their words, the empty
theme said plainly, escaping, security headers, error pages, the JSON
API's shapes, caching of assets, keep-alive, metrics, a clean stop; the
languages: dates and numbers in each, Accept-Language's weights, the
switch keeping the page's parameters, and servers without a locale or a
catalog.
Prints one "ok - ..." line per check, then "N passed, M failed".
"""
import concurrent.futures
import csv
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

AGORA, SRC = sys.argv[1], sys.argv[2]
ELECTION = "valbrune-2026"
# a second election, so that the sample's counts stay 4: one hostile
# programme and one ordinary one to compare it with
HOSTILE = "hostile-2027"
HOSTILE_MD = """# Programme de test

## Logement

- Afficher le code `<script>alert(1)</script>` tel quel pour le logement.
- Un logement pour tous, avec des "quotes" et des 'apostrophes' simples.
- L'esperluette \\&amp; et le code `&amp;` restent du texte au logement.
- Une balise \\<img src=x onerror=alert(1)\\> écrite pour le logement.
- Du HTML brut <script>alert(2)</script> dans le logement social.
"""
# what must survive extraction as text, each in some stored proposal
HOSTILE_BITS = ["<script>alert(1)</script>", '"quotes"', "'apostrophes'",
                "&amp;", "<img src=x onerror=alert(1)>"]
# a third election, with a programme of more than a thousand proposals,
# for the numbers and dates of each language
GRAND = "grand-2027"
GRAND_N = 1234
EMPTY_FR = "Aucune proposition sur ce thème dans le programme"
NNBSP = "\u202f"  # glibc's fr_FR groups digits with NARROW NO-BREAK SPACE
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet",
             "août", "septembre", "octobre", "novembre", "décembre")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

passed = failed = 0


PAGE_ETAG = {}  # a page's ETag before live_update_tests changes the data


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("FAIL - " + what)
        if detail:
            for line in str(detail)[:600].splitlines():
                print("  | " + line)


def run(*args, env):
    return subprocess.run([AGORA, *args], env=env, capture_output=True,
                          text=True, timeout=120)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        self.port = port

    def get(self, path, method="GET", headers=None, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def text(self, path, **kw):
        st, h, data = self.get(path, **kw)
        return st, h, data.decode("utf-8", "replace")

    def json(self, path):
        st, h, data = self.get(path)
        try:
            return st, h, json.loads(data)
        except ValueError:
            return st, h, None


def setup(tmp):
    env = dict(os.environ, AGORA_DB=os.path.join(tmp, "agora.db"))
    r = run("election", "add", ELECTION, "--title",
            "Municipales 2026 — Valbrune", "--date", "2026-03-15", env=env)
    if r.returncode:
        sys.exit("cannot add the election: " + r.stderr)
    corpus = os.path.join(SRC, "corpus", ELECTION)
    with open(os.path.join(corpus, "candidates.tsv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        r = run("--quiet", "ingest", "--election", ELECTION, "--candidate",
                row["given_name"] + " " + row["family_name"],
                "--family-name", row["family_name"], "--party", row["party"],
                "--source-url", row["source_url"],
                os.path.join(corpus, row["file"]), env=env)
        if r.returncode:
            sys.exit("cannot ingest %s: %s" % (row["file"], r.stderr))
    r = run("election", "add", HOSTILE, "--title", "Test d'échappement",
            "--date", "2027-01-01", env=env)
    if r.returncode:
        sys.exit("cannot add the second election: " + r.stderr)
    path = os.path.join(tmp, "hostile.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(HOSTILE_MD)
    for given, family, file in (("Ève", "Hostile", path), (
            rows[1]["given_name"], rows[1]["family_name"],
            os.path.join(corpus, rows[1]["file"]))):
        r = run("--quiet", "ingest", "--election", HOSTILE, "--candidate",
                given + " " + family, "--family-name", family, "--party",
                "Test", file, env=env)
        if r.returncode:
            sys.exit("cannot ingest %s: %s" % (file, r.stderr))
    r = run("election", "add", GRAND, "--title", "Présidentielle 2027",
            "--date", "2027-04-22", env=env)
    if r.returncode:
        sys.exit("cannot add the third election: " + r.stderr)
    path = os.path.join(tmp, "grand.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Programme\n\n## Environnement\n\n")
        for i in range(GRAND_N):
            f.write("- Planter le chêne numéro %d au bord du canal.\n" % i)
    r = run("--quiet", "ingest", "--election", GRAND, "--candidate",
            "Léa Grand", "--family-name", "Grand", path, env=env)
    if r.returncode:
        sys.exit("cannot ingest the long programme: " + r.stderr)
    return env, rows


def security_headers(h):
    return (h.get("content-security-policy") == CSP
            and h.get("x-content-type-options") == "nosniff"
            and h.get("referrer-policy") in ("no-referrer", "same-origin")
            and bool(h.get("x-request-id")))


def tests(c, rows):
    names = [r["given_name"] + " " + r["family_name"] for r in rows]
    slugs = {}
    st, h, j = c.json("/api/v1/elections/%s/candidates" % ELECTION)
    check(st == 200 and h.get("content-type", "").startswith(
        "application/json") and len(j["candidates"]) == len(rows),
          "API lists the candidates as JSON", j)
    order = [x["slug"] for x in j["candidates"]]
    fam = [x["family_name"] for x in j["candidates"]]
    check(fam == sorted(fam), "API candidates in the neutral order", fam)
    for x in j["candidates"]:
        slugs[x["name"]] = x["slug"]

    # pages
    st, h, body = c.text("/")
    check(st == 200 and "Municipales 2026" in body and 'lang="fr"' in body
          and "<label for=\"q\">" in body, "home: election, search box", st)
    check(security_headers(h), "home: security headers", h)
    st, h, body = c.text("/e/" + ELECTION)
    check(st == 200 and all(n in body for n in names),
          "election page names every candidate", st)
    pos = [body.find(n) for n in sorted(
        names, key=lambda n: n.split()[-1])]
    check(pos == sorted(pos), "election page: alphabetical by family name")
    check("/compare?theme=" in body, "election page links to compare")

    q = "/e/%s/compare?theme=trade&%s" % (ELECTION, "&".join(
        "c=" + s for s in order[:3]))
    st, h, body = c.text(q)
    shown = [n for n in names if slugs[n] in order[:3]]
    check(st == 200 and all(n in body for n in shown),
          "compare page shows every selected candidate", st)
    check(body.count(EMPTY_FR) == 3,
          "compare: '%s' for each silent candidate" % EMPTY_FR,
          body.count(EMPTY_FR))
    st, h, body = c.text("/e/%s/compare?theme=housing" % ELECTION)
    check(st == 200 and "<blockquote" in body and
          all(n in body for n in names),
          "compare on housing shows proposals, all candidates by default")
    st, h, body = c.text("/e/%s/compare?theme=housing&c=%s" %
                         (ELECTION, order[0]))
    check(st == 400 and "au moins deux" in body,
          "compare with one candidate asks for two", st)
    st, h, body = c.text("/e/%s/compare?theme=nope" % ELECTION)
    check(st == 404, "compare on an unknown theme is 404", st)

    st, h, body = c.text("/e/%s/c/%s" % (ELECTION, order[0]))
    check(st == 200 and re.search(r'id="p\d+"', body) and
          re.search(r"[0-9a-f]{64}", body) and
          "https://example.org/valbrune/" in body,
          "candidate page: anchored proposals, SHA-256, source", st)
    pid = re.search(r'id="p(\d+)"', body).group(1) if st == 200 else "1"
    st, h, body = c.text("/p/" + pid)
    check(st == 200 and "agora verify" in body and
          re.search(r"[0-9a-f]{64}", body), "proposal permalink", st)
    st, h, body = c.text("/p/999999999")
    check(st == 404, "unknown proposal is 404", st)

    st, h, body = c.text("/search?q=" + urllib.parse.quote("sécurité"))
    check(st == 200 and "<mark>" in body and "Résultats par candidat" in body,
          "search: marked snippets, counts per candidate", st)
    st, h, body = c.text("/search?q=securite")
    check(st == 200 and "<mark>" in body, "search without accents", st)
    hostile = "<script>alert(1)</script>\"'"
    st, h, body = c.text("/search?q=" + urllib.parse.quote(hostile))
    check(st == 200 and "<script>" not in body and
          "&lt;script&gt;alert(1)&lt;/script&gt;" in body,
          "a hostile query is echoed escaped, never raw", st)
    st, h, body = c.text("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    check('lang="en"' in body and "Search" in body,
          "English through Accept-Language")
    st, h, body = c.text("/?lang=en")
    check('lang="en"' in body and "lang=en" in h.get("set-cookie", ""),
          "English through ?lang=en, remembered")

    # errors
    for path in ("/nope", "/e/nope", "/e/nope/compare?theme=trade"):
        st, h, body = c.text(path)
        check(st == 404 and "<html" in body and "agora.css" in body and
              security_headers(h), "404 page in the site's style: " + path,
              st)
    st, h, body = c.text("/search?q=%zz")
    check(st == 400 and "<html" in body and security_headers(h),
          "bad percent-encoding is 400", st)
    st, h, body = c.text("/search?q=%C3")
    check(st == 400, "invalid UTF-8 is 400", st)
    st, h, body = c.text("/search?q=a%00b")
    check(st == 400, "a NUL byte (%00) in a query is 400", st)
    st, h, body = c.text("/search?q=" + "a" * 5000)
    check(st == 400, "an over-long query is 400", st)
    st, h, body = c.text("/", method="POST", body=b"x=1")
    check(st == 405 and "GET" in h.get("allow", ""), "POST is 405", st)
    with socket.create_connection(("127.0.0.1", c.port), timeout=20) as s:
        s.sendall(b"PUT / HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 10000000\r\n\r\n")
        head = s.recv(4096).decode("latin-1")
    check(head.startswith("HTTP/1.1 413") and "nosniff" in head,
          "an oversize body is refused before it is read", head[:200])

    # API
    st, h, j = c.json("/api/v1/elections")
    check(st == 200 and j["elections"][0]["slug"] == ELECTION and
          security_headers(h), "API elections", j)
    st, h, j = c.json("/api/v1/elections/" + ELECTION)
    check(st == 200 and j["slug"] == ELECTION and len(j["candidates"]) == 4,
          "API election", j)
    st, h, j = c.json("/api/v1/elections/%s/themes" % ELECTION)
    trade = [t for t in j["themes"] if t["key"] == "trade"]
    check(st == 200 and trade and trade[0]["candidates"] == 0,
          "API themes with coverage", trade)
    rev = ",".join(reversed(order))
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=trade&candidates=%s"
                      % (ELECTION, rev))
    check(st == 200 and j["election"] == ELECTION and
          j["theme"]["key"] == "trade" and
          [x["slug"] for x in j["candidates"]] == order and
          all(x["proposals"] == [] for x in j["candidates"]),
          "API compare: neutral order, [] for silent candidates", j)
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=housing" % ELECTION)
    check(st == 200 and any(x["proposals"] for x in j["candidates"]) and
          all({"slug", "name", "party", "proposals"} <= set(x)
              for x in j["candidates"]), "API compare shape", j)
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=housing"
                      "&candidates=nobody" % ELECTION)
    check(st == 404 and j["error"]["code"] == "not_found",
          "API unknown candidate is a JSON 404", j)
    st, h, j = c.json("/api/v1/search?q=logement&election=" + ELECTION)
    check(st == 200 and j["total"] > 0 and j["results"] and
          "\x02" in j["results"][0]["snippet"], "API search", st)
    pid2 = j["results"][0]["proposal"] if st == 200 else 1
    st, h, j = c.json("/api/v1/proposals/%d" % pid2)
    check(st == 200 and len(j["document"]["sha256"]) == 64 and
          j["text"] and j["candidate"]["slug"], "API proposal", j)
    st, h, j = c.json("/api/v1/nope")
    check(st == 404 and j and j["error"]["code"] == "not_found" and
          h.get("content-type", "").startswith("application/json") and
          security_headers(h), "API unknown route: JSON 404", j)
    check(j and j["error"]["message"] == "no such address in the API",
          "API unknown route: said in English, as the API's other errors", j)
    # refused before the target is parsed: JSON under /api/ all the same
    for method, path, body, want, code in (
            ("DELETE", "/api/v1/elections", None, 405, "method_not_allowed"),
            ("GET", "/api/v1/search?q=%ff", None, 400, "bad_request"),
            ("POST", "/api/v1/primaries/x/ballots", b"{" * 70000, 413,
             "too_large")):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", c.port,
                                              timeout=30)
            conn.request(method, path, body=body, headers={
                "Content-Type": "application/json"} if body else {})
            resp = conn.getresponse()
            st, ctype, data = resp.status, resp.getheader(
                "content-type", ""), resp.read()
            conn.close()
            j = json.loads(data)
        except (OSError, ValueError, http.client.HTTPException) as e:
            st, ctype, j = None, "", repr(e)
        check(st == want and ctype.startswith("application/json") and
              j["error"]["code"] == code,
              "API %s %s: a JSON %d" % (method, path, want), (st, j))
    st, h, j = c.json("/api/v1/search")
    check(st == 400 and j["error"]["code"] == "bad_request",
          "API missing q is a JSON 400", j)
    st, h, j = c.json("/api/v1/openapi.json")
    check(st == 200 and j and j.get("openapi", "").startswith("3") and
          "/api/v1/elections/{election}/compare" in j.get("paths", {}) and
          "/api/v1/elections/{election}/export" in j.get("paths", {}),
          "OpenAPI document", st)

    # open data: downloads and the API's export
    st, h, body = c.text("/e/" + ELECTION)
    check('href="/e/%s/export.json"' % ELECTION in body and
          'href="/e/%s/export.csv"' % ELECTION in body and
          "Licence Ouverte" in body,
          "election page links to both exports, with the licence")
    st, h, data = c.get("/e/%s/export.json" % ELECTION)
    check(st == 200 and h.get("content-type") ==
          "application/json; charset=utf-8" and
          h.get("content-disposition") ==
          'attachment; filename="%s.json"' % ELECTION and
          "etalab" in h.get("link", "") and
          'rel="license"' in h.get("link", "") and security_headers(h),
          "export.json: a download with its licence and security headers", h)
    try:
        ex = json.loads(data)
    except ValueError:
        ex = {}
    check(set(ex) >= {"licence", "election", "candidates", "documents",
                      "proposals", "themes"} and
          "Etalab" in ex["licence"]["metadata"]["name"] and
          ex["election"]["slug"] == ELECTION and
          [x["slug"] for x in ex["candidates"]] == order and
          len(ex["themes"]) == 34 and
          all({"id", "candidate", "version", "sha256", "source_url",
               "status", "current"} <= set(d) for d in ex["documents"]),
          "export.json: licence, election, candidates in the neutral order, "
          "documents, taxonomy", str(ex)[:300])
    props = ex.get("proposals", [])
    st, h, j = c.json("/api/v1/elections/%s/candidates" % ELECTION)
    total = sum(x["proposals"] for x in j["candidates"]) if st == 200 else -1
    check(len(props) == total and all(
        {"id", "document_id", "ordinal", "start", "end", "kind",
         "heading_path", "text", "sha256", "themes"} <= set(p)
        for p in props), "export.json: every current proposal, every field",
          (len(props), total))
    same = True
    for p in props[::7]:
        st2, h2, one = c.json("/api/v1/proposals/%d" % p["id"])
        same = same and st2 == 200 and one["text"] == p["text"] and \
            one["start"] == p["start"] and one["end"] == p["end"]
    check(props and same, "export.json: texts and offsets equal the API's")
    st, h, data2 = c.get("/api/v1/elections/%s/export" % ELECTION)
    check(st == 200 and data2 == data and
          "content-disposition" not in h and
          'rel="license"' in h.get("link", ""),
          "API export: the same bytes, inline", h)
    st, h, data = c.get("/e/%s/export.csv" % ELECTION)
    check(st == 200 and h.get("content-type", "").startswith(
        "text/csv; charset=utf-8") and
          h.get("content-disposition") ==
          'attachment; filename="%s-proposals.csv"' % ELECTION and
          'rel="license"' in h.get("link", "") and security_headers(h),
          "export.csv: a download with its licence and security headers", h)
    rows = list(csv.reader(data.decode("utf-8").splitlines(True)))
    check(rows and rows[0][:2] == ["election", "candidate"] and
          rows[0][-3:] == ["text", "text_sha256", "licence"] and
          len(rows) - 1 == len(props) and b"\r\n" in data and
          [r[17] for r in rows[1:]] == [p["text"] for p in props],
          "export.csv: header, one row per proposal, the same texts",
          (len(rows), len(props)))
    st, h, data = c.get("/e/%s/export.csv" % ELECTION, method="HEAD")
    check(st == 200 and data == b"" and "attachment" in
          h.get("content-disposition", ""), "HEAD export.csv: headers only")
    st, h, body = c.text("/e/nope/export.csv")
    check(st == 404 and "<html" in body and
          "content-disposition" not in h, "export of an unknown election: 404")
    st, h, j = c.json("/api/v1/elections/nope/export")
    check(st == 404 and j and j["error"]["code"] == "not_found",
          "API export of an unknown election: JSON 404", j)

    # static assets
    st, h, body = c.text("/static/agora.css")
    etag = h.get("etag", "")
    check(st == 200 and h.get("content-type", "").startswith("text/css") and
          "immutable" in h.get("cache-control", "") and
          re.fullmatch(r'"[0-9a-f]{16}"', etag), "stylesheet with an ETag",
          h)
    css_len = h.get("content-length")
    st, h, body = c.text("/static/agora.css",
                         headers={"If-None-Match": etag})
    check(st == 304 and body == "", "304 on If-None-Match", st)
    check(h.get("content-length") in (None, css_len),
          "its Content-Length is the stylesheet's, or none (RFC 9110 8.6)",
          h.get("content-length"))
    st, h, body = c.text("/static/nope.css")
    check(st == 404, "unknown asset is 404", st)

    # pages: "no-cache" with a validator, so a browser asking again while
    # nothing changed gets a 304 without the page
    page = "/e/%s/compare?theme=housing" % ELECTION
    for _ in range(3):  # rendered, then from the cache of either worker
        st, h, body = c.text(page)
        etag = h.get("etag", "")
        check(st == 200 and h.get("cache-control") == "no-cache" and
              re.fullmatch(r'"[0-9a-f]+-[0-9]+-[0-9a-f]{16}"', etag),
              "a compare page with an ETag and no-cache", h)
    page_len = h.get("content-length")
    st, h, body = c.text(page, headers={"If-None-Match": etag})
    check(st == 304 and body == "" and h.get("etag") == etag,
          "the same page again with If-None-Match: 304, no body", st)
    check(h.get("content-length") in (None, page_len),
          "the 304's Content-Length is the page's, or none (RFC 9110 8.6)",
          (h.get("content-length"), page_len))
    st, h, body = c.text(page, headers={"If-None-Match": '"other"'})
    check(st == 200 and len(body) > 1000, "another ETag: the page", st)
    # a 304 then a 200 on one connection: no byte of the page followed
    # the 304's headers (else the second answer would not parse)
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=20)
    try:
        conn.request("GET", page, headers={"If-None-Match": etag})
        r1 = conn.getresponse()
        r1.read()
        conn.request("GET", page)
        r2 = conn.getresponse()
        b2 = r2.read()
        check(r1.status == 304 and r2.status == 200 and
              str(len(b2)) == page_len,
              "a 304 then the page on one kept-alive connection",
              (r1.status, r2.status, len(b2)))
    finally:
        conn.close()
    st, h, body = c.text(page, headers={"If-None-Match": etag,
                                        "Accept-Language": "en"})
    check(st == 200 and h.get("etag") != etag,
          "the page in English has its own ETag", h.get("etag"))
    PAGE_ETAG[page] = etag

    # keep-alive: two requests on one connection
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=20)
    conn.request("GET", "/healthz")
    r1 = conn.getresponse()
    b1 = r1.read()
    sock1 = conn.sock
    conn.request("GET", "/e/" + ELECTION)
    r2 = conn.getresponse()
    r2.read()
    check(r1.status == 200 and b1 == b"ok\n" and r2.status == 200 and
          sock1 is not None and conn.sock is sock1 and
          (r1.getheader("Connection") or "").lower() != "close",
          "keep-alive: two requests on one connection")
    conn.close()

    # metrics
    st, h, body = c.text("/metrics")
    m = re.search(r'agora_http_requests_total\{route="page_compare",'
                  r'code="200"\} (\d+)', body)
    check(st == 200 and m and int(m.group(1)) >= 2 and
          "agora_http_request_duration_seconds_bucket" in body and
          re.search(r"agora_database_size_bytes \d+", body),
          "metrics count requests, latency, database size", body[:300])


SEED_RE = re.compile(r"order_seed=([0-9a-f]{16});")


def cand_order(body, election=ELECTION):
    """The candidates' slugs in a page's candidate list, in order."""
    m = re.search(r'<ul class="candidates">(.*?)</ul>', body, re.S)
    return re.findall(r'href="/e/%s/c/([a-z0-9-]+)"' % election,
                      m.group(1)) if m else []


def col_order(body, n=1):
    """The candidates' slugs of the n-th grid of a compare page."""
    return re.findall(r'<h3 id="col-%d-([a-z0-9-]+)"' % n, body)


def themes_tests(c):
    """Several themes at once, on the page and in the API."""
    base = "/e/%s/compare?" % ELECTION
    two = "c=sofia-benali&c=antoine-roux"
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=security"
                      "&theme=justice&candidates=antoine-roux,sofia-benali"
                      % ELECTION)
    ok = st == 200 and j and set(j) == {"election", "order", "themes"}
    check(ok and [t["theme"]["key"] for t in j["themes"]] ==
          ["security", "justice"] and
          all([x["slug"] for x in t["candidates"]] ==
              ["sofia-benali", "antoine-roux"] for t in j["themes"]),
          "API compare, two themes: one entry per theme, in the order "
          "asked, candidates in the neutral order", j)
    empties = sum(x["proposals"] == [] for t in j["themes"]
                  for x in t["candidates"]) if ok else -1
    check(ok and j["order"] == "alphabetical" and "seed" not in j and
          j["themes"][0]["candidates"][0]["proposals"] == [] and
          j["themes"][1]["candidates"][1]["proposals"],
          "API compare, two themes: [] for a silent candidate on one "
          "theme, proposals on the other", j)
    st, h, j2 = c.json("/api/v1/elections/%s/compare?theme=security,justice"
                       "&candidates=antoine-roux,sofia-benali" % ELECTION)
    check(st == 200 and j2 == j, "API compare: theme=a,b is theme=a&theme=b")
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=security,security"
                      % ELECTION)
    check(st == 200 and j and set(j) >= {"election", "theme", "candidates"}
          and j["theme"]["key"] == "security" and "themes" not in j,
          "API compare: one theme (even asked twice) keeps the "
          "one-theme shape", j)
    nine = ",".join(["security", "justice", "housing", "health", "energy",
                     "transport", "europe", "digital", "defence"])
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=%s"
                      % (ELECTION, nine))
    check(st == 400 and j["error"]["code"] == "bad_request" and
          "more than 8 themes" in j["error"]["message"],
          "API compare: more than 8 themes is a 400", j)
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=security"
                      "&theme=nope" % ELECTION)
    check(st == 404 and "nope" in j["error"]["message"],
          "API compare: an unknown theme among several is a 404", j)
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=security"
                      "&candidates=%s" % (ELECTION, ",".join(
                          "c%d" % i for i in range(65))))
    check(st == 400 and "more than 64 candidates" in j["error"]["message"],
          "API compare: more than 64 candidates is a 400", j)

    st, h, body = c.text(base + "theme=security&theme=justice&" + two)
    check(st == 200 and body.count('<section class="theme"') == 2 and
          "Thème : Sécurité &amp; police" in body and
          "Thème : Justice" in body,
          "compare page, two themes: one grid per theme", st)
    check(body.count(EMPTY_FR) == empties and empties >= 1,
          "compare page, two themes: '%s' once per silent candidate per "
          "theme" % EMPTY_FR, (body.count(EMPTY_FR), empties))
    check(col_order(body, 1) == col_order(body, 2) ==
          ["sofia-benali", "antoine-roux"],
          "compare page, two themes: the same order in both grids")
    check(re.search(r'name="theme" value="security" checked', body) and
          re.search(r'name="theme" value="justice" checked', body) and
          not re.search(r'name="theme" value="housing" checked', body) and
          re.search(r'name="c" value="antoine-roux" checked', body) and
          not re.search(r'name="c" value="claire-mercier" checked', body),
          "compare page: the checkboxes keep the choice")
    st2, h2, body2 = c.text(base + "theme=security,justice&" + two)
    # the same page, but for the language switch, which keeps the query
    # as it was written
    switch = re.compile(r'<a href="[^"]*" hreflang="[^"]*"')
    check(st2 == 200 and switch.sub("", body2) == switch.sub("", body),
          "compare page: theme=a,b is theme=a&theme=b")
    st, h, body = c.text(base + "theme=" + nine)
    check(st == 400 and "more than 8 themes" in body,
          "compare page: more than 8 themes is a 400", st)
    st, h, body = c.text(base + "theme=security&theme=nope")
    check(st == 404, "compare page: an unknown theme among several is a "
          "404", st)
    st, h, body = c.text(base + "theme=")
    check(st == 200 and 'name="theme"' in body and
          '<section class="theme"' not in body,
          "compare page with no theme: the form alone", st)


def order_tests(c, env):
    """The organiser's rule: shuffled per visitor, the same on every page
    and in the API for that visitor, never served to another."""
    r = run("election", "set", ELECTION, "--candidate-order", "shuffled",
            env=env)
    check(r.returncode == 0, "organiser sets the order to shuffled",
          r.stderr)
    epath = "/e/" + ELECTION
    st, h, body = c.text(epath)
    cookie = h.get("set-cookie", "")
    m = SEED_RE.search(cookie)
    check(st == 200 and "tiré au sort pour chaque visiteur" in body,
          "election page states the shuffled rule", st)
    check(m and "HttpOnly" in cookie and "SameSite=Lax" in cookie and
          "Path=/" in cookie,
          "a first visit gets a seed cookie (HttpOnly, SameSite=Lax)",
          cookie)
    seed = m.group(1) if m else "0" * 16
    me = {"Cookie": "order_seed=" + seed}
    mine = cand_order(body)
    st, h, body = c.text(epath, headers=me)
    check(st == 200 and cand_order(body) == mine and
          "set-cookie" not in h,
          "the same visitor sees the same order again, no new cookie",
          (mine, cand_order(body)))
    st, h, body = c.text("/e/%s/compare?theme=security" % ELECTION,
                         headers=me)
    check(st == 200 and col_order(body) == mine and
          "tiré au sort pour chaque visiteur" in body,
          "compare page: the visitor's order, and the rule stated",
          (mine, col_order(body)))
    sub = [s for s in mine if s != mine[1]]
    st, h, body = c.text("/e/%s/compare?theme=security&%s" % (
        ELECTION, "&".join("c=" + s for s in reversed(sub))), headers=me)
    check(st == 200 and col_order(body) == sub,
          "compare page: three candidates keep the visitor's order", sub)
    st, h, j = c.json("/api/v1/elections/%s/candidates?seed=%s"
                      % (ELECTION, seed))
    check(st == 200 and j["order"] == "shuffled" and j["seed"] == seed and
          [x["slug"] for x in j["candidates"]] == mine,
          "API candidates with ?seed=: the visitor's order", j)
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=security,justice"
                      "&seed=%s" % (ELECTION, seed))
    check(st == 200 and j["seed"] == seed and
          all([x["slug"] for x in t["candidates"]] == mine
              for t in j["themes"]),
          "API compare with ?seed=: the visitor's order in every theme", j)
    st, h, data = c.get("/api/v1/elections/%s" % ELECTION, headers=me)
    j = json.loads(data) if st == 200 else {}
    check(st == 200 and j["candidate_order"] == "shuffled" and
          [x["slug"] for x in j["candidates"]] == mine and
          j["seed"] == seed, "API election with the visitor's cookie", j)
    st, h, j = c.json("/api/v1/elections/%s/candidates" % ELECTION)
    s2 = j.get("seed", "") if st == 200 else ""
    st2, h2, j2 = c.json("/api/v1/elections/%s/candidates?seed=%s"
                         % (ELECTION, s2))
    check(st == 200 and re.fullmatch(r"[0-9a-f]{16}", s2) and
          "set-cookie" not in h and
          [x["slug"] for x in j["candidates"]] ==
          [x["slug"] for x in j2["candidates"]],
          "API without a seed: a fresh one, returned, that gives the same "
          "order again", (j, j2))
    st, h, j = c.json("/api/v1/elections/%s/candidates?seed=xyz" % ELECTION)
    check(st == 400 and "bad seed" in j["error"]["message"],
          "API: a bad seed is a 400", j)

    # search in one election: the counts per candidate follow the
    # visitor's order (a seed whose order is not the alphabetical one)
    fam = sorted(mine, key=lambda s: s.split("-")[-1])
    for i in range(1, 200):
        seed2 = "%016x" % (i * 0x2545F4914F6CDD1D % (1 << 64))
        st, h, j = c.json("/api/v1/elections/%s/candidates?seed=%s"
                          % (ELECTION, seed2))
        order2 = [x["slug"] for x in j["candidates"]]
        if order2 != fam:
            break
    names = {x["slug"]: x["name"] for x in j["candidates"]}
    st, h, j = c.json("/api/v1/search?q=logement&election=%s&seed=%s"
                      % (ELECTION, seed2))
    got = [x["candidate"] for x in j["per_candidate"]] if st == 200 else []
    check(len(got) == 4 and got == order2 and j.get("seed") == seed2,
          "API search in the election: counts per candidate in the "
          "visitor's order, and its seed", (got, order2))
    st, h, j = c.json("/api/v1/search?q=logement&election=" + ELECTION)
    s3 = j.get("seed", "") if st == 200 else ""
    st2, h2, j2 = c.json("/api/v1/search?q=logement&election=%s&seed=%s"
                         % (ELECTION, s3))
    check(re.fullmatch(r"[0-9a-f]{16}", s3) and st2 == 200 and
          j2["per_candidate"] == j["per_candidate"],
          "API search without a seed: the one it drew, which gives its "
          "order again", (s3, j2.get("per_candidate")))
    st, h, j = c.json("/api/v1/search?q=pingouin&seed=xyz")
    check(st == 400 and "bad seed" in j["error"]["message"],
          "API search: a bad seed is a 400, whatever the answer", j)
    st, h, j = c.json("/api/v1/elections/%s/candidates?seed=xyz" % GRAND)
    check(st == 400 and "bad seed" in j["error"]["message"],
          "API: a bad seed is a 400 in an alphabetical election too", j)
    st, h, body = c.text("/search?q=logement&election=" + ELECTION,
                         headers={"Cookie": "order_seed=" + seed2})
    m = re.search(r'<ul class="counts">(.*?)</ul>', body, re.S)
    shown = re.findall(r"<li>([^<:]+?) : \d+</li>", m.group(1)) if m else []
    check(st == 200 and shown == [names[x] for x in order2],
          "search page in the election: counts in the visitor's order",
          (shown, order2))

    # fresh visitors: fresh orders, every candidate first some time
    firsts, orders, seeds = {}, set(), set()
    for _ in range(60):
        st, h, body = c.text(epath)
        o = cand_order(body)
        orders.add(tuple(o))
        firsts[o[0] if o else ""] = firsts.get(o[0] if o else "", 0) + 1
        m = SEED_RE.search(h.get("set-cookie", ""))
        seeds.add(m.group(1) if m else "")
    check(len(seeds) == 60 and "" not in seeds,
          "each visitor without a cookie gets a fresh seed (never a "
          "cached page)", len(seeds))
    check(len(orders) > 1 and set(firsts) == set(mine),
          "over 60 visitors every candidate comes first at times", firsts)

    # two visitors with different orders, alternately: neither is ever
    # served the other's page from a worker's cache
    other = None
    for i in range(1, 200):
        s = "%016x" % (i * 0x9E3779B97F4A7C15 % (1 << 64))
        st, h, j = c.json("/api/v1/elections/%s/candidates?seed=%s"
                          % (ELECTION, s))
        if [x["slug"] for x in j["candidates"]] != mine:
            other, theirs = s, [x["slug"] for x in j["candidates"]]
            break
    same = other is not None
    for _ in range(4):
        for sd, want in ((seed, mine), (other, theirs if other else [])):
            for path in (epath, "/e/%s/compare?theme=housing" % ELECTION):
                st, h, body = c.text(path,
                                     headers={"Cookie": "order_seed=%s" % sd})
                got = cand_order(body) if path == epath else col_order(body)
                same = same and st == 200 and got == want
    check(same, "two visitors, pages alternated: each always gets their "
          "own order")

    r = run("election", "set", ELECTION, "--candidate-order",
            "alphabetical", env=env)
    check(r.returncode == 0, "organiser sets the order back", r.stderr)
    st, h, body = c.text(epath, headers=me)
    fam = sorted(mine, key=lambda s: s.split("-")[-1])
    check(st == 200 and "alphabétique par nom de famille" in body and
          cand_order(body) == fam and "set-cookie" not in h,
          "alphabetical again at once: the rule, the order, no cookie",
          cand_order(body))
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=security&seed=%s"
                      % (ELECTION, seed))
    check(st == 200 and j["order"] == "alphabetical" and "seed" not in j and
          [x["slug"] for x in j["candidates"]] == fam,
          "API alphabetical: a seed changes nothing", j)


def escaped(text):
    """A regex for TEXT as HTML-escaped page text: < > & always escaped,
    quotes raw or as character references, white space reflowed."""
    out = []
    for ch in text:
        if ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch == '"':
            out.append("(?:\"|&quot;|&#34;|&#x22;)")
        elif ch == "'":
            out.append("(?:'|&#39;|&#x27;|&apos;)")
        elif ch.isspace():
            out.append(r"\s+")
        else:
            out.append(re.escape(ch))
    return "".join(out)


RAW = re.compile(r"<\s*(script|img)\b|<[a-z][^<>]*\sonerror\s*=", re.I)


def hostile_tests(c, env):
    r = run("search", "--election", HOSTILE, "--limit", "100", "--json",
            "logement", env=env)
    try:
        hits = json.loads(r.stdout)["results"]
    except ValueError:
        hits = []
    stored = {h["proposal"]: h["text"] for h in hits}
    texts = list(stored.values())
    check(r.returncode == 0 and all(any(b in t for t in texts)
                                    for b in HOSTILE_BITS),
          "hostile programme: the strings are stored as text "
          "(agora search --json)", texts or r.stderr)
    check(not any("alert(2)" in t and "<script>" in t for t in texts),
          "hostile programme: raw inline HTML is not kept as text", texts)
    hostile = {i: t for i, t in stored.items()
               if any(b in t for b in HOSTILE_BITS)}

    st, h, j = c.json("/api/v1/elections/%s/candidates" % HOSTILE)
    slugs = [x["slug"] for x in j["candidates"]] if st == 200 else []
    eve = [x["slug"] for x in j["candidates"]
           if x["family_name"] == "Hostile"] if st == 200 else []
    check(len(slugs) == 2 and eve, "hostile election: two candidates", j)
    pid = min(hostile) if hostile else 0
    st, h, j = c.json("/api/v1/proposals/%d" % pid)
    themes = [t.get("key") or t.get("slug") for t in j.get("themes", [])
              if isinstance(t, dict)] if st == 200 and j else []
    theme = "housing" if "housing" in themes or not themes else themes[0]

    pages = [("candidate page", "/e/%s/c/%s" % (HOSTILE, eve[0] if eve
                                                 else "x")),
             ("compare page", "/e/%s/compare?theme=%s&%s" % (
                 HOSTILE, theme, "&".join("c=" + x for x in slugs))),
             ("search page", "/search?q=logement&election=%s&candidate=%s"
              % (HOSTILE, eve[0] if eve else "x"))]
    pages += [("permalink /p/%d" % i, "/p/%d" % i) for i in sorted(hostile)]
    for what, path in pages:
        st, h, body = c.text(path)
        raw = RAW.search(body)
        check(st == 200 and not raw,
              "hostile text, %s: no raw <script, <img or onerror=" % what,
              (st, raw and body[max(0, raw.start() - 200):raw.end() + 80]))
        if what == "search page":
            # snippets may be cut or marked: the escaped bits must show
            ok = "&lt;script&gt;alert(1)&lt;/script&gt;" in body and \
                "&lt;img src=x onerror=alert(1)&gt;" in body
        elif what.startswith("permalink"):
            ok = re.search(escaped(hostile[int(path[3:])]), body)
        else:
            ok = all(re.search(escaped(t), body) for t in hostile.values())
        check(st == 200 and ok,
              "hostile text, %s: the stored text appears HTML-escaped"
              % what, body[:300])

    same = bool(hostile)
    for i, t in hostile.items():
        st, h, j = c.json("/api/v1/proposals/%d" % i)
        same = same and st == 200 and j["text"] == t
    check(same, "hostile text: the JSON API returns it exactly")
    st, h, j = c.json("/api/v1/elections/%s/compare?theme=%s&candidates=%s"
                      % (HOSTILE, theme, ",".join(slugs)))
    got = {p["id"]: p["text"] for x in (j or {}).get("candidates", [])
           for p in x["proposals"]} if st == 200 else {}
    check(hostile and all(got.get(i) == t for i, t in hostile.items()),
          "hostile text: the JSON compare returns it exactly", got)


def page_lang(body):
    m = re.search(r'<html lang="([a-z]+)"', body)
    return m.group(1) if m else None


def switch_link(body):
    """The language switch's link, as written (escaped), and its language"""
    m = re.search(r'<li><a href="([^"]*)" hreflang="([a-z]+)"', body)
    return (m.group(1), m.group(2)) if m else (None, None)


def language_tests(c):
    # dates: the election dates on the home page, the document dates
    st, h, fr = c.text("/")
    st2, h2, en = c.text("/", headers={"Accept-Language": "en"})
    check(st == 200 and
          '<time datetime="2026-03-15">15 mars 2026</time>' in fr and
          '<time datetime="2027-04-22">22 avril 2027</time>' in fr,
          "French home page: dates with French month names", fr[:2000])
    check(st2 == 200 and page_lang(en) == "en" and
          '<time datetime="2026-03-15">15 March 2026</time>' in en and
          '<time datetime="2027-04-22">22 April 2027</time>' in en,
          "English home page: dates with English month names", en[:2000])
    check("· 4 candidats<" in fr and "· 1 candidat<" in fr
          and "· 4 candidates<" in en and
          "· 1 candidate<" in en,
          "home page: candidates counted with the right plural")
    st, h, j = c.json("/api/v1/elections/%s/candidates" % GRAND)
    slug = j["candidates"][0]["slug"] if st == 200 else "x"
    doc_date = (r'<time datetime="\d{4}-\d\d-\d\dT[0-9:]+Z">'
                r'[1-9]\d? (%s) \d{4}</time>')
    st, h, fr = c.text("/e/%s/c/%s" % (GRAND, slug))
    st2, h2, en = c.text("/e/%s/c/%s?lang=en" % (GRAND, slug))
    check(st == 200 and re.search(doc_date % "|".join(MONTHS_FR), fr) and
          st2 == 200 and re.search(doc_date % "|".join(MONTHS_EN), en),
          "candidate page: the document's date in each language",
          re.findall(r"<time[^<]*</time>", fr + en))

    # numbers of a thousand and more
    st, h, fr = c.text("/e/" + GRAND)
    st2, h2, en = c.text("/e/" + GRAND, headers={"Accept-Language": "en"})
    check(st == 200 and "1" + NNBSP + "234 propositions" in fr and
          "22 avril 2027" in fr,
          "French election page: 1\u202f234 propositions (narrow no-break "
          "space), 22 avril 2027", re.findall(r"\d\S*\d propositions", fr))
    check(st2 == 200 and "1,234 proposals" in en and "22 April 2027" in en,
          "English election page: 1,234 proposals, 22 April 2027",
          re.findall(r"\d\S*\d proposals", en))
    q = "/search?q=" + urllib.parse.quote("chêne") + "&election=" + GRAND
    st, h, fr = c.text(q)
    st2, h2, en = c.text(q, headers={"Accept-Language": "en"})
    check(st == 200 and "1" + NNBSP + "234 résultats" in fr and
          "Léa Grand : 1" + NNBSP + "234<" in fr,
          "French search: 1\u202f234 résultats, per candidate too",
          re.findall(r"<h2 id=\"results\">[^<]*", fr))
    check(st2 == 200 and "1,234 results" in en and "Léa Grand: 1,234<" in en,
          "English search: 1,234 results, per candidate too",
          re.findall(r"<h2 id=\"results\">[^<]*", en))

    # Accept-Language, weighed (on a cached page: the cache is keyed by
    # language too)
    for header, want in (("en;q=0.5, fr;q=0.8", "fr"),
                         ("fr;q=0.2, en", "en"),
                         ("fr-CA, en;q=0.5", "fr"),
                         ("de, en-US;q=0.3", "en"),
                         ("EN-gb", "en"),
                         ("fr;q=0", "en"),
                         ("en;q=0", "fr"),
                         ("*;q=0.5, fr;q=0.1", "en"),
                         ("de-DE, *;q=0.1, en;q=0.05", "fr"),
                         ("fr;q=1.5, en;q=0.5", "en"),
                         ("en ; q=0.9 , fr ; q=0.95", "fr"),
                         ("da, de;q=0.9", "fr")):
        st, h, body = c.text("/e/" + ELECTION,
                             headers={"Accept-Language": header})
        check(st == 200 and page_lang(body) == want,
              "Accept-Language %r gives %s" % (header, want),
              page_lang(body))
    ok = True
    for i in range(8):  # both workers, both languages, the same URL
        want = ("fr", "en")[i % 2]
        st, h, body = c.text("/e/" + GRAND,
                             headers={"Accept-Language": want})
        ok = ok and st == 200 and page_lang(body) == want and \
            (("1,234 proposals" in body) == (want == "en"))
    check(ok, "the page cache keeps each language apart")

    # both workers render both languages at once: nothing leaks from one
    # request's language into another's (each URL is new: no cache)
    def one(i):
        want = ("fr", "en")[i % 2]
        st, h, body = c.text("/e/%s?n=%d" % (GRAND, i),
                             headers={"Accept-Language": want})
        words = ("1" + NNBSP + "234 propositions", "22 avril 2027") \
            if want == "fr" else ("1,234 proposals", "22 April 2027")
        return st == 200 and page_lang(body) == want and \
            all(w in body for w in words)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        res = list(pool.map(one, range(64)))
    check(all(res), "64 concurrent requests in both languages: each page "
          "entirely in its own", res.count(False))

    # the switch keeps the page's path and query
    st, h, j = c.json("/api/v1/elections/%s/candidates" % ELECTION)
    order = [x["slug"] for x in j["candidates"]] if st == 200 else ["x"]
    path = "/e/%s/compare?theme=housing&c=%s&c=%s" % (ELECTION, order[0],
                                                     order[-1])
    st, h, fr = c.text(path)
    link, lang = switch_link(fr)
    check(st == 200 and lang == "en" and link and
          html.unescape(link) == path + "&lang=en",
          "French compare page: the switch keeps theme and candidates",
          link)
    st, h, en = c.text(html.unescape(link or "/"))
    link2, lang2 = switch_link(en)
    check(st == 200 and page_lang(en) == "en" and "lang=en" in
          h.get("set-cookie", "") and fr.count("<blockquote") ==
          en.count("<blockquote") and lang2 == "fr" and
          html.unescape(link2 or "") == path + "&lang=fr",
          "following it: the same comparison in English, whose switch "
          "drops lang=en for lang=fr", link2)
    hostile = "/search?lang=en&q=%22%3E%3Cb%3Eq%27&election=" + ELECTION
    st, h, body = c.text(hostile)
    link, lang = switch_link(body)
    check(st == 200 and lang == "fr" and link ==
          "/search?q=%22%3E%3Cb%3Eq%27&amp;election=" + ELECTION +
          "&amp;lang=fr", "the switch re-encodes the query: no quote or "
          "tag from the address reaches the page", link)
    st, h, body = c.text("/nope?lang=en")
    link, lang = switch_link(body)
    check(st == 404 and page_lang(body) == "en" and
          "there is no page here" in body and link == "/nope?lang=fr",
          "an English 404 page, with its switch", link)


def start_server(env, threads=2):
    port = free_port()
    proc = subprocess.Popen(
        [AGORA, "serve", "--listen", "127.0.0.1:%d" % port,
         "--threads", str(threads)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    c = Client(port)
    for _ in range(100):
        try:
            if c.get("/healthz")[0] == 200:
                return proc, c
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit("the server exited: " + proc.stderr.read())
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    sys.exit("the server did not answer /healthz")


def stop_server(proc):
    """SIGTERM; the exit status (None if it hangs), stdout and stderr"""
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None, "", ""
    out, err = proc.communicate(timeout=5)
    return rc, out, err


def one_thread_tests(env):
    """One worker (--threads 1, or a one-core machine): pages served, and
    nothing on stderr but agora's own lines (libmicrohttpd warned when
    given a pool of one)"""
    proc, c = start_server(env, threads=1)
    try:
        st, h, body = c.text("/e/" + ELECTION)
    finally:
        rc, out, err = stop_server(proc)
    ours = re.compile(r"agora|\d{4}-\d\d-\d\dT[\d:]+Z (error|warn|info|debug) ")
    strays = [l for l in err.splitlines() if not ours.match(l)]
    check(st == 200 and rc == 0 and not strays,
          "one worker thread: serves, and its log is agora's alone",
          (st, rc, strays))


def degraded_tests(env, tmp):
    """Servers on a machine without the locales, or without the catalogs:
    still up, in French, saying why in the log."""
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty, exist_ok=True)
    # LOCPATH: glibc looks for locales there only, so none is found.
    # glibc 2.36's newlocale() leaks its copy of LOCPATH when it fails
    # (locale/newlocale.c returns without freeing locale_path): that leak,
    # and only that one, is not ours to report
    supp = os.path.join(tmp, "lsan.supp")
    with open(supp, "w") as f:
        f.write("leak:__argz_add_sep\n")
    lsan = (os.environ.get("LSAN_OPTIONS", "") + ":suppressions=" +
            supp).lstrip(":")
    proc, c = start_server(dict(env, LOCPATH=empty, LSAN_OPTIONS=lsan))
    try:
        st, h, body = c.text("/", headers={"Accept-Language": "en"})
        check(st == 200 and page_lang(body) == "fr" and
              "Rechercher" in body and
              '<time datetime="2026-03-15">2026-03-15</time>' in body and
              switch_link(body) == (None, None),
              "no locale installed: French pages, ISO dates, no switch",
              body[:1500])
        st, h, body = c.text("/e/%s?lang=en" % GRAND)
        check(st == 200 and page_lang(body) == "fr" and
              "1234 propositions" in body,
              "no locale installed: ?lang=en still French, numbers "
              "ungrouped", re.findall(r"\d\S*\d propositions", body))
        st, h, body = c.text("/e/%s/compare?theme=trade" % ELECTION)
        check(st == 200 and EMPTY_FR in body,
              "no locale installed: compare says '%s'" % EMPTY_FR)
    finally:
        rc, out, err = stop_server(proc)
    check(rc == 0 and "locale en_GB.UTF-8 is not installed" in err and
          "locale fr_FR.UTF-8 is not installed" in err,
          "no locale installed: the log says which are missing", (rc, err))

    proc, c = start_server(dict(env, AGORA_LOCALEDIR=empty))
    try:
        st, h, body = c.text("/e/" + GRAND,
                             headers={"Accept-Language": "en"})
        check(st == 200 and page_lang(body) == "fr" and
              "1" + NNBSP + "234 propositions" in body and
              "22 avril 2027" in body and switch_link(body) == (None, None),
              "no English catalog: French pages with French dates and "
              "numbers, no switch", body[:1500])
    finally:
        rc, out, err = stop_server(proc)
    check(rc == 0 and "no catalog " + empty in err,
          "no English catalog: the log says where it looked", err)


def metric(c, name):
    st, _, body = c.text("/metrics")
    m = re.search(r"^%s (\d+)$" % name, body, re.M)
    return int(m.group(1)) if st == 200 and m else -1


def page_cache_tests(c):
    """A full programme makes a big page: the workers keep it like any
    other (it used to be rendered again on every request past 256 KiB),
    and their caches keep to their budget, 16 MiB each."""
    st, h, j = c.json("/api/v1/elections/%s/candidates" % GRAND)
    slug = j["candidates"][0]["slug"] if st == 200 else "x"
    page = "/e/%s/c/%s" % (GRAND, slug)
    st, _, first = c.text(page)
    size = len(first.encode())
    check(st == 200 and size > 256 << 10,
          "a programme of 1,234 proposals makes a page over 256 KiB", size)
    hits = metric(c, "agora_page_cache_hits_total")
    same = True
    for _ in range(4):  # the other worker renders it once at most
        st, _, body = c.text(page)
        same = same and st == 200 and body == first
    check(same and metric(c, "agora_page_cache_hits_total") - hits >= 3,
          "the big page is served from the workers' caches, unchanged",
          metric(c, "agora_page_cache_hits_total") - hits)
    budget = 2 * (16 << 20)  # two workers
    # enough that, with the slots' collisions, a cache without a budget
    # would keep twice as much (the pages' query strings make each new)
    n = 3 * budget // size
    ok, sent, pages = True, 0, {}
    for i in range(n):  # more distinct big pages than both caches hold
        st, _, body = c.text("%s?n=%d" % (page, i))
        ok = ok and st == 200 and len(body.encode()) > size - 100
        sent += len(body.encode())
        if i < 2:
            pages[i] = body
    kept = metric(c, "agora_page_cache_bytes")
    check(ok and size <= kept <= budget < sent,
          "%d big pages (%d MB): the caches keep %d MB, within their "
          "budget" % (n, sent // 10**6, kept // 10**6), kept)
    same = True
    for i, want in pages.items():  # dropped by now, rendered again
        st, _, body = c.text("%s?n=%d" % (page, i))
        same = same and st == 200 and body == want
    check(same, "dropped pages come back whole")


def live_update_tests(c, env, tmp):
    """Pages are cached per worker: what is written while the server runs
    must show at once (the cache follows the database's generation)."""
    for _ in range(3):  # fill the cache of both workers
        c.text("/")
        c.text("/e/" + HOSTILE)
    r = run("election", "add", "later-2028", "--title", "Élection tardive",
            env=env)
    check(r.returncode == 0, "an election added while serving", r.stderr)
    st, _, body = c.text("/")
    check(st == 200 and "Élection tardive" in body,
          "the home page shows it at once")
    path = os.path.join(tmp, "late.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Programme\n\n- Planter mille arbres le long de la "
                "rivière avant 2028.\n- Ouvrir trois crèches municipales "
                "dans les quartiers nord.\n")
    r = run("--quiet", "ingest", "--election", HOSTILE, "--candidate",
            "Zoé Tardive", "--family-name", "Tardive", path, env=env)
    check(r.returncode == 0, "a candidate ingested while serving", r.stderr)
    for _ in range(3):
        st, _, body = c.text("/e/" + HOSTILE)
        check(st == 200 and "Tardive" in body,
              "the election page shows the new candidate")
    for page, etag in PAGE_ETAG.items():
        st, h, body = c.text(page, headers={"If-None-Match": etag})
        check(st == 200 and h.get("etag") not in ("", None, etag),
              "after a change, the old ETag gets the page again", st)


def main():
    tmp = tempfile.mkdtemp(prefix="agora-http-")
    proc = None
    try:
        env, rows = setup(tmp)
        # glibc's gettext prefers $LANGUAGE to the thread's locale: the
        # server must not let it choose the pages' language
        proc, c = start_server(dict(env, LANGUAGE="fr"))
        check(True, "server up on port %d" % c.port)
        tests(c, rows)
        language_tests(c)
        hostile_tests(c, env)
        themes_tests(c)
        order_tests(c, env)
        page_cache_tests(c)
        live_update_tests(c, env, tmp)
        rc, out, err = stop_server(proc)
        proc = None
        check(rc == 0, "SIGTERM stops the server with exit 0", err)
        check("serving http://127.0.0.1:%d/" % c.port in out,
              "serve printed its URL", out)
        one_thread_tests(env)
        degraded_tests(env, tmp)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
