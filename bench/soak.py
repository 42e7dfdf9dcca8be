#!/usr/bin/env python3
"""soak.py - the mixed load of `bench/run soak` and `bench/run tsan`.

  soak.py --url URL --db DB --pid PID --seconds S --ballots FILE
          --slug SLUG --election E --editor EMAIL --password PW
          [--candidate EMAIL --candidacy E/CANDIDATE]
          [--page-threads N] [--sample SECS] [--wrk THREADS,CONNS]

Runs, against a running `agora serve` on loopback, for S seconds:
- N visitors (threads, keep-alive) going round the pages and the API:
  home, election, compare (every theme, and two themes), candidates,
  proposals, search (French queries, accents, prefixes), the JSON API,
  /healthz and /metrics;
- one voter's device POSTing the pre-signed ballots of FILE (from
  `primary_bench ballots`) to /api/v1/primaries/SLUG/ballots, each once,
  and reading its receipt and the primary's live summary;
- with --wrk, wrk beside them (bench/web_mix.lua) replaying the same
  paths as fast as it can, for the same time;
- one signed-in editor of election E taking theme decisions (confirm,
  then reject, then confirm again... the same suggestions) and writing
  context notes through the web forms, with their CSRF tokens;
- with --candidate and --candidacy, the candidate signed in twice (two
  sessions, two threads), each submitting a new version of a
  60-proposal Markdown programme every --submit-pause seconds (the
  whole ingest runs in the server, 303 expected).
Every few seconds it samples the server's resident memory (VmRSS) and
open file descriptors (/proc/PID). At the end it prints the counts by
kind and status, every unexpected status (anything but 2xx/3xx; for
a ballot anything but 201, for a form anything but its 303), and
compares the first and the last minute of the
samples. It also samples the size of the database's -wal file. Exits 1
on any error, on memory or descriptors that grew (the last minute's
lowest RSS over the first's by more than 10% + 4 MiB, or more than 4
descriptors), or on a WAL that reached 64 MiB or whose smallest size in
the last minute is 16 MiB over the first minute's (a checkpoint that
cannot finish).
"""
import argparse
import http.client
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

# the HTTP tests' helpers: the same multipart/form-data builder
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "http"))
import harness  # noqa: E402

args = None
lock = threading.Lock()
counts = {}      # (kind, status) -> n
errors = []      # (kind, path, status, detail)
stop = threading.Event()


def note(kind, path, status, detail="", ok=None):
    if ok is None:
        ok = 200 <= status < 400
    with lock:
        counts[(kind, status)] = counts.get((kind, status), 0) + 1
        if not ok and len(errors) < 200:
            errors.append((kind, path, status, str(detail)[:300]))
        elif not ok:
            errors.append(None)  # counted, not kept


class Client:
    """One keep-alive connection, reopened when the server closes it"""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.c = None
        self.jar = {}

    def req(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        for attempt in range(2):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port,
                                                    timeout=60)
            try:
                self.c.request(method, path, body=body, headers=h)
                r = self.c.getresponse()
                data = r.read()
                for k, v in r.getheaders():
                    if k.lower() == "set-cookie":
                        name, _, rest = v.partition("=")
                        if "Max-Age=0" in v:
                            self.jar.pop(name, None)
                        else:
                            self.jar[name] = rest.split(";")[0]
                if r.getheader("connection", "").lower() == "close":
                    self.close()
                return r.status, r.getheaders(), data
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError) as e:
                # a kept-alive connection closed by the server while idle
                # (its timeout): once again on a new one
                self.close()
                if attempt:
                    return 0, [], str(e).encode()
            except OSError as e:
                self.close()
                return 0, [], str(e).encode()
        return 0, [], b""

    def close(self):
        if self.c is not None:
            self.c.close()
        self.c = None


