#!/bin/sh
# cli_test.sh AGORA SRCDIR - the command line as a user meets it: help,
# exit codes, the sample election ingested, searched, compared and
# verified, and hostile files refused without changing anything.
set -u
AGORA=$1
SRC=$2
T=$(mktemp -d /tmp/agora-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
export AGORA_DB="$T/agora.db"

. "$(dirname "$0")/lib.sh"

# help and usage
expect 0 "agora --help" "$AGORA" --help
for c in election ingest search compare themes candidates verify export user; do
	has "$T/out" "$c" "--help lists $c"
done
for c in election ingest search compare themes candidates verify export; do
	expect 0 "agora $c --help" "$AGORA" "$c" --help
	has "$T/out" "usage: agora $c" "$c --help shows its usage"
done
expect 2 "unknown command is bad usage" "$AGORA" frobnicate
expect 2 "missing arguments are bad usage" "$AGORA" ingest
expect 2 "bad format is bad usage" "$AGORA" ingest --election x \
	--candidate y --format pdfx f
expect 2 "a bad slug is refused" "$AGORA" election add "Bad Slug" --title T

# the sample election
E=valbrune-2026
expect 0 "election add" "$AGORA" election add $E \
	--title "Municipales 2026 — Valbrune" --date 2026-03-15
expect 0 "a search of a database with no programme yet" "$AGORA" search \
	sécurité
has "$T/out" "0 results" "says there is no result"
expect 2 "the same election twice is refused" "$AGORA" election add $E \
	--title again
has "$T/err" "already exists" "and says why"
C="$SRC/corpus/valbrune-2026"
tab=$(printf '\t')
tail -n +2 "$C/candidates.tsv" >"$T/cands"
while IFS="$tab" read -r file given family party url; do
	expect 0 "ingest $file" "$AGORA" ingest --election $E \
		--candidate "$given $family" --family-name "$family" \
		--party "$party" --source-url "$url" "$C/$file"
	has "$T/out" "proposals" "ingest $file prints a summary"
done <"$T/cands"
expect 0 "candidates --json" "$AGORA" candidates --election $E --json
json "len(j) == 4 and all(c['proposals'] >= 40 for c in j)" \
	"4 candidates with at least 40 proposals each"
json "[c['family_name'] for c in j] == sorted([c['family_name'] for c in j])" \
	"candidates in alphabetical order of family name"
file=$(head -n 1 "$T/cands" | cut -f1)
given=$(head -n 1 "$T/cands" | cut -f2)
family=$(head -n 1 "$T/cands" | cut -f3)
expect 0 "ingesting the same file again" "$AGORA" ingest --election $E \
	--candidate "$given $family" --family-name "$family" "$C/$file"
has "$T/out" "already stored" "is a no-op that says so"
expect 0 "verify" "$AGORA" verify
has "$T/out" "verify: ok" "verify reports every proposal verbatim"

# search: accents, plurals, case, prefixes, hostile strings
for q in sécurité securite sécurités SÉCURITÉ; do
	"$AGORA" search --election $E --limit 100 --json "$q" >"$T/s-$q.json"
	python3 -c "import json; print(sorted(h['proposal'] for h in json.load(open('$T/s-$q.json'))['results']))" >"$T/s-$q"
done
if [ -s "$T/s-sécurité" ] && [ "$(cat "$T/s-sécurité")" != "[]" ] &&
	cmp -s "$T/s-sécurité" "$T/s-securite" &&
	cmp -s "$T/s-sécurité" "$T/s-sécurités" &&
	cmp -s "$T/s-sécurité" "$T/s-SÉCURITÉ"; then
	ok "sécurité, securite, sécurités and SÉCURITÉ find the same proposals"
else
	ko "accent/plural/case-insensitive search"
fi
expect 0 "prefix search" "$AGORA" search --json "logem*"
json "j['total'] > 0" "logem* finds proposals"
for q in '"' '(((' 'NEAR(' 'text:foo' '*' 'AND OR NOT' '-' '^'; do
	expect 0 "hostile query '$q' is just text" "$AGORA" search "$q"
done
expect 2 "search with an unknown election says so" "$AGORA" search \
	--election nowhere logement
has "$T/err" "no election 'nowhere'" "and names it"
expect 2 "search with an unknown theme says so" "$AGORA" search \
	--theme nothing logement
expect 2 "search with an unknown candidate says so" "$AGORA" search \
	--election $E --candidate nobody logement
expect 0 "search text output" "$AGORA" search logement
has "$T/out" "\[\[" "matches are marked in the text output"

# compare: every candidate, explicitly empty where silent
expect 0 "compare --json" "$AGORA" compare --election $E --theme trade \
	--json
json "len(j['candidates']) == 4 and all(c['proposals'] == [] for c in j['candidates'])" \
	"a theme nobody covers lists every candidate with an empty list"
expect 0 "compare transport" "$AGORA" compare --election $E \
	--theme transport --json
json "sum(len(c['proposals']) for c in j['candidates']) > 0" \
	"transport has proposals"
expect 0 "compare text" "$AGORA" compare --election $E --theme trade
has "$T/out" "Nothing on this theme" "an empty column is said plainly"
expect 2 "compare with an unknown candidate" "$AGORA" compare \
	--election $E --theme health --candidates nobody
expect 0 "themes" "$AGORA" themes --election $E --json
json "len(j) == 34 and any(t['key'] == 'pensions' for t in j)" \
	"themes lists the 34 entries of the taxonomy (8 groups, 26 themes)"

# export: JSON and CSV, the same proposals as search and the same bytes
expect 0 "export (JSON to stdout)" "$AGORA" export --election $E
cp "$T/out" "$T/export.json"
json "[c['family_name'] for c in j['candidates']] == ['Benali', 'Durand', 'Mercier', 'Roux']" \
	"export: 4 candidates in alphabetical order of family name"
json "'Etalab' in j['licence']['metadata']['name'] and 'verbatim' in j['licence']['texts']" \
	"export: the licence is stated"
json "j['election']['slug'] == '$E' and j['election']['candidate_order'] == 'alphabetical' and j['election']['date'] == '2026-03-15'" \
	"export: the election and its order rule"
json "len(j['themes']) == 34 and len(j['documents']) == 4 and all(d['current'] and len(d['sha256']) == 64 for d in j['documents'])" \
	"export: the taxonomy and the current documents"
json "all(p['end'] - p['start'] == len(p['text'].encode()) for p in j['proposals'])" \
	"export: every text is as long as its [start, end) slice"
json "all(__import__('hashlib').sha256(p['text'].encode()).hexdigest() == p['sha256'] for p in j['proposals'])" \
	"export: every proposal's SHA-256 is the SHA-256 of its text"
"$AGORA" candidates --election $E --json >"$T/cands.json"
json "len(j['proposals']) == sum(c['proposals'] for c in json.load(open('$T/cands.json')))" \
	"export: as many proposals as the candidates have"
"$AGORA" search --election $E --limit 100 --json logement >"$T/s-export.json"
if python3 - "$T/export.json" "$T/s-export.json" <<'PY'; then
import json, sys
ex = {p["id"]: p for p in json.load(open(sys.argv[1]))["proposals"]}
hits = json.load(open(sys.argv[2]))["results"]
sys.exit(0 if hits and all(ex[h["proposal"]]["text"] == h["text"] and
                           ex[h["proposal"]]["candidate"] == h["candidate"]
                           for h in hits) else 1)
PY
	ok "export: each text equals what search returns for the same id"
else
	ko "export: texts differ from search's"
fi
expect 0 "export (JSON to a file)" "$AGORA" export --election $E --out \
	"$T/export2.json"
if cmp -s "$T/export.json" "$T/export2.json"; then
	ok "export: --out writes the same bytes as stdout"
else
	ko "export: --out and stdout differ"
fi
expect 0 "export (CSV)" "$AGORA" export --election $E --format csv --out \
	"$T/proposals.csv"
if python3 - "$T/proposals.csv" "$T/export.json" <<'PY'; then
import csv, hashlib, json, sys
raw = open(sys.argv[1], "rb").read()
ex = {p["id"]: p for p in json.load(open(sys.argv[2]))["proposals"]}
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
header = ["election", "candidate", "given_name", "family_name", "party",
          "document_id", "document_title", "document_version",
          "document_sha256", "source_url", "proposal_id", "ordinal", "start",
          "end", "kind", "heading_path", "themes", "text", "text_sha256",
          "licence"]
body = rows[1:]
good = (rows[0] == header and raw.startswith(b'"election","candidate"')
        and raw.endswith(b'"\r\n') and len(body) == len(ex)
        and len({r[19] for r in body}) == 1 and "Etalab" in body[0][19])
for r in body:
    p = ex[int(r[10])]
    good = good and r[17] == p["text"] and r[13] == str(p["end"]) and \
        hashlib.sha256(r[17].encode()).hexdigest() == r[18] == p["sha256"]
sys.exit(0 if good else 1)
PY
	ok "export: CSV parses, documented header, one row per proposal, same texts and hashes"
else
	ko "export: CSV"
fi
expect 2 "export of an unknown election" "$AGORA" export --election nope \
	--out "$T/nope.json"
if [ ! -e "$T/nope.json" ] && ! ls "$T" | grep -q tmp; then
	ok "a failed export leaves no file"
else
	ko "a failed export left a file"
fi
expect 2 "export --format xml is bad usage" "$AGORA" export --election $E \
	--format xml
expect 2 "export without --election is bad usage" "$AGORA" export

# the order rule: set by the organiser, validated, nothing changed on error
expect 0 "election set --help" "$AGORA" election --help
has "$T/out" "election set SLUG" "election --help documents 'set'"
has "$T/out" "--candidate-order" "and --candidate-order"
expect 0 "election set --candidate-order shuffled" "$AGORA" election set $E \
	--candidate-order shuffled
has "$T/out" "shuffled" "election set says what it set"
expect 0 "export after set" "$AGORA" export --election $E
json "j['election']['candidate_order'] == 'shuffled'" \
	"the rule is stored (export shows it)"
expect 2 "an unknown order is bad usage" "$AGORA" election set $E \
	--candidate-order random
has "$T/err" "unknown candidate order 'random'" "and the message says why"
expect 2 "set without --candidate-order is bad usage" "$AGORA" election \
	set $E
expect 2 "set of an unknown election" "$AGORA" election set nope \
	--candidate-order shuffled
has "$T/err" "no election 'nope'" "and names it"
expect 2 "--candidate-order with add is bad usage" "$AGORA" election add \
	other --title T --candidate-order shuffled
expect 0 "export after refusals" "$AGORA" export --election $E
json "j['election']['candidate_order'] == 'shuffled'" \
	"refused settings changed nothing"
expect 0 "election set back to alphabetical" "$AGORA" election set $E \
	--candidate-order alphabetical
expect 0 "export after set back" "$AGORA" export --election $E
json "j['election']['candidate_order'] == 'alphabetical'" \
	"the rule is back to alphabetical"

# hostile files change nothing
"$AGORA" candidates --election $E --json >"$T/before"
printf '<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<programme xmlns="urn:agora:programme:1"><section title="a"><proposal>&x;</proposal></section></programme>\n' >"$T/xxe.xml"
printf 'Une proposition\nqui se termine mal \303' >"$T/bad.txt"
: >"$T/empty.txt"
printf '\177ELF\2\1\1\0\0\0\0\0\377\376' >"$T/garbage.bin"
for f in xxe.xml bad.txt empty.txt garbage.bin; do
	expect 2 "hostile file $f is refused" "$AGORA" ingest --election $E \
		--candidate "Paul Hostile" "$T/$f"
done
expect 2 "a candidate name that is not UTF-8 is refused" "$AGORA" ingest \
	--election $E --candidate "$(printf 'Ren\351 Martin')" "$C/$file"
has "$T/err" "not valid UTF-8" "and the message says so"
expect 2 "a name with an escape sequence is refused" "$AGORA" ingest \
	--election $E --candidate "$(printf 'A \033[31mB')" "$C/$file"
expect 2 "a source URL that is not http(s) is refused" "$AGORA" ingest \
	--election $E --candidate "Paul Hostile" --source-url "javascript:x" \
	"$C/$file"
expect 2 "a query that is not UTF-8 is refused" "$AGORA" search \
	"$(printf 's\351curit\351')"
expect 2 "oversize file is refused" "$AGORA" ingest --election $E \
	--candidate "Paul Hostile" --max-size 100 "$C/$file"
has "$T/err" "limit" "and the message names the limit"
"$AGORA" candidates --election $E --json >"$T/after"
if cmp -s "$T/before" "$T/after"; then
	ok "refused files left the database unchanged"
else
	ko "refused files changed the database"
fi
expect 0 "verify after refusals" "$AGORA" verify

# accounts: agora user (Argon2id at its least cost for the test)
export AGORA_PWHASH_LIMITS=1,8192
expect 0 "agora user --help" "$AGORA" user --help
has "$T/out" "usage: agora user add" "user --help shows its usage"
expect 2 "user add without --role is bad usage" "$AGORA" user add a@example.org
expect 2 "an unknown role is bad usage" "$AGORA" user add a@example.org \
	--role king
expect 2 "an editor needs --election" "$AGORA" user add a@example.org \
	--role editor
expect 2 "a bad address is refused" sh -c "printf 'long enough\n' |
	'$AGORA' user add not-an-address --role administrator"
has "$T/err" "not an e-mail address" "and the message says so"
expect 2 "a short password is refused" sh -c "printf 'short\n' |
	'$AGORA' user add root@example.org --role administrator"
expect 2 "no password on stdin is refused" sh -c "'$AGORA' user add \
	root@example.org --role administrator </dev/null"
expect 0 "the first administrator, password on stdin" sh -c \
	"printf 'long enough\n' | '$AGORA' user add Root@Example.org \
	--role administrator --name 'Root'"
has "$T/out" "root@example.org" "the address is stored lower-cased"
expect 2 "the same role twice is refused" sh -c "'$AGORA' user add \
	root@example.org --role administrator </dev/null"
has "$T/err" "already has this role" "and the message says so"
expect 2 "an unknown election is refused before any password" sh -c \
	"'$AGORA' user add ed@example.org --role editor --election nope \
	</dev/null"
has "$T/err" "no election 'nope'" "and the message names it"
expect 0 "an editor of one election, with a set-password link" \
	"$AGORA" user add ed@example.org --role editor --election $E --link \
	--outbox "$T/outbox" --base-url https://agora.example/
has "$T/out" "link written to" "the link's file is printed"
eml=$(ls "$T"/outbox/*.eml 2>/dev/null | head -n 1)
if [ -n "$eml" ] && grep -q "https://agora.example/reset?token=" "$eml" &&
	grep -q "^To: ed@example.org" "$eml"; then
	ok "the outbox holds the set-password link"
else
	ko "the outbox holds the set-password link"
fi
expect 0 "an existing account gets a role" "$AGORA" user add \
	ed@example.org --role candidate --election $E
expect 0 "user list --json" "$AGORA" user list --json
json "[u['email'] for u in j] == ['ed@example.org', 'root@example.org'] and j[1]['roles'] == ['administrator', 'citizen'] and j[0]['roles'] == ['editor', 'candidate', 'citizen'] and all(u['verified'] for u in j)" \
	"user list shows the accounts and their roles"
expect 0 "user list" "$AGORA" user list
has "$T/out" "administrator,citizen" "user list prints roles"
expect 0 "verify checks the audit log" "$AGORA" verify --json
json "j['ok'] and j['audit_entries'] == 5" \
	"two accounts made, three roles granted: five chained audit entries"
python3 -c "import sqlite3; c = sqlite3.connect('$AGORA_DB'); c.executescript(\"DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'role=administrator' WHERE seq = 4;\")"
expect 1 "verify finds a tampered audit entry" "$AGORA" verify
has "$T/out" "audit entry 4: its hash does not match" "and says which"
unset AGORA_PWHASH_LIMITS

# HTML after </html> is text too (extractor version 2); a document that an
# older extractor read differently gets a NOTE from verify, not a FAIL,
# while a changed text under the current version still fails
X="env AGORA_DB=$T/after.db $AGORA"
printf '%s' '<!DOCTYPE html><html><body><p>Ouvrir trois crèches dans les quartiers nord.</p></body></html><p>Planter mille arbres le long de la rivière.</p>' \
	>"$T/after.html"
expect 0 "after-html: an election" $X election add after-2026 --title "After"
expect 0 "ingest an HTML page with text after </html>" $X ingest \
	--election after-2026 --candidate "Zoé Tardive" --json "$T/after.html"
json "j['proposals'] == 2" "the text after </html> is a proposal too"
python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute(\"UPDATE document SET extracted = extracted || ' (v1)', extractor_version = 1\")
c.commit()" "$T/after.db"
expect 0 "verify: a document of extractor version 1 that differs" $X verify
has "$T/out" "NOTE document 1 was extracted by extractor version 1" \
	"is a note"
expect 0 "verify --json" $X verify --json
json "j['ok'] and len(j['notes']) == 1 and j['failures'] == []" \
	"the note is in the JSON, not among the failures"
python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('UPDATE document SET extractor_version = 2')
c.commit()" "$T/after.db"
expect 1 "verify: the same text under the current extractor" $X verify
has "$T/out" "FAIL document 1: re-extracting the original gives a different text" \
	"fails"

# PDF through poppler, on a database of its own: the pages' text, page
# numbers kept, verified by re-extraction; a broken PDF writes nothing
P="env AGORA_DB=$T/pdf.db $AGORA"
expect 0 "pdf: an election" $P election add pdf-2026 --title "PDF"
expect 0 "ingest --format pdf" $P ingest --election pdf-2026 \
	--candidate "Claire Mercier" --format pdf --json \
	"$SRC/tests/data/programme.pdf"
json "j['files'][0]['format'] == 'pdf' and j['files'][0]['proposals'] == 4" \
	"the PDF's four numbered proposals"
expect 0 "search finds a proposal of page 2" $P search --json cyclables
json "any('50 kilomètres' in r['text'] for r in j['results'])" \
	"with its text as in the PDF, accents included"
python3 -c "import sqlite3; c = sqlite3.connect('$T/pdf.db'); print(c.execute(\"SELECT group_concat(page, ',') FROM (SELECT page FROM proposal ORDER BY ordinal)\").fetchone()[0])" >"$T/out"
has "$T/out" "^1,1,2,2$" "each proposal keeps its page number"
python3 "$SRC/tests/data/make_pdf.py" "$T/auto.pdf"
expect 0 "a PDF is recognised from its bytes, whatever its name" $P \
	ingest --election pdf-2026 --candidate "Antoine Roux" --json \
	--title programme.txt "$T/auto.pdf"
json "j['files'][0]['format'] == 'pdf'" "detected as pdf"
head -c 400 "$SRC/tests/data/programme.pdf" >"$T/cut.pdf"
expect 2 "a truncated PDF is refused" $P ingest --election pdf-2026 \
	--candidate "Antoine Roux" --title cut "$T/cut.pdf"
has "$T/err" "PDF" "and the message says it is the PDF"
expect 0 "verify re-extracts the PDFs" $P verify --json
json "j['ok'] and j['documents'] == 2" \
	"two PDF documents verified, the truncated one not stored"

# the deciding commands' usage errors (cli_parse_id): exit 2 with a
# message that says what is wrong, before the database is opened
for c in "moderate --publish --reject" "claims --confirm --refuse"; do
	set -- $c
	expect 2 "agora $1 $2 and $3 together" "$AGORA" $1 7 $2 $3 why
	has "$T/err" "$2 or $3, not both" "says they do not go together"
	expect 2 "agora $1 $2 without an id" "$AGORA" $1 $2
	has "$T/err" "which" "asks which one"
	expect 2 "agora $1 with an id and no decision" "$AGORA" $1 7
	has "$T/err" "$2 or $3 REASON" "asks for the decision"
	expect 2 "agora $1 with a bad id" "$AGORA" $1 x7 $2
	has "$T/err" "'x7' is not a" "says the id is not one"
	expect 2 "agora $1 with two ids" "$AGORA" $1 7 8 $2
	has "$T/err" "'7' is not a" "refuses a second id"
done
expect 2 "agora moderate --material and --profile together" "$AGORA" \
	moderate --material --profile
has "$T/err" "--material or --profile, not both" \
	"says they do not go together"

finish
