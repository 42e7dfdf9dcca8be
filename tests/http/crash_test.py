#!/usr/bin/env python3
"""crash_test.py AGORA SRCDIR [--kills N] [--threads T] [--voters V]
                 [--min-up S] [--max-up S] [--out FILE]

"Nothing acknowledged is lost" (DESIGN.md), tried hard: voters cast
ballots at full speed through POST /api/v1/primaries/{slug}/ballots while
`agora serve` is killed with SIGKILL at random moments and started again,
N times (a few of the kills land while the server is still starting,
recovering its write-ahead log). Then, with the server up once more:

  - every ballot whose receipt (201) came back is stored exactly once,
    on the board, and found by the receipts API;
  - for every credential the counted ballot is the last receipted one
    (ballots signed on the "device" are retried, the same bytes, until
    they get an answer, so nothing else may be stored), or, for ballots
    sent with their code (numbered by the server), a later one that was
    sent and never answered;
  - nothing was stored that nobody sent;
  - the live counters equal a recount (`agora primary recount`), `agora
    verify` passes, the exported board verifies (`agora verify-board`).

Half the credentials vote with ballots signed here (BLAKE2b seed,
Ed25519 via `cryptography`, the canonical JSON: what a voter's device
does), half with their code (the server signs). Every credential votes
again and again: the last ballot counts.

./check runs a short version (20 kills); `bench/run crash` a long one
(500 kills) with its figures in bench/README.md. Prints one "ok - ..."
line per check, the figures, then "N passed, M failed".
"""
import argparse
import csv
import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

ap = argparse.ArgumentParser()
ap.add_argument("agora")
ap.add_argument("src")
ap.add_argument("--kills", type=int, default=20)
ap.add_argument("--threads", type=int, default=8)
ap.add_argument("--voters", type=int, default=100)
ap.add_argument("--server-threads", type=int, default=2)
ap.add_argument("--min-up", type=float, default=0.05,
                help="shortest time the server answers before a kill")
ap.add_argument("--max-up", type=float, default=0.6,
                help="longest time the server answers before a kill")
ap.add_argument("--out", help="append the figures to this file")
ap.add_argument("--real-start", action="store_true",
                help="keep the password hashing cost (a real start-up)")
opt = ap.parse_args()

AGORA = os.path.abspath(opt.agora)
P = "crash-2027"
CANDS = ["ana-lopez", "ben-okafor", "chen-wei", "dana-roy"]
NGRADES = 6

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what, flush=True)
    else:
        failed += 1
        print("FAIL - " + what, flush=True)
        if detail:
            for line in str(detail)[:1500].splitlines():
                print("  | " + line)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def agora(env, *args, ok=True):
    r = subprocess.run([AGORA] + list(args), env=env, capture_output=True,
                       text=True)
    if ok and r.returncode:
        sys.exit("agora %s: %s" % (" ".join(args), r.stderr))
    return r


# ------------------------------------------------ the voter's device

def norm(code):
    s = code.upper().replace("-", "").replace(" ", "")
    return s.replace("O", "0").replace("I", "1").replace("L", "1")


def keys(slug, code):
    """primary_code_keys: seed = BLAKE2b-256 keyed "agora credential v1"
    of slug NUL code; Ed25519 from the seed"""
    seed = hashlib.blake2b(slug.encode() + b"\0" + norm(code).encode(),
                           key=b"agora credential v1",
                           digest_size=32).digest()
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return sk, pk.hex()


