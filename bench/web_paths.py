#!/usr/bin/env python3
"""web_paths.py URL QUERIES N - the paths of `bench/run web`'s mixed load.

Asks the running `agora serve` at URL (its JSON API) for the elections,
candidates and themes, and prints N request paths, one a line, in a fixed
pseudo-random order (seed 1) that bench/web_mix.lua replays:

  30%  /search?q=...          the 18 queries of search_bench (QUERIES is
                              the queries.tsv of `search_bench pgscripts`)
  20%  /e/E/compare?...       4 random candidates of one election, one
                              random theme that election speaks to
  20%  /p/ID                  random proposals (ids from the API's search)
  10%  /e/E                   election pages
   5%  /                      the home page
   5%  /e/E/c/C               whole programmes
  10%  /api/v1/...            JSON search and compare
"""
import json
import random
import sys
import urllib.parse
import urllib.request

URL, QUERIES, N = sys.argv[1], sys.argv[2], int(sys.argv[3])


def api(path):
    with urllib.request.urlopen(URL + path, timeout=60) as r:
        return json.load(r)


def q(s):
    return urllib.parse.quote(s, safe="")


rnd = random.Random(1)
with open(QUERIES, encoding="utf-8") as f:
    queries = [line.rstrip("\n").split("\t")[2] for line in f if line.strip()]
elections = []
for e in api("/api/v1/elections")["elections"][:8]:
    slug = e["slug"]
    cands = [c["slug"] for c in
             api("/api/v1/elections/%s/candidates" % q(slug))["candidates"]]
    themes = [t["key"] for t in
              api("/api/v1/elections/%s/themes" % q(slug))["themes"]
              if t["candidates"] >= 2]
    if len(cands) >= 4 and themes:
        elections.append((slug, cands, themes))
if not elections:
    sys.exit("web_paths.py: no election with 4 candidates at " + URL)
ids = set()
for text in queries:
    res = api("/api/v1/search?q=" + q(text) + "&limit=50")
    ids.update(r["proposal"] for r in res.get("results", []))
ids = sorted(ids)
if not ids:
    sys.exit("web_paths.py: no proposal found by the queries")

kinds = (["search"] * 30 + ["compare"] * 20 + ["proposal"] * 20 +
         ["election"] * 10 + ["home"] * 5 + ["candidate"] * 5 +
         ["api_search"] * 5 + ["api_compare"] * 5)
for i in range(N):
    kind = rnd.choice(kinds)
    e, cands, themes = rnd.choice(elections)
    if kind == "search":
        print("/search?q=" + q(rnd.choice(queries)))
    elif kind == "compare":
        print("/e/%s/compare?theme=%s&%s" % (e, q(rnd.choice(themes)), "&".join(
            "c=" + q(c) for c in rnd.sample(cands, 4))))
    elif kind == "proposal":
        print("/p/%d" % rnd.choice(ids))
    elif kind == "election":
        print("/e/" + e)
    elif kind == "home":
        print("/")
    elif kind == "candidate":
        print("/e/%s/c/%s" % (e, q(rnd.choice(cands))))
    elif kind == "api_search":
        print("/api/v1/search?q=" + q(rnd.choice(queries)))
    else:
        print("/api/v1/elections/%s/compare?theme=%s&candidates=%s" % (
            e, q(rnd.choice(themes)), ",".join(rnd.sample(cands, 4))))
