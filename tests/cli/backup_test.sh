#!/bin/sh
# backup_test.sh AGORA SRCDIR - `agora backup` and `agora restore` as an
# operator meets them: the sample election backed up while `agora serve`
# answers requests and a writer ingests another document (the backup is
# one consistent snapshot and passes `agora verify`); the backup restored
# into a new path, served and verified; a running server, a non-empty
# database, damaged or foreign backups refused without changing a byte;
# no backup ever written over an existing file without --force.
set -u
AGORA=$1
SRC=$2
T=$(mktemp -d /tmp/agora-backup-XXXXXX)
SERVER=
cleanup() {
	if [ -n "$SERVER" ]; then
		kill "$SERVER" 2>/dev/null
		wait "$SERVER" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
export AGORA_DB="$T/live.db"
E=valbrune-2026

. "$(dirname "$0")/lib.sh"
same() { # same A B DESCRIPTION: two strings are equal
	if [ "$1" = "$2" ]; then ok "$3"; else ko "$3 ('$1' != '$2')"; fi
}
# the state of a database: its file and any WAL beside it
state() { cat "$1" "$1-wal" 2>/dev/null | sha256sum | cut -d' ' -f1; }
# documents in a database, read without writing to it
documents() {
	python3 -c "import sqlite3,sys; print(sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True).execute('SELECT count(*) FROM document').fetchone()[0])" "$1"
}
# leftovers DIR: true when a restore's temporary file is in DIR
leftovers() {
	for f in "$1"/*.restore-*; do
		[ -e "$f" ] && return 0
	done
	return 1
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# get PORT PATH: prints the status, the body in $T/body
get() {
	python3 - "$1" "$2" "$T/body" <<'PY'
import http.client, sys
try:
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
    c.request("GET", sys.argv[2])
    r = c.getresponse()
    open(sys.argv[3], "wb").write(r.read())
    print(r.status)
except OSError as e:
    print("error", e)
PY
}
# serve DB: starts a server on a free port, sets SERVER and PORT
serve() {
	PORT=$(free_port)
	AGORA_DB=$1 "$AGORA" serve --listen "127.0.0.1:$PORT" --threads 2 \
		>"$T/serve.out" 2>"$T/serve.err" &
	SERVER=$!
	i=0
	while [ $i -lt 100 ]; do
		[ "$(get "$PORT" /healthz)" = 200 ] && return 0
		kill -0 "$SERVER" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	ko "the server on '$1' did not start"
	sed 's/^/  | /' "$T/serve.err" | head -5
	return 1
}
stop() {
	kill "$SERVER"
	wait "$SERVER"
	rc=$?
	SERVER=
	same "$rc" 0 "the server stops with exit 0"
}

# help, usage
expect 0 "agora --help" "$AGORA" --help
has "$T/out" "backup" "--help lists backup"
has "$T/out" "restore" "--help lists restore"
for c in backup restore; do
	expect 0 "agora $c --help" "$AGORA" "$c" --help
	has "$T/out" "usage: agora $c" "$c --help shows its usage"
	expect 2 "$c without FILE is bad usage" "$AGORA" "$c"
done
expect 2 "backup --step 0 is bad usage" "$AGORA" backup --step 0 "$T/x"
expect 2 "backup of no database says so" "$AGORA" --db "$T/none.db" \
	backup "$T/x"
has "$T/err" "no database" "and names the problem"

# the sample election, loaded as ./run does
"$AGORA" election add $E --title "Municipales 2026 — Valbrune" \
	--date 2026-03-15 >/dev/null || ko "election add"
C="$SRC/corpus/$E"
tab=$(printf '\t')
tail -n +2 "$C/candidates.tsv" >"$T/cands"
while IFS="$tab" read -r file given family party url; do
	"$AGORA" --quiet ingest --election $E --candidate "$given $family" \
		--family-name "$family" --party "$party" --source-url "$url" \
		"$C/$file" >/dev/null || ko "ingest $file"
done <"$T/cands"
same "$(documents "$AGORA_DB")" 4 "the sample election is loaded"

# another document, for a writer running beside the backup
{
	printf '# Programme de Léa Nouvelle\n\n## Transports\n\n'
	i=0
	while [ $i -lt 300 ]; do
		printf -- '- Ouvrir la ligne de bus numéro %d le dimanche.\n' $i
		i=$((i + 1))
	done
} >"$T/nouvelle.md"

# --- backup while the server answers and a writer writes
serve "$AGORA_DB" || exit 1
same "$(get "$PORT" /healthz)" 200 "the live server answers /healthz"
# slowed down (one page per step, 100 ms between steps) so that the
# writer and the requests happen while the backup runs
(
	"$AGORA" backup --step 1 --pause 100 --json "$T/b1.db" >"$T/b1.out" \
		2>"$T/b1.err"
	echo $? >"$T/b1.rc"
	date +%s%N >"$T/b1.end"
) &
BACKUP=$!
# the snapshot starts just after FILE.tmp is made: the writer commits
# after it
i=0
while [ ! -e "$T/b1.db.tmp" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.3
(
	"$AGORA" --quiet ingest --election $E --candidate "Léa Nouvelle" \
		--family-name Nouvelle "$T/nouvelle.md" >"$T/w.out" 2>"$T/w.err"
	echo $? >"$T/w.rc"
	date +%s%N >"$T/w.end"
) &
WRITER=$!
served=0
requests=0
while kill -0 "$BACKUP" 2>/dev/null; do
	requests=$((requests + 1))
	[ "$(get "$PORT" "/e/$E/compare?theme=transport")" = 200 ] &&
		served=$((served + 1))
done
wait "$BACKUP"
wait "$WRITER"
same "$(cat "$T/b1.rc")" 0 "backup while serving and writing"
sed 's/^/  | /' "$T/b1.err" | head -5
same "$(cat "$T/w.rc")" 0 "the writer ingests while the backup runs"
sed 's/^/  | /' "$T/w.err" | head -5
if [ "$(cat "$T/w.end")" -lt "$(cat "$T/b1.end")" ]; then
	ok "the writer was not held up by the backup (done before it)"
else
	ko "the writer finished after the backup"
fi
if [ "$requests" -gt 0 ] && [ "$served" = "$requests" ]; then
	ok "the server answered all $requests requests during the backup"
else
	ko "the server answered $served of $requests requests"
fi
same "$(documents "$AGORA_DB")" 5 "the writer's document is in the live database"
same "$(documents "$T/b1.db")" 4 \
	"the backup is the snapshot taken when it started"
cp "$T/b1.out" "$T/out"
json "j['counts'] == {'elections': 1, 'documents': 4, 'proposals': j['counts']['proposals'], 'primaries': 0, 'ballots': 0} and j['counts']['proposals'] > 100" \
	"the backup reports its counts"
json "j['schema_version'] >= 1 and j['bytes'] == $(wc -c <"$T/b1.db")" \
	"the backup reports its schema version and size"
json "j['sha256'] == '$(sha256sum "$T/b1.db" | cut -d' ' -f1)'" \
	"the backup reports its SHA-256"
if [ ! -e "$T/b1.db-wal" ] && [ ! -e "$T/b1.db.tmp" ]; then
	ok "the backup is one file, no temporary left"
else
	ko "files left beside the backup: $(ls "$T")"
fi
if [ "$(stat -c %a "$T/b1.db")" = 600 ]; then
	ok "the backup is readable by its owner only"
else
	ko "the backup's mode is $(stat -c %a "$T/b1.db")"
fi
# check a copy: opening a database puts it in WAL mode, a new header
cp "$T/b1.db" "$T/b1-check.db"
expect 0 "agora verify passes on the backup" "$AGORA" --db "$T/b1-check.db" \
	verify
has "$T/out" "verify: ok" "and says so"

# a second backup while serving, text output
expect 0 "backup while serving, text output" "$AGORA" backup "$T/b2.db"
has "$T/out" "5 documents" "prints what it holds"
has "$T/out" "sha256" "prints the SHA-256"
has "$T/out" "schema" "prints the schema version"

# a running server: restore refuses, the database untouched
before=$(state "$AGORA_DB")
expect 1 "restore over a database a server has open is refused" \
	"$AGORA" restore --force "$T/b1.db"
has "$T/err" "in use" "and says why"
has "$T/err" "agora serve" "and names the likely server"
same "$(state "$AGORA_DB")" "$before" "the served database is unchanged"
stop

# --- restore into a new path, serve it, verify it
R="$T/restored/agora.db"
mkdir "$T/restored"
expect 0 "restore into a new path" "$AGORA" --db "$R" restore "$T/b1.db"
has "$T/out" "verify: ok" "restore verifies the copy"
if leftovers "$T/restored"; then
	ko "restore left a temporary file: $(ls "$T/restored")"
else
	ok "restore leaves no temporary file"
fi
same "$(stat -c %a "$R")" 644 "a new database gets mode 644"
serve "$R" || exit 1
same "$(get "$PORT" /healthz)" 200 "the restored database serves /healthz"
same "$(get "$PORT" "/e/$E/compare?theme=transport")" 200 \
	"the restored database serves a compare page"
has "$T/body" "Transports" "with the theme's proposals"
same "$(get "$PORT" "/api/v1/elections/$E/candidates")" 200 \
	"the restored database serves the API"
stop
expect 0 "agora verify on the restored database" "$AGORA" --db "$R" verify
has "$T/out" "verify: ok" "every proposal verbatim"

# --- bad backups: refused with exit 2, nothing changed, nothing left
before=$(state "$AGORA_DB")
printf 'not a database at all\n' >"$T/text.db"
: >"$T/empty.db"
head -c 50 "$T/b1.db" >"$T/header.db"
size=$(wc -c <"$T/b1.db")
head -c $((size / 2)) "$T/b1.db" >"$T/half.db"
cp "$T/b1.db" "$T/corrupt.db"
python3 -c "
import sys
f = open(sys.argv[1], 'r+b')
f.seek(int(sys.argv[2]) // 4)
f.write(bytes([0x55]) * (int(sys.argv[2]) // 2))" "$T/corrupt.db" "$size"
python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE t (x)')
c.commit()" "$T/foreign.db"
cp "$T/b1.db" "$T/newer.db"
python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('PRAGMA user_version = 9999')
c.commit()" "$T/newer.db"
for bad in text:"not an SQLite database" empty:empty \
	header:"damaged or truncated" half:"damaged or truncated" \
	corrupt:"damaged" foreign:"not agora's" newer:"newer than this agora" \
	missing:"cannot read"; do
	name=${bad%%:*}
	why=${bad#*:}
	expect 2 "restore of a $name backup is refused" "$AGORA" restore \
		--force "$T/$name.db"
	has "$T/err" "$why" "and says why ($why)"
	same "$(state "$AGORA_DB")" "$before" \
		"the $name backup changed nothing"
done
if leftovers "$T"; then
	ko "a refused restore left a temporary file: $(ls "$T")"
else
	ok "refused restores leave no temporary file"
fi
if [ ! -e "$T/fresh.db" ]; then
	expect 2 "a bad backup into a new path is refused" "$AGORA" \
		--db "$T/fresh.db" restore "$T/half.db"
	if [ -e "$T/fresh.db" ]; then ko "and created the database"; else
		ok "and creates no database"
	fi
fi

# a sound SQLite file whose texts were edited: agora verify catches it
cp "$T/b1.db" "$T/tampered.db"
python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute(\"UPDATE document SET extracted = extracted || ' (edited)' WHERE id = 1\")
c.commit()" "$T/tampered.db"
expect 1 "restore of a backup that fails verification is refused" \
	"$AGORA" restore --force "$T/tampered.db"
has "$T/err" "fails verification" "and says why"
has "$T/out" "FAIL document 1" "with the failure"
same "$(state "$AGORA_DB")" "$before" "the tampered backup changed nothing"

# --- restore over a database that holds data
before=$(state "$AGORA_DB")
expect 2 "restore over a non-empty database without --force is refused" \
	"$AGORA" restore "$T/b1.db"
has "$T/err" "not empty" "and says why"
has "$T/err" "\-\-force" "and how to proceed"
same "$(state "$AGORA_DB")" "$before" "the database is unchanged"
expect 2 "restoring the database onto itself is refused" "$AGORA" \
	restore --force "$AGORA_DB"
expect 0 "restore --force over it" "$AGORA" restore --force --json \
	"$T/b1.db"
json "j['verify']['ok'] and j['counts']['documents'] == 4" \
	"restore --json reports the verified counts"
# agora keeps an emptied -wal and the -shm when it closes a database
# (core/db.c: so that read-only storage can still be read); what must
# never be there is the old database's log
if [ ! -s "$AGORA_DB-wal" ]; then
	ok "no stale -wal beside the restored database"
else
	ko "stale files beside the database: $(ls "$T")"
fi
same "$(documents "$AGORA_DB")" 4 "the database is the backup's again"
expect 0 "agora verify after restore --force" "$AGORA" verify

# a database reached through a symbolic link is restored where it leads
ln -s "$R" "$T/link.db"
expect 0 "restore --force through a symbolic link" "$AGORA" --db "$T/link.db" \
	restore --force "$T/b2.db"
if [ -L "$T/link.db" ] && [ "$(documents "$R")" = 5 ]; then
	ok "the link stays, the file it leads to is restored"
else
	ko "the link was replaced, or its file not restored"
fi

# an older backup is migrated: every table, view, trigger and index that
# migration 1 (released, never edited) did not create is dropped, and the
# version set to 1
cp "$T/b1.db" "$T/old.db"
python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('PRAGMA foreign_keys = OFF')
keep = {'candidate', 'document', 'election', 'meta', 'proposal',
        'proposal_fts', 'proposal_theme', 'theme', 'current_document',
        'proposal_searchable', 'candidate_generation',
        'candidate_generation_u', 'document_generation', 'document_original',
        'document_status', 'document_supersede', 'election_generation',
        'election_generation_u', 'proposal_au', 'proposal_bd',
        'theme_generation', 'candidate_election', 'document_sha',
        'proposal_theme_theme'}
for kind in ('trigger', 'view', 'index', 'table'):
    names = [r[0] for r in c.execute(
        'SELECT name FROM sqlite_master WHERE type = ? AND sql IS NOT NULL'
        \" AND name NOT LIKE 'proposal_fts_%'\", (kind,))]
    for n in names:
        if n not in keep:
            c.execute('DROP %s %s' % (kind.upper(), n))
# migration 1 made this index; a later migration dropped it
c.execute('CREATE INDEX IF NOT EXISTS proposal_theme_theme'
          ' ON proposal_theme(theme_id, proposal_id)')
c.execute('PRAGMA user_version = 1')
c.commit()" "$T/old.db"
expect 0 "an older backup is restored" "$AGORA" --db "$T/old-restored.db" \
	restore --json "$T/old.db"
json "j['migrated_from'] == 1 and j['schema_version'] > 1 and j['counts']['primaries'] == 0" \
	"and migrated to the current schema"

# --- backup never writes over a file without --force
printf 'precious\n' >"$T/precious"
before=$(state "$T/precious")
expect 2 "backup over an existing file is refused" "$AGORA" backup \
	"$T/precious"
has "$T/err" "exists" "and says why"
has "$T/err" "\-\-force" "and how to proceed"
same "$(state "$T/precious")" "$before" "the file is unchanged"
: >"$T/b3.db.tmp"
expect 2 "a leftover FILE.tmp stops a backup" "$AGORA" backup "$T/b3.db"
has "$T/err" "b3.db.tmp" "and names it"
rm -f "$T/b3.db.tmp"
expect 2 "backup onto the database itself is refused" "$AGORA" backup \
	--force "$AGORA_DB"
expect 0 "backup --force replaces the file" "$AGORA" backup --force \
	"$T/precious"
if [ "$(state "$T/precious")" != "$before" ] &&
	[ "$(documents "$T/precious")" = 4 ]; then
	ok "and the file is now the backup"
else
	ko "backup --force did not replace the file"
fi

# a primary's supports: SQLite 3.40's integrity check reports "NULL value
# in support.primary_id" for every row of that WITHOUT ROWID table
# though none is NULL; a backup and a restore see through it
S="$T/supports.db"
AGORA_DB="$S" "$AGORA" primary create sup-2027 --title "Soutiens" \
	--open >/dev/null &&
	AGORA_DB="$S" "$AGORA" primary candidate add sup-2027 \
		--name "Ana Lopez" >/dev/null
python3 - "$S" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("INSERT INTO user(email, display_name, email_verified)"
            " VALUES ('a@example.org', 'A', 1)")
con.execute("INSERT INTO support(primary_id, candidate_id, user_id)"
            " SELECT primary_id, id, 1 FROM primary_candidate")
con.commit()
PY
expect 0 "a database with a support is backed up" "$AGORA" --db "$S" \
	backup "$T/sup-backup.db"
expect 0 "and restored" "$AGORA" --db "$T/sup-restored.db" restore \
	"$T/sup-backup.db"
same "$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM support WHERE primary_id IS NOT NULL').fetchone()[0])" "$T/sup-restored.db")" 1 \
	"with its support"

finish