def page_paths(db, election):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        themes = [r[0] for r in con.execute("SELECT slug FROM theme")]
        cands = [r[0] for r in con.execute(
            "SELECT c.slug FROM candidate c JOIN election e"
            " ON e.id = c.election_id WHERE e.slug = ?", (election,))]
        props = [r[0] for r in con.execute(
            "SELECT id FROM proposal ORDER BY id")]
    finally:
        con.close()
    e = "/e/" + election
    paths = ["/", e, e + "/compare", "/healthz", "/metrics",
             "/api/v1/elections", "/api/v1/elections/" + election,
             "/api/v1/elections/%s/candidates" % election,
             "/api/v1/elections/%s/themes" % election,
             "/api/v1/openapi.json", "/static/agora.css"]
    for t in themes:
        paths.append("%s/compare?theme=%s" % (e, t))
        paths.append("/api/v1/elections/%s/compare?theme=%s" % (election, t))
    for a, b in zip(themes, themes[1:]):
        paths.append("%s/compare?theme=%s&theme=%s" % (e, a, b))
    for c in cands:
        paths.append("%s/c/%s" % (e, c))
    for p in props[::max(1, len(props) // 60)]:
        paths.append("/p/%d" % p)
        paths.append("/api/v1/proposals/%d" % p)
    for q in ("logement", "école", "ecole", "tramway", "vélo", "santé",
              "transport*", "service public", "la Lèze", "forges",
              "sécurité", "hydrolienne", "\"piste cyclable\""):
        qq = urllib.parse.quote(q)
        paths.append("/search?q=" + qq)
        paths.append("/api/v1/search?q=" + qq)
        paths.append("/search?q=%s&election=%s" % (qq, election))
    return paths


def visitor(i, paths, host, port):
    c = Client(host, port)
    rnd = random.Random(i)
    k = rnd.randrange(len(paths))
    while not stop.is_set():
        k = (k + 1 + rnd.randrange(3)) % len(paths)
        st, _, body = c.req("GET", paths[k])
        note("page", paths[k], st, body[:200])
    c.close()


def voter(host, port):
    c = Client(host, port)
    path = "/api/v1/primaries/%s/ballots" % args.slug
    with open(args.ballots) as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    n = 0
    for line in lines:
        if stop.is_set():
            break
        st, _, body = c.req("POST", path, body=line.encode(), headers={
            "Content-Type": "application/json"})
        note("ballot", path, st, body[:200], ok=st == 201)
        n += 1
        if st == 201 and n % 10 == 0:
            try:
                rid = json.loads(body).get("receipt")
            except ValueError:
                rid = None
            if rid:
                p = "/api/v1/primaries/%s/receipts/%s" % (args.slug, rid)
                st2, _, b2 = c.req("GET", p)
                note("receipt", p, st2, b2[:200])
            # the live summary (the results are published at the close)
            p = "/api/v1/primaries/%s" % args.slug
            st2, _, b2 = c.req("GET", p)
            note("primary", p, st2, b2[:200])
        time.sleep(args.ballot_pause)
    if not stop.is_set():
        print("soak: all %d ballots cast before the end" % n, flush=True)
    c.close()


def signer(host, port):
    """Signs in, reads the account page, signs out, every 2.5 s (the
    sign-in limit per address is one every 2 s past 30): each sign-in
    is a password hash, suspended off the request threads"""
    c = Client(host, port)
    while not stop.is_set():
        signin(c, args.editor)
        st, _, body = c.req("GET", "/account")
        note("account", "/account", st, body[:200], ok=st == 200)
        form = urllib.parse.urlencode({"csrf": csrf_of(body) or ""})
        st, _, body = c.req("POST", "/signout", body=form.encode(),
                            headers={"Content-Type":
                                     "application/x-www-form-urlencoded"})
        note("signout", "/signout", st, body[:200], ok=st == 303)
        stop.wait(2.5)
    c.close()


def csrf_of(body):
    m = re.search(rb'name="csrf" value="([^"]+)"', body)
    return m.group(1).decode() if m else None


def signin(c, email):
    """The sign-in form on c, as a browser sends it (303 expected)"""
    st, _, body = c.req("GET", "/signin")
    note("signin", "/signin", st, body[:200])
    form = urllib.parse.urlencode({"email": email, "password": args.password,
                                   "csrf": csrf_of(body) or ""})
    st, _, body = c.req("POST", "/signin", body=form.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    note("signin", "/signin", st, body[:200], ok=st == 303)


def editor(host, port):
    c = Client(host, port)
    signin(c, args.editor)
    con = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    pairs = con.execute(
        "SELECT pt.proposal_id, t.slug FROM proposal_theme pt"
        " JOIN theme t ON t.id = pt.theme_id JOIN proposal p"
        " ON p.id = pt.proposal_id JOIN document d ON d.id = p.document_id"
        " JOIN candidate ca ON ca.id = d.candidate_id JOIN election e"
        " ON e.id = ca.election_id WHERE e.slug = ? ORDER BY 1, 2 LIMIT 40",
        (args.election,)).fetchall()
    con.close()
    review = "/e/%s/review" % args.election
    k = 0
    while not stop.is_set() and pairs:
        pid, theme = pairs[k % len(pairs)]
        verb = ("confirm", "reject")[(k // len(pairs)) % 2]
        st, _, body = c.req("GET", review)
        note("editor", review, st, body[:200])
        tok = csrf_of(body)
        form = urllib.parse.urlencode({"one": "%s:%d:%s" % (verb, pid, theme),
                                       "csrf": tok or ""})
        st, _, body = c.req("POST", review, body=form.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        note("decision", review, st, body[:300], ok=st == 303)
        if k % 3 == 0:
            url = "%s/%d" % (review, pid)
            st, _, body = c.req("GET", url)
            tok = csrf_of(body)
            form = urllib.parse.urlencode({
                "body": "Note de contexte %d : chiffres vérifiés auprès de "
                        "la source citée." % k,
                "sources": "https://example.org/source/%d" % k,
                "csrf": tok or ""})
            st, _, body = c.req("POST", url, body=form.encode(), headers={
                "Content-Type": "application/x-www-form-urlencoded"})
            note("note", url, st, body[:300], ok=st == 303)
        k += 1
        time.sleep(args.editor_pause)
    c.close()


def candidate(i, host, port):
    """A candidate submitting a new programme version every few seconds:
    the whole ingest (extraction, themes, the index) in the server; two
    of them, on sessions of their own, so that two workers ingest at
    once (they share the theme rules)"""
    c = Client(host, port)
    signin(c, args.candidate)
    k = 0
    while not stop.is_set():
        st, _, body = c.req("GET", "/submit")
        note("candidate", "/submit", st, body[:200])
        text = "# Programme %d, version %d\n\n" % (i, k) + "".join(
            "## Thème %d\n\n- Mesure %d.%d : construire %d logements "
            "sociaux, ouvrir %d places en crèche et planter %d arbres "
            "dans le quartier %d.\n\n" % (j, k, j, 10 + j, 5 + k % 7, j * k,
                                        j) for j in range(60))
        ctype, data = harness.multipart(
            {"candidacy": args.candidacy, "title": "Programme soak",
             "source_url": "https://example.org/soak",
             "csrf": csrf_of(body) or ""},
            ("programme-%d-%d.md" % (i, k), "text/markdown", text.encode()))
        st, _, body = c.req("POST", "/submit", body=data,
                            headers={"Content-Type": ctype})
        note("submit", "/submit", st, body[:300], ok=st == 303)
        k += 1
        stop.wait(args.submit_pause)
    c.close()


def wrk_errors(out):
    """wrk's own count of requests and of errors (it ran beside)"""
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    print("wrk beside: %s" % (m.group(0) if m else "no summary"))
    if not m:
        note("wrk", "-", 0, out[-300:])
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    for _ in range(int(m.group(1)) if m else 0):
        note("wrk", "-", 0, "a non-2xx/3xx response")
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    if m and sum(int(x) for x in m.groups()):
        note("wrk", "-", 0, m.group(0))


def sample(pid):
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    try:
        wal = os.path.getsize(args.db + "-wal")
    except OSError:
        wal = 0
    return rss, len(os.listdir("/proc/%d/fd" % pid)), wal


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--db", required=True)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--ballots")
    ap.add_argument("--slug")
    ap.add_argument("--election", required=True)
    ap.add_argument("--editor")
    ap.add_argument("--candidate", help="a candidate account's e-mail "
                    "(same password as the editor's); it submits "
                    "programmes for --candidacy")
    ap.add_argument("--candidacy", help="ELECTION/CANDIDATE")
    ap.add_argument("--submit-pause", type=float, default=2)
    ap.add_argument("--password")
    ap.add_argument("--wrk", help="THREADS,CONNS of wrk run beside; its "
                    "non-2xx/3xx responses and socket errors count")
    ap.add_argument("--page-threads", type=int, default=3)
    ap.add_argument("--ballot-pause", type=float, default=0.02)
    ap.add_argument("--editor-pause", type=float, default=0.5)
    ap.add_argument("--sample", type=float, default=5)
    ap.add_argument("--window", type=float, default=60,
                    help="seconds of the first and last windows compared")
    ap.add_argument("--warmup", type=float, default=60,
                    help="seconds of load before the memory baseline: "
                    "SQLite's page caches and the allocator's arenas fill "
                    "during the first minute, which is not a leak")
    ap.add_argument("--no-flat", action="store_true",
                    help="do not judge memory (under a sanitizer)")
    args = ap.parse_args()
    paths = page_paths(args.db, args.election)
    for a in ("url", "pid", "ballots", "slug", "editor", "password"):
        if getattr(args, a) is None:
            ap.error("--%s is needed" % a)
    wrk = None
    if args.wrk:
        t, c = args.wrk.split(",")
        pf = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        pf.write("\n".join(paths) + "\n")
        pf.close()
        wrk_out = tempfile.TemporaryFile("w+")
        wrk = subprocess.Popen(
            ["wrk", "-t" + t, "-c" + c, "-d%ds" % args.seconds,
             "--timeout", "30s", "-s",
             os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "web_mix.lua"), args.url, "--", pf.name],
            stdout=wrk_out, stderr=subprocess.STDOUT)
    u = urllib.parse.urlparse(args.url)
    host, port = u.hostname, u.port

    ts = [threading.Thread(target=visitor, args=(i, paths, host, port))
          for i in range(args.page_threads)]
    ts.append(threading.Thread(target=voter, args=(host, port)))
    ts.append(threading.Thread(target=editor, args=(host, port)))
    if args.candidate and args.candidacy:
        ts += [threading.Thread(target=candidate, args=(i, host, port))
               for i in range(2)]
    ts.append(threading.Thread(target=signer, args=(host, port)))
    t0 = time.monotonic()
    samples = [(0.0,) + sample(args.pid)]
    for t in ts:
        t.start()
    while time.monotonic() - t0 < args.seconds:
        time.sleep(min(args.sample, args.seconds -
                       (time.monotonic() - t0)))
        try:
            samples.append((time.monotonic() - t0,) + sample(args.pid))
        except OSError:
            note("server", "-", 0, "the server is gone")
            break
        s = samples[-1]
        with lock:
            n = sum(counts.values())
        print("soak: %4.0f s  %7d requests  RSS %6.1f MiB  fds %3d  "
              "WAL %5.1f MiB  errors %d" % (s[0], n, s[1] / 1024, s[2],
                                            s[3] / 2**20, len(errors)),
              flush=True)
    stop.set()
    for t in ts:
        t.join()
    dur = time.monotonic() - t0

    print("\nsoak: %.0f s of mixed load, %d requests (%.0f/s)" % (
        dur, sum(counts.values()), sum(counts.values()) / dur))
    for (kind, st), n in sorted(counts.items()):
        print("  %-9s %3d  %d" % (kind, st, n))
    if wrk:
        wrk.wait()
        wrk_out.seek(0)
        wrk_errors(wrk_out.read())
        os.unlink(pf.name)
    kept = [e for e in errors if e]
    print("errors (unexpected statuses): %d" % len(errors))
    for e in kept[:20]:
        print("  %s %s -> %s %s" % e)
    w = min(args.window, dur / 3)
    # the baseline is taken after the warm-up: a cold server's first
    # samples precede its caches and would call warm-up a leak
    warm = min(args.warmup, max(0.0, dur - 2 * w))
    first = [s for s in samples if warm <= s[0] <= warm + w]
    last = [s for s in samples if s[0] >= samples[-1][0] - w]
    # the floor (lowest sample) is the memory held between sign-ins:
    # each Argon2id hash takes 64 MiB for a moment, and a sample that
    # falls in one says nothing of a leak
    r1 = min(s[1] for s in first) / 1024
    r2 = min(s[1] for s in last) / 1024
    floors = []
    t = 0.0
    while t < dur:
        win = [s[1] for s in samples if t <= s[0] < t + w]
        if win:
            floors.append("%.1f" % (min(win) / 1024))
        t += w
    print("RSS floor per %.0f s window: %s MiB" % (w, ", ".join(floors)))
    m1 = statistics.median(s[1] for s in first) / 1024
    m2 = statistics.median(s[1] for s in last) / 1024
    f1 = max(s[2] for s in first)
    f2 = max(s[2] for s in last)
    print("RSS floor after %.0f s of warm-up (%.0f s window): %.1f MiB, "
          "last %.0f s: %.1f MiB (%+.1f MiB); medians %.1f and %.1f MiB; "
          "peak %.1f MiB" % (
              warm, w, r1, w, r2, r2 - r1, m1, m2,
              max(s[1] for s in samples) / 1024))
    print("open fds (max) first %.0f s: %d, last %.0f s: %d" % (w, f1, w,
                                                                f2))
    # SQLite checkpoints the WAL into the database after every commit
    # that leaves it over 1,000 pages (4 MiB) and then writes it again
    # from its start: its file stays near that size. One that keeps
    # growing is a checkpoint that cannot finish (a statement or a
    # transaction left open), and every read gets slower with it.
    # journal_size_limit cuts a WAL back to 64 MiB after a checkpoint:
    # reaching it is failing; and a WAL whose smallest size in the last
    # window is 16 MiB over the first window's grew
    wal_max = max(s[3] for s in samples) / 2**20
    w1 = min(s[3] for s in first) / 2**20
    w2 = min(s[3] for s in last) / 2**20
    print("WAL (the -wal file) at most %.1f MiB; smallest %.1f MiB in the "
          "first window, %.1f in the last" % (wal_max, w1, w2))
    grew_wal = wal_max >= 64 or w2 > w1 + 16
    grew_mem = r2 > r1 * 1.10 + 4
    grew_fds = f2 > f1 + 4
    ok = not errors and not grew_fds and not grew_wal and (
        args.no_flat or not grew_mem)
    print("RESULT soak seconds=%.0f requests=%d errors=%d rss_first_mib=%.1f"
          " rss_last_mib=%.1f fds_first=%d fds_last=%d wal_max_mib=%.1f"
          " verdict=%s" % (
              dur, sum(counts.values()), len(errors), r1, r2, f1, f2,
              wal_max, "pass" if ok else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
