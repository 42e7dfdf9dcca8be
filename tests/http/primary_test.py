#!/usr/bin/env python3
"""primary_test.py AGORA SRCDIR - the citizen primary through the HTTP API.

Prepares a primary with the command line (create, candidates, a lot of
2, credentials from a roll, the vote opened), starts `agora serve`, and
walks the machine side: the primary's description, ballots cast with a
code and pre-signed in Python (the voter's device: BLAKE2b-keyed seed,
Ed25519 via the `cryptography` package, the canonical JSON), a second
ballot replacing the first, each refusal (bad signature, wrong lot,
forged credential, replay of an older ballot, malformed, too big, wrong
content type, unknown primary) changing neither the counters nor the
board, receipts found and not found, the board served as JSON Lines with
?from= ranges and its head in X-Board-Head, verified by `agora
verify-board`, many ballots in parallel all acknowledged and present
with a recount equal to the counters, and after the close: ballots
refused, the signed result served. Prints one "ok - ..." line per check,
then "N passed, M failed".
"""
import csv
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

AGORA, SRC = sys.argv[1], sys.argv[2]
P = "web-2027"
B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("FAIL - " + what)
        if detail:
            for line in str(detail)[:800].splitlines():
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


def req(port, path, method="GET", body=None, ctype="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        h = {}
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            h["Content-Type"] = ctype
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def jreq(port, path, method="GET", body=None, ctype="application/json"):
    st, h, data = req(port, path, method, body, ctype)
    try:
        j = json.loads(data)
    except ValueError:
        j = None
    return st, h, j


# ------------------------------------------------ the voter's device

def norm(code):
    """primary_code_parse: upper case, O -> 0, I and L -> 1, no - or
    spaces"""
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


def signed(slug, code, n, grades, sign_with=None):
    sk, pk = keys(slug, code)
    ballot = {"credential": pk, "grades": grades, "n": n, "primary": slug,
              "version": 1}
    sig = (sign_with or sk).sign(canonical(ballot).encode()).hex()
    return {"ballot": ballot, "signature": sig}


def receipt_of(body):
    b = canonical(body["ballot"]).encode()
    return hashlib.sha256(b + bytes.fromhex(body["signature"])).hexdigest()


# ------------------------------------------------------------ the test

def state(dbpath):
    con = sqlite3.connect(dbpath)
    try:
        return (con.execute("SELECT count(*) FROM ballot").fetchone()[0],
                con.execute("SELECT count(*) FROM board").fetchone()[0],
                tuple(con.execute("SELECT candidate_id, grade, count"
                                  " FROM tally ORDER BY 1, 2").fetchall()))
    finally:
        con.close()


def lot_of(env, code):
    r = agora(env, "primary", "ballot", P, "--credential", code, "--json")
    j = json.loads(r.stdout)
    return [c["slug"] for c in j["candidates"]]


def run(tmp):
    dbpath = os.path.join(tmp, "agora.db")
    env = dict(os.environ, AGORA_DB=dbpath)
    agora(env, "primary", "create", P, "--title", "Primaire du web",
          "--lot-size", "2")
    for name in ("Ana Lopez", "Ben Okafor", "Chen Wei", "Dana Roy"):
        agora(env, "primary", "candidate", "add", P, "--name", name)
    nvoters = 60
    with open(os.path.join(tmp, "roll.csv"), "w") as f:
        f.write("nom\n")
        for i in range(nvoters):
            f.write("voter %d\n" % i)
    agora(env, "primary", "credentials", P, "--roll",
          os.path.join(tmp, "roll.csv"), "--out",
          os.path.join(tmp, "codes.csv"))
    with open(os.path.join(tmp, "codes.csv")) as f:
        codes = [row["credential"] for row in csv.DictReader(f)]
    check(len(codes) == nvoters, "credentials issued by the CLI")

    port = free_port()
    proc = subprocess.Popen(
        [AGORA, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
         "2"], env=env, cwd=tmp, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            if req(port, "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit("the server exited: " + proc.stderr.read())
        time.sleep(0.1)
    try:
        lifecycle(port, env, dbpath, codes, tmp)
        blank(port, env, tmp)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = None
        err = proc.stderr.read()
        check(rc == 0, "the server stops cleanly", err[-800:])
        check(all(c not in err for c in codes),
              "no credential code in the server's log")


def lifecycle(port, env, dbpath, codes, tmp):
    base = "/api/v1/primaries/" + P
    st, h, j = jreq(port, base)
    check(st == 200 and j["phase"] == "declaration" and
          j["credentials"] == len(codes) and j["voters"] == 0 and
          len(j["candidates"]) == 4 and len(j["grades"]) == 6 and
          j["lot"]["size"] == 2 and
          h.get("x-board-head") == j["board"]["head"] and
          len(j["board"]["head"]) == 64,
          "GET the primary: phase, candidates, grades, lot, counts, head",
          j)
    st, h, j = jreq(port, "/api/v1/primaries/nope")
    check(st == 404 and j["error"]["code"] == "not_found",
          "an unknown primary is a 404 in JSON", j)

    c0 = codes[0]
    lot0 = lot_of(env, c0)
    st, h, j = jreq(port, base + "/ballots", "POST",
                    {"credential": c0, "grades": {s: 3 for s in lot0}})
    check(st == 409 and j["error"]["code"] == "conflict",
          "a ballot before the vote opens: 409", j)
    st, _, j = jreq(port, base + "/results")
    check(st == 409, "results hidden before the close: 409", j)
    agora(env, "primary", "phase", P, "support")
    agora(env, "primary", "phase", P, "vote")

    # a ballot with its code: the server numbers, signs, casts
    before = state(dbpath)
    st, h, j = jreq(port, base + "/ballots", "POST",
                    {"credential": c0, "grades": {s: 4 for s in lot0}})
    after = state(dbpath)
    check(st == 201 and len(j["receipt"]) == 64 and j["n"] == 1 and
          after[0] == before[0] + 1 and after[1] == before[1] + 1,
          "a ballot cast with its code: 201, a receipt, stored, on the "
          "board", (st, j))
    check(h.get("x-board-head") == j.get("board_head") and
          len(h.get("x-board-head", "")) == 64,
          "the receipt comes with the board's head", h)
    r1 = j["receipt"]
    # the second replaces the first
    st, h, j = jreq(port, base + "/ballots", "POST",
                    {"credential": c0, "grades": {s: 1 for s in lot0}})
    check(st == 201 and j["n"] == 2, "a second ballot is number 2", j)
    r2 = j["receipt"]
    st, _, j1 = jreq(port, base + "/receipts/" + r1)
    st2, _, j2 = jreq(port, base + "/receipts/" + r2)
    check(st == 200 and j1["found"] and not j1["counted"] and
          st2 == 200 and j2["counted"] and
          sorted(j2) == ["counted", "found", "receipt"],
          "receipts: the first found, no longer counted; the second "
          "counted; nothing else said", (j1, j2))
    st, _, j = jreq(port, base + "/receipts/" + "0" * 64)
    check(st == 404 and j["error"]["code"] == "not_found",
          "an unknown receipt: 404", j)
    st, _, j = jreq(port, base + "/receipts/xyz")
    check(st == 400, "a malformed receipt: 400", j)
    st, _, j = jreq(port, base)
    check(j["voters"] == 1 and j["ballots"] == 2,
          "counts: 1 voter, 2 ballots", j)

    # pre-signed: the code never leaves the device
    c1 = codes[1]
    lot1 = lot_of(env, c1)
    body = signed(P, c1, 1, {s: 5 for s in lot1})
    st, h, j = jreq(port, base + "/ballots", "POST", body)
    check(st == 201 and j["receipt"] == receipt_of(body),
          "a ballot signed on the device: 201, the receipt is SHA-256 of "
          "body and signature", (st, j))
    old = body
    # a retry of the same ballot: same receipt, nothing changes
    before = state(dbpath)
    st, _, j = jreq(port, base + "/ballots", "POST", old)
    check(st == 201 and j["receipt"] == receipt_of(old) and
          state(dbpath) == before,
          "the same ballot sent again: its receipt, nothing stored twice",
          (st, j))
    body = signed(P, c1, 2, {s: 0 for s in lot1})
    st, _, j = jreq(port, base + "/ballots", "POST", body)
    check(st == 201, "its replacement, number 2", j)

    # refusals change nothing
    c2 = codes[2]
    lot2 = lot_of(env, c2)
    others = [s for s in ("ana-lopez", "ben-okafor", "chen-wei",
                          "dana-roy") if s not in lot2]
    forged_sk = Ed25519PrivateKey.generate()
    forged_pk = forged_sk.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw).hex()
    forged = {"credential": forged_pk, "grades": {s: 2 for s in lot2},
              "n": 1, "primary": P, "version": 1}
    bad_grade = signed(P, c2, 1, {s: 6 for s in lot2})
    refusals = [
        ("a replay of an older ballot", 409, old),
        ("a wrong signature", 422,
         signed(P, c2, 1, {s: 2 for s in lot2}, sign_with=forged_sk)),
        ("a wrong lot", 422, signed(P, c2, 1, {s: 2 for s in others})),
        ("a grade out of range", 422, bad_grade),
        ("a forged credential", 422,
         {"ballot": forged,
          "signature": forged_sk.sign(canonical(forged).encode()).hex()}),
        ("a ballot numbered 2 first", 409,
         signed(P, c2, 2, {s: 2 for s in lot2})),
        ("a ballot for another primary", 422,
         signed("other", c2, 1, {s: 2 for s in lot2})),
        ("a forged code", 422,
         {"credential": "0000-0000-0000-0000-0000-0000-0000",
          "grades": {s: 2 for s in lot2}}),
        ("a code's ballot with a wrong lot", 422,
         {"credential": c2, "grades": {s: 2 for s in others}}),
        ("a blank ballot (no --allow-blank), by code", 422,
         {"credential": c2, "grades": {}}),
        ("a blank ballot (no --allow-blank), signed", 422,
         signed(P, c2, 1, {})),
        ("a ballot with an extra field", 400,
         {"ballot": dict(forged, extra=1), "signature": "00" * 64}),
        ("a short signature", 400,
         {"ballot": forged, "signature": "00" * 10}),
        ("a body that is not JSON", 400, b"{nope"),
        ("an empty object", 400, {}),
    ]
    before = state(dbpath)
    for what, want, body in refusals:
        st, h, j = jreq(port, base + "/ballots", "POST", body)
        check(st == want and j and j["error"]["code"] and
              j["error"]["message"],
              "%s: %d with a JSON error" % (what, want), (st, j))
    st, _, j = jreq(port, base + "/ballots", "POST",
                    "credential=x", "application/x-www-form-urlencoded")
    check(st == 415, "a form instead of JSON: 415", (st, j))
    st, _, j = jreq(port, base + "/ballots", "POST",
                    b"{\"x\":\"" + b"a" * 70000 + b"\"}")
    check(st == 413, "a body over 64 KiB: 413", st)
    st, _, j = jreq(port, "/api/v1/primaries/nope/ballots", "POST",
                    signed("nope", c2, 1, {s: 2 for s in lot2}))
    check(st == 404, "a ballot for an unknown primary: 404", (st, j))
    st, _, j = jreq(port, base + "/ballots")
    check(st == 405, "GET on the ballots: 405", (st, j))
    check(state(dbpath) == before,
          "the refusals changed no ballot, no counter, no board entry")

    # many ballots in parallel, each acknowledged and present
    results = {}
    lock = threading.Lock()

    def cast(i):
        code = codes[i]
        lot = lots[i]
        if i % 2:
            body = signed(P, code, 1, {s: i % 6 for s in lot})
        else:
            body = {"credential": code, "grades": {s: i % 6 for s in lot}}
        st, _, j = jreq(port, base + "/ballots", "POST", body)
        with lock:
            results[i] = (st, j)

    idx = list(range(3, len(codes)))
    lots = {i: lot_of(env, codes[i]) for i in idx}
    threads = [threading.Thread(target=cast, args=(i,)) for i in idx]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [i for i in idx if results[i][0] == 201]
    check(len(ok) == len(idx), "%d ballots in parallel: all 201" % len(idx),
          [results[i] for i in idx if results[i][0] != 201][:3])
    con = sqlite3.connect(dbpath)
    stored = {r[0] for r in con.execute("SELECT receipt FROM ballot")}
    con.close()
    check(all(results[i][1]["receipt"] in stored for i in ok),
          "every receipt given is stored")
    r = agora(env, "primary", "recount", P, ok=False)
    check(r.returncode == 0, "a recount equals the live counters",
          r.stdout + r.stderr)
    st, _, j = jreq(port, base)
    check(j["voters"] == len(codes) - 1, "every voter but one counted", j)

    # the board
    st, h, raw = req(port, "/primary/%s/board" % P)
    lines = raw.decode().splitlines()
    entries = [json.loads(x) for x in lines]
    check(st == 200 and h.get("content-type", "").startswith(
        "application/x-ndjson") and len(lines) ==
          int(h.get("x-board-entries", -1)) and
          entries[-1]["hash"] == h.get("x-board-head") and
          [e["seq"] for e in entries] == list(range(len(entries))),
          "the board: JSON Lines, every entry, ending at X-Board-Head",
          (st, h))
    path = os.path.join(tmp, "board.jsonl")
    with open(path, "wb") as f:
        f.write(raw)
    r = agora(env, "verify-board", path, ok=False)
    check(r.returncode == 0, "agora verify-board accepts the served board",
          r.stdout + r.stderr)
    cli = agora(env, "primary", "board", P).stdout
    check(cli.encode() == raw, "the served board is the CLI's, byte for "
          "byte")
    st, h, part = req(port, "/primary/%s/board?from=%d" % (P, len(lines) - 3))
    check(st == 200 and part.decode().splitlines() == lines[-3:],
          "?from=N: the entries from N on", part[:300])
    st, h, part = req(port, "/primary/%s/board?from=%d" % (P, len(lines)))
    check(st == 200 and part == b"" and
          h.get("x-board-head") == entries[-1]["hash"],
          "?from= past the head: empty, the head still said", (st, h))
    st, h, _ = req(port, "/primary/%s/board?from=-1" % P)
    check(st == 400, "?from=-1: 400", st)
    st, h, _ = req(port, "/primary/nope/board")
    check(st == 404, "the board of an unknown primary: 404", st)

    # the close
    agora(env, "primary", "phase", P, "closed")
    before = state(dbpath)
    body = signed(P, c2, 1, {s: 2 for s in lot2})
    st, _, j = jreq(port, base + "/ballots", "POST", body)
    check(st == 409 and state(dbpath) == before,
          "a ballot after the close: 409, nothing changes", (st, j))
    st, h, j = jreq(port, base + "/results")
    check(st == 200 and j["final"] and len(j["signature"]) == 128 and
          j["result"]["voters"] == len(codes) - 1 and
          json.loads(j["result_text"]) == j["result"] and
          h.get("x-board-head"),
          "the signed result after the close", j)
    st, h, raw = req(port, "/primary/%s/board" % P)
    with open(path, "wb") as f:
        f.write(raw)
    r = agora(env, "verify-board", path, ok=False)
    check(r.returncode == 0 and
          json.loads(raw.decode().splitlines()[-1])["type"] == "result",
          "the closed board, with its result, verifies",
          r.stdout + r.stderr)

    # results public before the close: the live result, unsigned
    agora(env, "primary", "create", "pub", "--title", "Public",
          "--public-results")
    for name in ("Eva Sand", "Finn Hart"):
        agora(env, "primary", "candidate", "add", "pub", "--name", name)
    with open(os.path.join(tmp, "roll2.csv"), "w") as f:
        f.write("nom\na\nb\n")
    agora(env, "primary", "credentials", "pub", "--roll",
          os.path.join(tmp, "roll2.csv"), "--out",
          os.path.join(tmp, "codes2.csv"))
    with open(os.path.join(tmp, "codes2.csv")) as f:
        pub = [row["credential"] for row in csv.DictReader(f)]
    agora(env, "primary", "phase", "pub", "vote")
    st, _, j = jreq(port, "/api/v1/primaries/pub/ballots", "POST",
                    {"credential": pub[0],
                     "grades": {"eva-sand": 5, "finn-hart": 1}})
    check(st == 201, "a ballot in the public primary", j)
    st, _, j = jreq(port, "/api/v1/primaries/pub/results")
    check(st == 200 and j["final"] is False and j["signature"] is None and
          j["result"]["voters"] == 1 and
          j["result"]["ranking"][0]["candidate"] == "eva-sand",
          "public results before the close: live, unsigned, counted", j)


def blank(port, env, tmp):
    """A primary created with --allow-blank takes blank ballots"""
    agora(env, "primary", "create", "blk", "--title", "Blanc",
          "--allow-blank")
    for name in ("Gil Vert", "Hana Bleu"):
        agora(env, "primary", "candidate", "add", "blk", "--name", name)
    with open(os.path.join(tmp, "roll3.csv"), "w") as f:
        f.write("nom\na\nb\nc\n")
    agora(env, "primary", "credentials", "blk", "--roll",
          os.path.join(tmp, "roll3.csv"), "--out",
          os.path.join(tmp, "codes3.csv"))
    with open(os.path.join(tmp, "codes3.csv")) as f:
        blk = [row["credential"] for row in csv.DictReader(f)]
    agora(env, "primary", "phase", "blk", "vote")
    base = "/api/v1/primaries/blk"
    st, _, j = jreq(port, base)
    check(st == 200 and j["allow_blank"] is True,
          "the API says the primary allows blank ballots", j)
    st, _, j = jreq(port, base + "/ballots", "POST",
                    {"credential": blk[0], "grades": {}})
    check(st == 201 and len(j["receipt"]) == 64,
          "--allow-blank: a blank ballot by code, 201", (st, j))
    body = signed("blk", blk[1], 1, {})
    st, _, j = jreq(port, base + "/ballots", "POST", body)
    check(st == 201 and j["receipt"] == receipt_of(body),
          "--allow-blank: a blank ballot signed on the device, 201",
          (st, j))
    st, _, j = jreq(port, base + "/ballots", "POST",
                    {"credential": blk[2], "grades": {"gil-vert": 3}})
    check(st == 422, "--allow-blank still refuses a partial ballot: 422",
          (st, j))
    st, _, j = jreq(port, base + "/ballots", "POST",
                    {"credential": blk[2],
                     "grades": {"gil-vert": 3, "hana-bleu": 1}})
    check(st == 201, "and takes a full one", (st, j))
    agora(env, "primary", "phase", "blk", "closed")
    st, _, j = jreq(port, base + "/results")
    tot = {x["candidate"]: x for x in j["result"]["ranking"]}
    check(st == 200 and j["result"]["voters"] == 3 and
          tot["gil-vert"]["rank"] == 1,
          "the result counts 3 voters, two of them blank", j)


def main():
    tmp = tempfile.mkdtemp(prefix="agora-primary-http-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