def canonical(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


class Voter:
    """One credential and what its voter saw: the receipts returned (in
    order), and what was sent without an answer"""

    def __init__(self, code, signs):
        self.code = code
        self.signs = signs  # signs here, or sends the code
        self.sk, self.pk = keys(P, code)
        self.receipts = []  # (n, receipt) in the order they came back
        self.pending = None  # a signed ballot sent without an answer
        self.unanswered = 0  # code ballots sent since the last receipt
        self.sent = 0

    def next_body(self, rng):
        if self.pending:
            return self.pending
        grades = {c: rng.randrange(NGRADES) for c in CANDS}
        if not self.signs:
            return {"credential": self.code, "grades": grades}
        n = (self.receipts[-1][0] if self.receipts else 0) + 1
        ballot = {"credential": self.pk, "grades": grades, "n": n,
                  "primary": P, "version": 1}
        sig = self.sk.sign(canonical(ballot).encode()).hex()
        return {"ballot": ballot, "signature": sig}


def receipt_of(body):
    b = canonical(body["ballot"]).encode()
    return hashlib.sha256(b + bytes.fromhex(body["signature"])).hexdigest()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.receipted = 0
        self.dropped = 0  # no answer: connection refused, reset, closed
        self.unavailable = 0  # 503: not stored, send it again
        self.wrong = []  # answers that should never come


def worker(port, voters, stop, stats, seed):
    """Casts ballots as fast as the server takes them. A signed ballot
    without an answer is sent again, the same bytes, until it gets one
    (its retry returns the same receipt if it was stored)."""
    rng = random.Random(seed)
    conn = None
    while True:
        if stop.is_set():
            voters = [v for v in voters if v.pending]
            if not voters:
                break
        v = rng.choice(voters)
        body = v.next_body(rng)
        data = json.dumps(body)
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port,
                                                  timeout=30)
            v.sent += 1
            conn.request("POST", "/api/v1/primaries/%s/ballots" % P,
                         body=data,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            answer = r.read()
            status = r.status
        except (OSError, http.client.HTTPException):
            if conn:
                conn.close()
            conn = None
            with stats.lock:
                stats.dropped += 1
            if v.signs:
                v.pending = body
            else:
                v.unanswered += 1
            time.sleep(0.02)
            continue
        if status == 503:
            with stats.lock:
                stats.unavailable += 1
            if v.signs:
                v.pending = body
            else:
                v.unanswered += 1
            time.sleep(0.02)
            continue
        try:
            j = json.loads(answer)
        except ValueError:
            j = None
        if status != 201 or not j or "receipt" not in j:
            with stats.lock:
                stats.wrong.append((status, answer[:300]))
            v.pending = None
            continue
        if v.signs and (j["receipt"] != receipt_of(body) or
                        j["n"] != body["ballot"]["n"]):
            with stats.lock:
                stats.wrong.append(("receipt", j, body["ballot"]["n"]))
        v.receipts.append((j["n"], j["receipt"]))
        v.pending = None
        if not v.signs:
            v.unanswered = 0
        with stats.lock:
            stats.receipted += 1
    if conn:
        conn.close()


# ------------------------------------------------------------ the server

class Server:
    def __init__(self, env, port, tmp):
        self.env, self.port, self.tmp = env, port, tmp
        self.proc = None
        self.log = open(os.path.join(tmp, "serve.log"), "ab")
        self.starts = []  # seconds from exec to the first /healthz 200

    def start(self, wait=True):
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [AGORA, "serve", "--listen", "127.0.0.1:%d" % self.port,
             "--threads", str(opt.server_threads)],
            env=self.env, cwd=self.tmp, stdout=subprocess.DEVNULL,
            stderr=self.log)
        if not wait:
            return True
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port,
                                               timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    self.starts.append(time.monotonic() - t0)
                    return True
            except OSError:
                pass
            finally:
                c.close()
            if self.proc.poll() is not None:
                return False
            time.sleep(0.01)
        return False

    def kill(self):
        """SIGKILL: no handler runs, nothing is flushed"""
        self.proc.kill()
        return self.proc.wait()

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


# -------------------------------------------------------------- the test

def setup(tmp, env, nvoters):
    agora(env, "primary", "create", P, "--title", "Primaire sous les coups")
    for c in CANDS:
        name = " ".join(w.capitalize() for w in c.split("-"))
        agora(env, "primary", "candidate", "add", P, "--name", name)
    roll = os.path.join(tmp, "roll.csv")
    with open(roll, "w") as f:
        f.write("nom\n")
        for i in range(nvoters):
            f.write("voter %d\n" % i)
    agora(env, "primary", "credentials", P, "--roll", roll, "--out",
          os.path.join(tmp, "codes.csv"))
    agora(env, "primary", "phase", P, "vote")
    with open(os.path.join(tmp, "codes.csv")) as f:
        return [row["credential"] for row in csv.DictReader(f)]


