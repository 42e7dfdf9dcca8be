#!/usr/bin/env python3
"""verify_board.py BOARD [--head HASH] - a second, independent verifier of
an agora primary's bulletin board, written from doc/board.md alone (not
from agora's C code), to show that the document is enough.

Prints "OK", the head and the result text and exits 0, or prints
"FAILED: entry N: what" and exits 1. Needs Python 3 and the
"cryptography" package (Debian: python3-cryptography) for Ed25519 and
ChaCha20; exits 77 (a skip, for test runners) without it.
"""
import hashlib
import json
import struct
import sys
from fractions import Fraction

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
except ImportError:
    print("verify_board.py: the Python package 'cryptography' is missing")
    sys.exit(77)

PHASES = ["declaration", "support", "vote", "closed"]
HEX = set("0123456789abcdef")


class Failed(Exception):
    pass


def no_dup(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate member " + k)
        d[k] = v
    return d


def parse(text):
    """A JSON text: duplicates and NUL refused, integers kept apart"""
    if "\0" in text:
        raise ValueError("NUL")
    return json.loads(text, object_pairs_hook=no_dup)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def unhex(s, n):
    if not isinstance(s, str) or len(s) != 2 * n or not set(s) <= HEX:
        return None
    return bytes.fromhex(s)


def sig_ok(pk, sig, msg):
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def lot(slug, pk, n, k):
    """doc/board.md, "The lot" """
    idx = list(range(n))
    if k == 0 or k >= n:
        return idx
    seed = hashlib.blake2b(slug.encode() + b"\0" + pk, digest_size=32,
                           key=b"agora lot v1").digest()
    length = 8 * k + 64
    enc = Cipher(algorithms.ChaCha20(seed, b"\0\0\0\0" + b"LibsodiumDRG"),
                 mode=None).encryptor()
    stream = enc.update(b"\0" * length)
    pos = 0
    for i in range(k):
        b = n - i
        limit = 2**32 - 2**32 % b
        while True:
            if pos + 4 > length:
                pos = 0
            v = struct.unpack("<I", stream[pos:pos + 4])[0]
            pos += 4
            if v < limit:
                break
        j = i + v % b
        idx[i], idx[j] = idx[j], idx[i]
    return idx[:k]


def majority_grade(counts):
    total, cum = sum(counts), 0
    for g, c in enumerate(counts):
        cum += c
        if 2 * cum >= total:
            return g
    return -1


def pieces(counts):
    """The sorted votes on (0, 1] as [(x, y, grade)], exact fractions"""
    total, cum, out = sum(counts), 0, []
    for g, c in enumerate(counts):
        if c:
            out.append((Fraction(cum, total), Fraction(cum + c, total), g))
            cum += c
    return out


def compare(a, b):
    """> 0 when a is better: majority grade, then the closest differing
    piece of (0, 1] to 1/2, the piece below on equal distances"""
    ma, mb = majority_grade(a), majority_grade(b)
    if ma != mb:
        return 1 if ma > mb else -1
    cuts = sorted({y for _, y, _ in pieces(a)} | {y for _, y, _ in pieces(b)})
    half, best, x = Fraction(1, 2), None, Fraction(0)
    for y in cuts:
        ga = next(g for (u, v, g) in pieces(a) if u < y <= v)
        gb = next(g for (u, v, g) in pieces(b) if u < y <= v)
        if ga != gb:
            below = y <= half
            d = half - y if below else max(x - half, 0)
            key = (d, 0 if below else 1)
            if best is None or key < best[0]:
                best = (key, 1 if ga > gb else -1)
        x = y
    return best[1] if best else 0


def result_text(slug, cands, ngrades, last):
    counts = {c: [0] * ngrades for c in cands}
    for grades in last.values():
        for c, g in grades.items():
            counts[c][g] += 1
    voted = [c for c in cands if sum(counts[c])]
    unvoted = [c for c in cands if not sum(counts[c])]
    # insertion sort by merit, slug order kept among equals
    order = []
    for c in voted:
        i = len(order)
        while i and compare(counts[c], counts[order[i - 1]]) > 0:
            i -= 1
        order.insert(i, c)
    ranking, rank = [], {}
    for i, c in enumerate(order):
        same = i and compare(counts[c], counts[order[i - 1]]) == 0
        rank[c] = rank[order[i - 1]] if same else i + 1
    for c in unvoted:
        rank[c] = len(voted) + 1
    for c in order + unvoted:
        m = majority_grade(counts[c]) if c in voted else -1
        sign = ""
        if 0 < m < ngrades - 1:
            n = counts[c]
            above, below = sum(n[m + 1:]), sum(n[:m])
            sign = "+" if above > below else "-"
        ranking.append('{"candidate":"%s","majority_grade":%d,"rank":%d,'
                       '"sign":"%s"}' % (c, m, rank[c], sign))
    return ('{"counts":{%s},"primary":"%s","ranking":[%s],"voters":%d}' % (
        ",".join('"%s":[%s]' % (c, ",".join(map(str, counts[c])))
                 for c in cands), slug, ",".join(ranking), len(last)))


def verify(data, head=None):
    if not data:
        raise Failed("entry 0: the board is empty")
    lines = data.split(b"\n")
    if lines[-1] != b"":
        raise Failed("entry %d: the last line has no newline"
                     % (len(lines) - 1))
    prev, phase, st = "0" * 64, 0, {}
    keys, nballots, last, cands, result, head_seen = {}, 0, {}, None, None, False
    for e, raw in enumerate(lines[:-1]):
        def fail(what):
            raise Failed("entry %d: %s" % (e, what))
        try:
            line = parse(raw.decode("utf-8"))
        except ValueError:
            fail("not an entry")
        if (not isinstance(line, dict) or set(line) != {
                "hash", "payload", "prev", "seq", "type"}
                or not all(isinstance(line[k], str)
                           for k in ("hash", "payload", "prev", "type"))
                or not is_int(line["seq"])):
            fail("not an entry {hash, payload, prev, seq, type}")
        if line["seq"] != e:
            fail("seq is %d" % line["seq"])
        if line["prev"] != prev:
            fail("prev is not the previous hash")
        t, payload = line["type"], line["payload"]
        h = hashlib.sha256(b"agora-board-v1\n%d\n" % e + prev.encode() + b"\n"
                           + t.encode() + b"\n" + payload.encode()).hexdigest()
        if h != line["hash"]:
            fail("the hash does not match")
        prev = h
        head_seen = head_seen or h == head
        try:
            p = parse(payload)
        except ValueError:
            fail("the payload is not JSON")
        if not isinstance(p, dict):
            fail("the payload is not an object")
        if e == 0 and t != "primary":
            fail("a board starts with 'primary'")
        if result is not None:
            fail("an entry after the result")
        if t == "primary":
            if e:
                fail("a second primary entry")
            try:
                g = p["grades"]
                ok = (isinstance(p["allow_blank"], bool) and is_int(p["lot_size"])
                      and isinstance(p["title"], str) and p["version"] == 1
                      and is_int(p["version"]) and isinstance(g, list)
                      and 2 <= len(g) <= 10
                      and all(isinstance(x, str) for x in g)
                      and (p["lot_size"] == 0 or 2 <= p["lot_size"] <= 1000)
                      and isinstance(p["primary"], str)
                      and 1 <= len(p["primary"].encode()) <= 64
                      and unhex(p["organiser_key"], 32))
            except KeyError:
                ok = False
            if not ok:
                fail("the primary payload is malformed")
            st = p
        elif t == "credentials":
            if phase == 3:
                fail("credentials after the close")
            if set(p) != {"keys"} or not isinstance(p["keys"], list):
                fail("the credentials payload is malformed")
            for k in p["keys"]:
                if unhex(k, 32) is None:
                    fail("a key is not 64 hex digits")
                if k in keys:
                    fail("a key published twice")
                keys[k] = 0
        elif t == "phase":
            name = p.get("phase")
            if name not in PHASES or PHASES.index(name) <= phase:
                fail("the phase does not move forward")
            want = PHASES.index(name)
            if ("candidates" in p) != (want >= 2 and phase < 2):
                fail("candidates not exactly when the vote opens")
            phase = want
            if "candidates" in p:
                cl = p["candidates"]
                if not isinstance(cl, list):
                    fail("candidates is not a list")
                cands = []
                for c in cl:
                    if (not isinstance(c, dict)
                            or not isinstance(c.get("name"), str)
                            or not isinstance(c.get("slug"), str)):
                        fail("a candidate is malformed")
                    if cands and cands[-1].encode() >= c["slug"].encode():
                        fail("candidates not in slug order")
                    cands.append(c["slug"])
        elif t == "ballot":
            if phase != 2:
                fail("a ballot outside the vote")
            if set(p) != {"body", "signature"} or not isinstance(
                    p["body"], str) or unhex(p["signature"], 64) is None:
                fail("the ballot payload is malformed")
            try:
                b = parse(p["body"])
            except ValueError:
                fail("the ballot is not JSON")
            if (not isinstance(b, dict) or set(b) != {
                    "credential", "grades", "n", "primary", "version"}
                    or not isinstance(b["grades"], dict) or not is_int(b["n"])
                    or b["version"] != 1 or not is_int(b["version"])
                    or unhex(b["credential"], 32) is None):
                fail("the ballot is malformed")
            if b["primary"] != st["primary"]:
                fail("a ballot for another primary")
            cred = b["credential"]
            if cred not in keys:
                fail("the credential was never published")
            if b["n"] != keys[cred] + 1:
                fail("ballot number %d after %d" % (b["n"], keys[cred]))
            grades = b["grades"]
            if not grades and not st["allow_blank"]:
                fail("a blank ballot, not allowed")
            if grades:
                mine = [cands[i] for i in lot(st["primary"], bytes.fromhex(cred),
                                              len(cands), st["lot_size"])]
                if set(grades) != set(mine) or not all(
                        is_int(v) and 0 <= v < len(st["grades"])
                        for v in grades.values()):
                    fail("the grades are not exactly the lot's")
            if not sig_ok(bytes.fromhex(cred), bytes.fromhex(p["signature"]),
                          p["body"].encode()):
                fail("the ballot's signature does not match")
            keys[cred] += 1
            nballots += 1
            last[cred] = grades
        elif t == "result":
            if phase != 3:
                fail("a result before the close")
            if set(p) != {"result", "signature"} or not isinstance(
                    p["result"], str) or unhex(p["signature"], 64) is None:
                fail("the result payload is malformed")
            if not sig_ok(bytes.fromhex(st["organiser_key"]),
                          bytes.fromhex(p["signature"]), p["result"].encode()):
                fail("the result is not signed by the organiser")
            result = (e, p["result"])
        else:
            fail("unknown type")
    if head is not None and not head_seen:
        raise Failed("no entry has the head %s" % head)
    if result is not None:
        mine = result_text(st["primary"], cands or [], len(st["grades"]),
                           last)
        if mine != result[1]:
            raise Failed("entry %d: the signed result does not match the "
                         "ballots:\n  signed %s\n  counted %s"
                         % (result[0], result[1], mine))
    return prev, len(lines) - 1, len(keys), nballots, len(last), result


def main():
    args = sys.argv[1:]
    head = None
    if len(args) == 3 and args[1] == "--head":
        head = args[2]
    elif len(args) != 1:
        print("usage: verify_board.py BOARD [--head HASH]", file=sys.stderr)
        return 2
    with open(args[0], "rb") as f:
        data = f.read()
    try:
        h, entries, creds, ballots, voters, result = verify(data, head)
    except Failed as e:
        print("FAILED: %s" % e)
        return 1
    print("OK: %d entries, head %s" % (entries, h))
    print("%d credentials, %d ballots, %d voters" % (creds, ballots, voters))
    if result:
        print(result[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