def stored(dbpath):
    """credential public key -> [(n, receipt, counted)] from the database"""
    con = sqlite3.connect(dbpath)
    try:
        rows = con.execute("SELECT body, receipt, counted FROM ballot"
                           " ORDER BY id").fetchall()
    finally:
        con.close()
    out = {}
    for body, receipt, counted in rows:
        b = json.loads(body)
        out.setdefault(b["credential"], []).append(
            (b["n"], receipt, counted))
    return out, len(rows)


def verify(tmp, env, dbpath, voters, port):
    db, nrows = stored(dbpath)
    receipts = {}
    for pk, rows in db.items():
        for n, rec, counted in rows:
            receipts[rec] = receipts.get(rec, 0) + 1
    given = [r for v in voters for _, r in v.receipts]
    missing = [r for r in given if receipts.get(r, 0) != 1]
    check(not missing and given,
          "every receipted ballot (%d) is stored exactly once" % len(given),
          missing[:5])
    check(len(set(given)) == len(given),
          "no receipt was given twice for two ballots")

    bad_counted, extra = [], []
    for v in voters:
        rows = db.get(v.pk, [])
        counted = [r for r in rows if r[2] == 1]
        last = v.receipts[-1] if v.receipts else None
        if len(counted) > 1:
            bad_counted.append((v.pk, "two counted", counted))
            continue
        mine = {r for _, r in v.receipts}
        if v.signs:
            # every attempt was retried to an answer: nothing else
            if {r[1] for r in rows} != mine:
                extra.append((v.pk, sorted(rows), v.receipts))
            if last and (not counted or counted[0][1] != last[1]):
                bad_counted.append((v.pk, last, counted))
            continue
        # by code: a later ballot sent without an answer may count
        others = [r for r in rows if r[1] not in mine]
        if len(others) > v.sent - len(v.receipts):
            extra.append((v.pk, "more ballots than sent", rows))
        if not last:
            continue
        if not counted:
            bad_counted.append((v.pk, last, "none counted"))
        elif counted[0][1] != last[1] and not (
                v.unanswered and counted[0][0] > last[0] and
                counted[0][1] not in mine):
            bad_counted.append((v.pk, last, counted, v.unanswered))
    check(not bad_counted,
          "each credential's counted ballot is its last receipted one "
          "(or, by code, a later one sent without an answer)",
          bad_counted[:5])
    check(not extra, "nothing stored that nobody sent", extra[:5])
    revoted = sum(1 for v in voters if len(v.receipts) > 1)
    check(revoted >= min(20, len(voters) // 4),
          "voters voted again (%d of %d more than once)" %
          (revoted, len(voters)))

    # the receipts API: the last receipts (counted) and earlier ones
    sample = [(v.receipts[-1][1], True) for v in voters if v.receipts]
    sample += [(r, False) for v in voters for _, r in v.receipts[:-1]]
    random.Random(7).shuffle(sample)
    wrong = []
    for rec, counted in sample[:300]:
        st, body = get(port, "/api/v1/primaries/%s/receipts/%s" % (P, rec))
        j = json.loads(body) if st == 200 else None
        cur = [v for v in voters if v.receipts and v.receipts[-1][1] == rec]
        if st != 200 or not j["found"]:
            wrong.append((rec, st, body[:200]))
        elif counted and cur and cur[0].signs and not j["counted"]:
            wrong.append((rec, "not counted", j))
        elif not counted and j["counted"]:
            wrong.append((rec, "an older ballot counted", j))
    check(not wrong, "the receipts API finds them (%d asked), counted as "
          "it should" % min(300, len(sample)), wrong[:5])

    r = agora(env, "primary", "recount", P, ok=False)
    check(r.returncode == 0, "the counters equal a recount",
          r.stdout + r.stderr)
    r = agora(env, "primary", "recount", P, "--bodies", ok=False)
    check(r.returncode == 0,
          "a recount from the signed bodies agrees", r.stdout + r.stderr)
    r = agora(env, "verify", ok=False)
    check(r.returncode == 0, "agora verify passes", r.stdout + r.stderr)
    board = os.path.join(tmp, "board.jsonl")
    agora(env, "primary", "board", P, "--out", board)
    with open(board) as f:
        entries = [json.loads(line) for line in f]
    nballots = sum(1 for e in entries if e.get("type") == "ballot")
    check(nballots == nrows,
          "the board holds every stored ballot once (%d)" % nrows,
          (nballots, nrows))
    r = agora(env, "verify-board", board, ok=False)
    check(r.returncode == 0, "the board verifies (agora verify-board)",
          r.stdout + r.stderr)
    con = sqlite3.connect(dbpath)
    try:
        ic = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    check(ic == "ok", "PRAGMA integrity_check: ok", ic)
    return nrows


def run(tmp):
    dbpath = os.path.join(tmp, "agora.db")
    env = dict(os.environ, AGORA_DB=dbpath)
    if not opt.real_start:
        # the dummy password hash made at start-up is most of a start
        env["AGORA_PWHASH_LIMITS"] = "1,1"
    codes = setup(tmp, env, opt.voters)
    voters = [Voter(c, i % 2 == 0) for i, c in enumerate(codes)]
    port = free_port()
    srv = Server(env, port, tmp)
    stats = Stats()
    stop = threading.Event()
    rng = random.Random(os.environ.get("CRASH_SEED") or None)
    seed = rng.randrange(1 << 30)
    print("# seed %d (CRASH_SEED=%d repeats the driver's choices)" %
          (seed, seed))
    rng = random.Random(seed)
    if not srv.start():
        sys.exit("the server did not start: see %s/serve.log" % tmp)
    per = (len(voters) + opt.threads - 1) // opt.threads
    threads = [threading.Thread(
        target=worker,
        args=(port, voters[i * per:(i + 1) * per], stop, stats,
              seed + i + 1))
        for i in range(opt.threads)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    kills = early = 0
    failed_start = None
    for k in range(opt.kills):
        if k % 10 == 9:
            # in the middle of starting: the log is being recovered
            time.sleep(rng.uniform(0, 0.05))
            early += 1
        else:
            time.sleep(rng.uniform(opt.min_up, opt.max_up))
        srv.kill()
        kills += 1
        up = srv.start(wait=k % 10 != 8)
        if not up:
            failed_start = k
            break
    if failed_start is None and srv.proc.poll() is not None:
        # the last start was killed early by nobody: it must not die
        failed_start = kills
    # a last stretch with the server up, then everyone finishes
    time.sleep(0.3)
    for _ in range(600):
        try:
            if get(port, "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.monotonic() - t0
    check(failed_start is None,
          "the server started again after each of %d SIGKILLs" % kills,
          "start %s failed; log: %s" % (failed_start, tmp))
    check(not any(t.is_alive() for t in threads),
          "every voter got an answer in the end")
    check(not stats.wrong, "no unexpected answer", stats.wrong[:5])
    nrows = verify(tmp, env, dbpath, voters, port)
    rc = srv.stop()
    check(rc == 0, "the server stops cleanly at the end")
    st = sorted(srv.starts)
    fig = ("crash: %d SIGKILLs (%d while starting) in %.1f s, %d receipts"
           " (%.0f/s), %d ballots stored, %d requests without an answer,"
           " %d answered 503; start to first /healthz: median %.0f ms,"
           " max %.0f ms" %
           (kills, early, elapsed, stats.receipted,
            stats.receipted / elapsed, nrows, stats.dropped,
            stats.unavailable, statistics.median(st) * 1000 if st else 0,
            st[-1] * 1000 if st else 0))
    print("# " + fig)
    if opt.out:
        with open(opt.out, "a") as f:
            f.write(fig + "\n")


def main():
    tmp = tempfile.mkdtemp(prefix="agora-crash-")
    try:
        run(tmp)
    finally:
        if failed:
            print("# kept for inspection: " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


main()
