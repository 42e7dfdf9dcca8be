/*
 * schema.c - the whole schema of agora, as numbered migrations.
 *
 * core/ is the one owner of the schema. Migration N brings a database
 * from user_version N-1 to N; db_open() applies the missing ones in one
 * transaction. A migration is never edited once released: add a new one.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core.h"
#include "core_int.h"

static const char *const migration_1[] = {
	/* An election whose programmes are compared, or a primary's. */
	/*
	 * Enumerations are CHECKed with OR, not IN (...): SQLite builds a
	 * temporary b-tree for an IN list of three or more constants on
	 * every insert, which cost a quarter of ingest's time.
	 */
	"CREATE TABLE election ("
	" id INTEGER PRIMARY KEY,"
	" slug TEXT NOT NULL UNIQUE,"
	" title TEXT NOT NULL,"
	" kind TEXT NOT NULL DEFAULT 'programmes'"
	"  CHECK (kind = 'programmes' OR kind = 'primary'),"
	" date TEXT,"
	" language TEXT NOT NULL DEFAULT 'fr',"
	/* the neutral order shown everywhere: a stated rule */
	" candidate_order TEXT NOT NULL DEFAULT 'alphabetical'"
	"  CHECK (candidate_order = 'alphabetical'"
	"   OR candidate_order = 'shuffled'),"
	" created_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
	");",
	"CREATE TABLE candidate ("
	" id INTEGER PRIMARY KEY,"
	" election_id INTEGER NOT NULL REFERENCES election(id),"
	" slug TEXT NOT NULL,"
	" given_name TEXT NOT NULL DEFAULT '',"
	" family_name TEXT NOT NULL,"
	" party TEXT NOT NULL DEFAULT '',"
	/* folded family then given name: the alphabetical rule */
	" sort_key TEXT NOT NULL,"
	" created_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" UNIQUE (election_id, slug)"
	");",
	/*
	 * The stored original, byte for byte, and the text extracted from
	 * it; a corrected programme is a new version with the same title.
	 */
	"CREATE TABLE document ("
	" id INTEGER PRIMARY KEY,"
	" candidate_id INTEGER NOT NULL REFERENCES candidate(id),"
	" kind TEXT NOT NULL DEFAULT 'programme'"
	"  CHECK (kind = 'programme' OR kind = 'material'),"
	" version INTEGER NOT NULL CHECK (version >= 1),"
	" title TEXT NOT NULL,"
	" media_type TEXT NOT NULL,"
	" format TEXT NOT NULL,"
	" source_url TEXT,"
	" sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
	" extractor_version INTEGER NOT NULL,"
	" submitted_by INTEGER,"
	" submitted_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" status TEXT NOT NULL DEFAULT 'published'"
	"  CHECK (status = 'pending' OR status = 'published'"
	"   OR status = 'rejected'),"
	/*
	 * The large values come last: a column stored after them would be
	 * reached only by walking their overflow pages, on every lookup of
	 * a document's status (which made each proposal insert read the
	 * whole original back).
	 */
	" original BLOB NOT NULL,"
	" extracted TEXT NOT NULL,"
	" UNIQUE (candidate_id, kind, title, version)"
	");",
	"CREATE INDEX document_sha ON document(candidate_id, sha256);",
	/* text is exactly substr(extracted, start + 1, end - start), bytes */
	"CREATE TABLE proposal ("
	" id INTEGER PRIMARY KEY,"
	" document_id INTEGER NOT NULL REFERENCES document(id),"
	" ordinal INTEGER NOT NULL,"
	" start INTEGER NOT NULL CHECK (start >= 0),"
	" end INTEGER NOT NULL CHECK (end > start),"
	" kind TEXT NOT NULL DEFAULT 'paragraph',"
	" heading_path TEXT NOT NULL DEFAULT '',"
	" label TEXT,"
	" page INTEGER,"
	" text TEXT NOT NULL,"
	" UNIQUE (document_id, ordinal)"
	");",
	"CREATE TABLE theme ("
	" id INTEGER PRIMARY KEY,"
	" slug TEXT NOT NULL UNIQUE,"
	" label_fr TEXT NOT NULL,"
	" label_en TEXT NOT NULL,"
	" parent_id INTEGER REFERENCES theme(id),"
	" is_group INTEGER NOT NULL DEFAULT 0,"
	" position INTEGER NOT NULL"
	");",
	"CREATE TABLE proposal_theme ("
	" proposal_id INTEGER NOT NULL REFERENCES proposal(id),"
	" theme_id INTEGER NOT NULL REFERENCES theme(id),"
	" origin TEXT NOT NULL"
	"  CHECK (origin = 'heading' OR origin = 'label' OR origin = 'rule'"
	"   OR origin = 'editor'),"
	" confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),"
	" status TEXT NOT NULL DEFAULT 'suggested'"
	"  CHECK (status = 'suggested' OR status = 'confirmed'"
	"   OR status = 'rejected'),"
	" editor_id INTEGER,"
	" decided_at TEXT,"
	" PRIMARY KEY (proposal_id, theme_id)"
	") WITHOUT ROWID;",
	"CREATE INDEX proposal_theme_theme ON proposal_theme(theme_id,"
	" proposal_id);",
	"CREATE INDEX candidate_election ON candidate(election_id, sort_key);",
	/*
	 * The current version of each programme: the newest published
	 * version of each (candidate, title).
	 */
	"CREATE VIEW current_document AS"
	" SELECT d.id, d.candidate_id, d.kind, d.version, d.title,"
	" d.media_type, d.format, d.source_url, d.sha256, d.submitted_at,"
	" d.status FROM document d"
	" WHERE d.status = 'published' AND d.kind = 'programme'"
	" AND NOT EXISTS (SELECT 1 FROM document n"
	"  WHERE n.candidate_id = d.candidate_id AND n.kind = d.kind"
	"  AND n.title = d.title AND n.status = 'published'"
	"  AND n.version > d.version);",
	/*
	 * What search sees: the proposals of current programmes only, so
	 * that a query never pays for superseded versions (they stay stored
	 * and readable). The full-text index is external content over this
	 * view. ingest inserts each new proposal into it (a trigger would
	 * make FTS5 flush its pending terms at every statement: 4x slower),
	 * the triggers below handle deletions and superseded versions, and
	 * `agora verify` runs FTS5's 'integrity-check' to prove them equal.
	 */
	"CREATE VIEW proposal_searchable AS"
	" SELECT p.id, p.text FROM proposal p"
	" JOIN current_document d ON d.id = p.document_id;",
	"CREATE VIRTUAL TABLE proposal_fts USING fts5("
	" text, content='proposal_searchable', content_rowid='id',"
	" tokenize='agora_fr');",
	"CREATE TRIGGER proposal_bd BEFORE DELETE ON proposal"
	" WHEN EXISTS (SELECT 1 FROM current_document d"
	"  WHERE d.id = old.document_id) BEGIN"
	" INSERT INTO proposal_fts(proposal_fts, rowid, text)"
	"  VALUES ('delete', old.id, old.text);"
	"END;",
	"CREATE TRIGGER proposal_au BEFORE UPDATE OF text, start, end,"
	" document_id ON proposal BEGIN"
	" SELECT RAISE(ABORT, 'proposal text is verbatim and never changes');"
	"END;",
	/*
	 * A newly published version takes the previous current version's
	 * proposals out of the index. Documents are insert-only: a change of
	 * status, version or owner would desynchronise the index, so the
	 * schema refuses it until moderation brings its own triggers.
	 */
	"CREATE TRIGGER document_supersede AFTER INSERT ON document"
	" WHEN new.status = 'published' AND new.kind = 'programme' BEGIN"
	" INSERT INTO proposal_fts(proposal_fts, rowid, text)"
	"  SELECT 'delete', p.id, p.text FROM proposal p"
	"  WHERE p.document_id = (SELECT o.id FROM document o"
	"   WHERE o.candidate_id = new.candidate_id AND o.kind = new.kind"
	"   AND o.title = new.title AND o.status = 'published'"
	"   AND o.version < new.version ORDER BY o.version DESC LIMIT 1);"
	"END;",
	/*
	 * Bumped whenever what search sees may change (a new document), so
	 * that per-connection search caches know when to rebuild, whatever
	 * else (ballots, sessions) is written.
	 */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)"
	" WITHOUT ROWID;",
	"INSERT INTO meta(key, value) VALUES ('search_generation', 0);",
	"CREATE TRIGGER document_generation AFTER INSERT ON document BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	/* the web's page caches also show elections and candidates */
	"CREATE TRIGGER election_generation AFTER INSERT ON election BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"CREATE TRIGGER election_generation_u AFTER UPDATE ON election BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"CREATE TRIGGER candidate_generation AFTER INSERT ON candidate BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"CREATE TRIGGER candidate_generation_u AFTER UPDATE ON candidate"
	" BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"CREATE TRIGGER theme_generation AFTER UPDATE ON proposal_theme BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"CREATE TRIGGER document_status BEFORE UPDATE OF status, version,"
	" title, candidate_id, kind ON document BEGIN"
	" SELECT RAISE(ABORT, 'a document is never moved or re-versioned');"
	"END;",
	"CREATE TRIGGER document_original BEFORE UPDATE OF original, sha256"
	" ON document BEGIN"
	" SELECT RAISE(ABORT, 'a stored original never changes');"
	"END;",
	NULL,
};

/*
 * The citizen primary (issue 5). Ballots carry no user id, no address,
 * no time finer than the day: nothing links a voter to a ballot. A
 * credential is only a public key; the private code was handed to a
 * person and never stored. One counted ballot per credential is held by
 * a unique index, not by application checks alone.
 */
static const char *const migration_2[] = {
	"CREATE TABLE primary_election ("
	" id INTEGER PRIMARY KEY,"
	" slug TEXT NOT NULL UNIQUE,"
	" title TEXT NOT NULL,"
	/* its programmes are compared under this election (kind primary) */
	" election_id INTEGER NOT NULL UNIQUE REFERENCES election(id),"
	" phase TEXT NOT NULL DEFAULT 'declaration'"
	"  CHECK (phase = 'declaration' OR phase = 'support'"
	"   OR phase = 'vote' OR phase = 'closed'),"
	/* a JSON array of 2..10 labels, worst first */
	" grades TEXT NOT NULL CHECK (json_valid(grades)"
	"  AND json_array_length(grades) BETWEEN 2 AND 10),"
	" support_threshold INTEGER NOT NULL DEFAULT 500"
	"  CHECK (support_threshold >= 0),"
	" max_supports INTEGER NOT NULL DEFAULT 5 CHECK (max_supports >= 1),"
	" lot_size INTEGER CHECK (lot_size IS NULL OR lot_size >= 1),"
	" allow_blank INTEGER NOT NULL DEFAULT 0 CHECK (allow_blank = 0 OR allow_blank = 1),"
	" results_public INTEGER NOT NULL DEFAULT 0"
	"  CHECK (results_public = 0 OR results_public = 1),"
	" created_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" public_key BLOB"
	");",
	/* every phase change, with its date: the lifecycle's record */
	"CREATE TABLE primary_phase ("
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" seq INTEGER NOT NULL,"
	" phase TEXT NOT NULL,"
	" at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" PRIMARY KEY (primary_id, seq)"
	") WITHOUT ROWID;",
	"CREATE TABLE primary_candidate ("
	" id INTEGER PRIMARY KEY,"
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" slug TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" statement TEXT NOT NULL DEFAULT '',"
	/* organiser: a closed list, qualified at once; citizen: by supports */
	" registered_by TEXT NOT NULL"
	"  CHECK (registered_by = 'organiser' OR registered_by = 'citizen'),"
	" status TEXT NOT NULL DEFAULT 'declared'"
	"  CHECK (status = 'declared' OR status = 'qualified'"
	"   OR status = 'withdrawn'),"
	" supports INTEGER NOT NULL DEFAULT 0 CHECK (supports >= 0),"
	" UNIQUE (primary_id, slug)"
	");",
	"CREATE TABLE credential ("
	" id INTEGER PRIMARY KEY,"
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" public_key BLOB NOT NULL CHECK (length(public_key) = 32),"
	" issued_on TEXT NOT NULL DEFAULT (date('now')),"
	" UNIQUE (primary_id, public_key)"
	");",
	/*
	 * Every accepted ballot, replaced ones included (the board will
	 * show them all); the counted one per credential is the newest.
	 */
	"CREATE TABLE ballot ("
	" id INTEGER PRIMARY KEY,"
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" credential_id INTEGER NOT NULL REFERENCES credential(id),"
	" receipt TEXT NOT NULL UNIQUE CHECK (length(receipt) = 64),"
	" body TEXT NOT NULL,"
	" signature BLOB NOT NULL CHECK (length(signature) = 64),"
	" cast_on TEXT NOT NULL DEFAULT (date('now')),"
	" counted INTEGER NOT NULL DEFAULT 1 CHECK (counted = 0 OR counted = 1),"
	/*
	 * The body's grades again, one byte per qualified candidate in slug
	 * order (255: not on this ballot), decoded from the verified body
	 * in the same transaction: what a recount of 10^7 ballots reads,
	 * through the covering index below, instead of parsing 10^7 JSON
	 * bodies. `agora primary recount --bodies` checks both agree.
	 */
	" grades BLOB NOT NULL"
	");",
	"CREATE UNIQUE INDEX ballot_counted ON ballot(credential_id)"
	" WHERE counted = 1;",
	"CREATE INDEX ballot_tally ON ballot(primary_id, grades)"
	" WHERE counted = 1;",
	/* the live counters, updated in the ballot's own transaction */
	"CREATE TABLE tally ("
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" candidate_id INTEGER NOT NULL REFERENCES primary_candidate(id),"
	" grade INTEGER NOT NULL CHECK (grade >= 0 AND grade < 10),"
	" count INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),"
	" PRIMARY KEY (candidate_id, grade)"
	") WITHOUT ROWID;",
	/* a stored ballot never changes, except to stop being counted */
	"CREATE TRIGGER ballot_immutable BEFORE UPDATE OF id, primary_id,"
	" credential_id, receipt, body, signature, cast_on, grades ON ballot"
	" BEGIN"
	" SELECT RAISE(ABORT, 'a stored ballot never changes');"
	"END;",
	"CREATE TRIGGER ballot_uncount BEFORE UPDATE OF counted ON ballot"
	" WHEN new.counted = 1 BEGIN"
	" SELECT RAISE(ABORT, 'a replaced ballot is never counted again');"
	"END;",
	"CREATE TRIGGER ballot_delete BEFORE DELETE ON ballot BEGIN"
	" SELECT RAISE(ABORT, 'a stored ballot is never deleted');"
	"END;",
	/*
	 * The public bulletin board: per primary, an append-only chain of
	 * entries, each hashing the previous one (doc/board.md).
	 */
	"CREATE TABLE board ("
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" seq INTEGER NOT NULL CHECK (seq >= 0),"
	" prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),"
	" type TEXT NOT NULL,"
	" payload TEXT NOT NULL,"
	" hash TEXT NOT NULL CHECK (length(hash) = 64),"
	" PRIMARY KEY (primary_id, seq)"
	") WITHOUT ROWID;",
	"CREATE TRIGGER board_immutable BEFORE UPDATE ON board BEGIN"
	" SELECT RAISE(ABORT, 'the board is append-only');"
	"END;",
	"CREATE TRIGGER board_delete BEFORE DELETE ON board BEGIN"
	" SELECT RAISE(ABORT, 'the board is append-only');"
	"END;",
	/*
	 * The organiser's signing key for the result. Kept apart from the
	 * public tables; whoever holds the database file holds it.
	 */
	"CREATE TABLE primary_secret ("
	" primary_id INTEGER PRIMARY KEY REFERENCES primary_election(id),"
	" secret_key BLOB NOT NULL CHECK (length(secret_key) = 64)"
	");",
	NULL,
};

/*
 * Migration 3: accounts, roles, sessions, one-time links (issue 4).
 * Secrets are never stored: a session or link token is 32 random bytes
 * held by the browser or the e-mail, the database keeps its SHA-256.
 * Times that are compared (expiry) are Unix seconds.
 */
static const char *const migration_3[] = {
	/* email is stored lower-cased; password_hash NULL: none set yet */
	"CREATE TABLE user ("
	" id INTEGER PRIMARY KEY,"
	" email TEXT NOT NULL UNIQUE,"
	" display_name TEXT NOT NULL DEFAULT '',"
	" password_hash TEXT,"
	" email_verified INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
	");",
	/*
	 * Roles: an editor is an editor of one election (or of all when
	 * election_id is NULL); a candidate is linked to one candidacy
	 * once an administrator or editor confirms it (candidate_id NULL
	 * until then).
	 */
	"CREATE TABLE user_role ("
	" user_id INTEGER NOT NULL REFERENCES user(id),"
	" role TEXT NOT NULL"
	"  CHECK (role = 'administrator' OR role = 'editor'"
	"   OR role = 'candidate' OR role = 'citizen'),"
	" election_id INTEGER REFERENCES election(id),"
	" candidate_id INTEGER REFERENCES candidate(id),"
	" granted_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
	");",
	"CREATE UNIQUE INDEX user_role_u ON user_role(user_id, role,"
	" coalesce(election_id, 0), coalesce(candidate_id, 0));",
	"CREATE TABLE session ("
	" token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	" user_id INTEGER NOT NULL REFERENCES user(id),"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL"
	") WITHOUT ROWID;",
	"CREATE INDEX session_user ON session(user_id);",
	/* e-mail verification and password reset links, used once */
	"CREATE TABLE user_link ("
	" token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	" user_id INTEGER NOT NULL REFERENCES user(id),"
	" purpose TEXT NOT NULL CHECK (purpose = 'verify' OR purpose = 'reset'),"
	" expires_at INTEGER NOT NULL,"
	" used_at INTEGER"
	") WITHOUT ROWID;",
	/*
	 * Account and role changes, append-only and hash-chained: hash is
	 * SHA-256 over the entry's fields and prev_hash (the previous
	 * entry's hash, 64 zeros for the first); `agora verify` recomputes
	 * the chain. actor is NULL for the command line. Objects name
	 * accounts by id, never by e-mail address.
	 */
	"CREATE TABLE audit ("
	" seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	" at TEXT NOT NULL,"
	" actor INTEGER REFERENCES user(id),"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),"
	" hash TEXT NOT NULL CHECK (length(hash) = 64)"
	");",
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
	" SELECT RAISE(ABORT, 'the audit log is append-only');"
	"END;",
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
	" SELECT RAISE(ABORT, 'the audit log is append-only');"
	"END;",
	/* server-side keys shared by every web node (the CSRF key) */
	"CREATE TABLE secret (name TEXT PRIMARY KEY, value BLOB NOT NULL)"
	" WITHOUT ROWID;",
	NULL,
};

/*
 * The ballots of one credential, by credential: numbering a ballot
 * (count of the credential's ballots) must not scan every ballot of the
 * primary, or casting slows down as the vote goes on.
 */
static const char *const migration_4[] = {
	"CREATE INDEX ballot_credential ON ballot(credential_id);",
	NULL,
};

/*
 * Moderation of submitted documents (issue 4, candidates): a document
 * arrives pending, and an editor publishes or rejects it. Only those
 * two moves exist; version, title, owner and kind still never change.
 * The full-text index follows the status: a document that becomes
 * published and is then the newest published version of its title
 * enters the index, and takes the previous current version out; a
 * pending or rejected one is never in it. The decision (who, when,
 * the reason the candidate reads) lives in its own table, not in a
 * column of document stored after the large original.
 */
static const char *const migration_moderation[] = {
	"DROP TRIGGER document_status;",
	"CREATE TRIGGER document_fixed BEFORE UPDATE OF version, title,"
	" candidate_id, kind ON document BEGIN"
	" SELECT RAISE(ABORT, 'a document is never moved or re-versioned');"
	"END;",
	"CREATE TRIGGER document_status BEFORE UPDATE OF status ON document"
	" WHEN new.status IS NOT old.status AND NOT (old.status = 'pending'"
	"  AND (new.status = 'published' OR new.status = 'rejected')) BEGIN"
	" SELECT RAISE(ABORT, 'only a pending document is published or"
	" rejected');"
	"END;",
	/* AFTER: current_document already sees the new status */
	"CREATE TRIGGER document_publish AFTER UPDATE OF status ON document"
	" WHEN old.status = 'pending' AND new.status = 'published'"
	" AND new.kind = 'programme' AND NOT EXISTS (SELECT 1 FROM document n"
	"  WHERE n.candidate_id = new.candidate_id AND n.kind = new.kind"
	"  AND n.title = new.title AND n.status = 'published'"
	"  AND n.version > new.version) BEGIN"
	" INSERT INTO proposal_fts(proposal_fts, rowid, text)"
	"  SELECT 'delete', p.id, p.text FROM proposal p"
	"  WHERE p.document_id = (SELECT o.id FROM document o"
	"   WHERE o.candidate_id = new.candidate_id AND o.kind = new.kind"
	"   AND o.title = new.title AND o.status = 'published'"
	"   AND o.version < new.version ORDER BY o.version DESC LIMIT 1);"
	" INSERT INTO proposal_fts(rowid, text)"
	"  SELECT p.id, p.text FROM proposal p WHERE p.document_id = new.id;"
	"END;",
	"CREATE TRIGGER document_generation_u AFTER UPDATE OF status"
	" ON document BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"CREATE TABLE document_decision ("
	" document_id INTEGER PRIMARY KEY REFERENCES document(id),"
	" decision TEXT NOT NULL"
	"  CHECK (decision = 'published' OR decision = 'rejected'),"
	" reason TEXT NOT NULL DEFAULT '',"
	" decided_by INTEGER REFERENCES user(id),"
	" decided_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
	");",
	"CREATE INDEX document_pending ON document(status)"
	" WHERE status = 'pending';",
	NULL,
};

/*
 * Editors (issue 4): context notes on proposals and their history.
 * A note is a separate object, never part of a proposal's text; each
 * edit appends a version (who, when, body, sources), so every earlier
 * wording stays readable; the current one is the highest version.
 * sources are http(s) URLs, one per line, checked by editor/. What
 * voters see changes with a note or with a theme an editor adds, so
 * both bump the page caches' generation (decisions on suggested themes
 * already do, through theme_generation).
 */
static const char *const migration_editors[] = {
	"CREATE TABLE note ("
	" id INTEGER PRIMARY KEY,"
	" proposal_id INTEGER NOT NULL REFERENCES proposal(id),"
	" created_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
	");",
	"CREATE INDEX note_proposal ON note(proposal_id);",
	"CREATE TABLE note_version ("
	" note_id INTEGER NOT NULL REFERENCES note(id),"
	" version INTEGER NOT NULL CHECK (version >= 1),"
	" editor_id INTEGER NOT NULL REFERENCES user(id),"
	" body TEXT NOT NULL CHECK (length(body) >= 1),"
	" sources TEXT NOT NULL CHECK (length(sources) >= 8),"
	" at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" PRIMARY KEY (note_id, version)"
	") WITHOUT ROWID;",
	"CREATE TRIGGER note_move BEFORE UPDATE ON note BEGIN"
	" SELECT RAISE(ABORT, 'a note is edited by adding a version');"
	"END;",
	"CREATE TRIGGER note_delete BEFORE DELETE ON note BEGIN"
	" SELECT RAISE(ABORT, 'a note and its history are kept');"
	"END;",
	"CREATE TRIGGER note_version_update BEFORE UPDATE ON note_version"
	" BEGIN"
	" SELECT RAISE(ABORT, 'a note version never changes');"
	"END;",
	"CREATE TRIGGER note_version_delete BEFORE DELETE ON note_version"
	" BEGIN"
	" SELECT RAISE(ABORT, 'a note and its history are kept');"
	"END;",
	"CREATE TRIGGER note_generation AFTER INSERT ON note_version BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	/* not for ingest's own suggestions: it bumps once per document */
	"CREATE TRIGGER theme_generation_i AFTER INSERT ON proposal_theme"
	" WHEN new.origin = 'editor' BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	NULL,
};

/*
 * The citizen's side of the primary (issue 5): citizen candidacies and
 * their accounts, supports, and who received an open-mode credential.
 * Supports are public only as counts (primary_candidate.supports, kept
 * exact by the triggers below in the support's own transaction); the
 * support rows say which account supports which candidate and are never
 * shown. credential_issued says that an account received a credential
 * for a primary, on which day, never which one: no key, no credential
 * id, nothing finer than the day.
 */
static const char *const migration_citizen[] = {
	/* open mode: verified citizens ask the server for a credential */
	"ALTER TABLE primary_election ADD COLUMN open_mode INTEGER NOT NULL"
	" DEFAULT 0 CHECK (open_mode = 0 OR open_mode = 1);",
	/* a citizen candidacy's account: one candidacy per account */
	"CREATE TABLE primary_candidacy ("
	" candidate_id INTEGER PRIMARY KEY REFERENCES primary_candidate(id),"
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" user_id INTEGER NOT NULL REFERENCES user(id),"
	" UNIQUE (primary_id, user_id)"
	");",
	"CREATE TABLE support ("
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" candidate_id INTEGER NOT NULL REFERENCES primary_candidate(id),"
	" user_id INTEGER NOT NULL REFERENCES user(id),"
	" PRIMARY KEY (candidate_id, user_id)"
	") WITHOUT ROWID;",
	"CREATE INDEX support_user ON support(primary_id, user_id);",
	/* at most max_supports per account and primary */
	"CREATE TRIGGER support_limit BEFORE INSERT ON support"
	" WHEN (SELECT count(*) FROM support WHERE primary_id = new.primary_id"
	"  AND user_id = new.user_id) >= (SELECT max_supports"
	"  FROM primary_election WHERE id = new.primary_id) BEGIN"
	" SELECT RAISE(ABORT, 'too many supports');"
	"END;",
	"CREATE TRIGGER support_count AFTER INSERT ON support BEGIN"
	" UPDATE primary_candidate SET supports = supports + 1"
	"  WHERE id = new.candidate_id;"
	"END;",
	"CREATE TRIGGER support_uncount AFTER DELETE ON support BEGIN"
	" UPDATE primary_candidate SET supports = supports - 1"
	"  WHERE id = old.candidate_id;"
	"END;",
	"CREATE TABLE credential_issued ("
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" user_id INTEGER NOT NULL REFERENCES user(id),"
	" issued_on TEXT NOT NULL DEFAULT (date('now')),"
	" PRIMARY KEY (primary_id, user_id)"
	") WITHOUT ROWID;",
	NULL,
};

/*
 * Ingest speed: any trigger on INSERT into proposal_theme, even one whose
 * WHEN clause is false, makes every insert of a suggested theme a
 * "multi-write" statement with a statement journal, and SQLite then
 * opens a savepoint on every virtual table of the transaction, on which
 * FTS5 flushes its pending terms into a new segment: one segment per
 * proposal, merged again and again (43% of ingest's instructions). An
 * editor's added theme is always audited in its own transaction, so the
 * page caches' generation moves with that audit entry instead; ingest
 * never writes to the audit log.
 */
static const char *const migration_ingest_speed[] = {
	"DROP TRIGGER theme_generation_i;",
	"CREATE TRIGGER theme_generation_a AFTER INSERT ON audit"
	" WHEN new.action = 'theme.add' BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	NULL,
};

/*
 * The home page lists the primaries with their phase, and is cached by
 * search_generation: a new primary bumps it already (its election row,
 * election_generation), every phase change bumps it here
 */
static const char *const migration_primary_home[] = {
	"CREATE TRIGGER primary_phase_generation AFTER UPDATE OF phase"
	" ON primary_election BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	NULL,
};

/*
 * Candidates' campaign material and profiles (issue 4), moderated.
 * material is one photo, PDF leaflet or video link; its bytes live in
 * material_data (a row of their own: deciding on an item rewrites a
 * small row, not a 10 MiB one). An item arrives pending and an editor
 * publishes or rejects it once; nothing else of it ever changes and
 * nothing is deleted. candidate_profile keeps every proposed profile:
 * the last published one is what voters read, the others are its
 * history. What voters see changes with either decision: both bump
 * the page caches' generation.
 */
static const char *const migration_material[] = {
	"CREATE TABLE material ("
	" id INTEGER PRIMARY KEY,"
	" candidate_id INTEGER NOT NULL REFERENCES candidate(id),"
	" kind TEXT NOT NULL"
	"  CHECK (kind = 'photo' OR kind = 'leaflet' OR kind = 'video'),"
	" media_type TEXT NOT NULL DEFAULT '',"
	" caption TEXT NOT NULL CHECK (length(caption) >= 1),"
	" url TEXT NOT NULL DEFAULT '',"
	" size INTEGER NOT NULL DEFAULT 0,"
	" width INTEGER NOT NULL DEFAULT 0,"
	" height INTEGER NOT NULL DEFAULT 0,"
	" sha256 TEXT NOT NULL DEFAULT '',"
	" submitted_by INTEGER REFERENCES user(id),"
	" submitted_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" status TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (status = 'pending' OR status = 'published'"
	"   OR status = 'rejected'),"
	" reason TEXT NOT NULL DEFAULT '',"
	" decided_by INTEGER REFERENCES user(id),"
	" decided_at TEXT,"
	" CHECK ((kind = 'video') = (url <> '')),"
	" CHECK ((kind = 'video') = (sha256 = ''))"
	");",
	"CREATE INDEX material_candidate ON material(candidate_id, status);",
	"CREATE INDEX material_pending ON material(status)"
	" WHERE status = 'pending';",
	"CREATE TABLE material_data ("
	" material_id INTEGER PRIMARY KEY REFERENCES material(id),"
	" data BLOB NOT NULL"
	");",
	"CREATE TRIGGER material_fixed BEFORE UPDATE OF id, candidate_id,"
	" kind, media_type, caption, url, size, width, height, sha256,"
	" submitted_by, submitted_at ON material BEGIN"
	" SELECT RAISE(ABORT, 'material never changes but by a decision');"
	"END;",
	"CREATE TRIGGER material_status BEFORE UPDATE OF status ON material"
	" WHEN NOT (old.status = 'pending'"
	"  AND (new.status = 'published' OR new.status = 'rejected')) BEGIN"
	" SELECT RAISE(ABORT, 'only pending material is published or"
	" rejected');"
	"END;",
	"CREATE TRIGGER material_delete BEFORE DELETE ON material BEGIN"
	" SELECT RAISE(ABORT, 'material is kept');"
	"END;",
	"CREATE TRIGGER material_data_update BEFORE UPDATE ON material_data"
	" BEGIN"
	" SELECT RAISE(ABORT, 'stored material never changes');"
	"END;",
	"CREATE TRIGGER material_data_delete BEFORE DELETE ON material_data"
	" BEGIN"
	" SELECT RAISE(ABORT, 'material is kept');"
	"END;",
	"CREATE TRIGGER material_generation AFTER UPDATE OF status"
	" ON material BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"CREATE TABLE candidate_profile ("
	" id INTEGER PRIMARY KEY,"
	" candidate_id INTEGER NOT NULL REFERENCES candidate(id),"
	" given_name TEXT NOT NULL,"
	" family_name TEXT NOT NULL CHECK (length(family_name) >= 1),"
	" party TEXT NOT NULL,"
	" bio TEXT NOT NULL,"
	" links TEXT NOT NULL,"
	" proposed_by INTEGER REFERENCES user(id),"
	" proposed_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" status TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (status = 'pending' OR status = 'published'"
	"   OR status = 'rejected' OR status = 'withdrawn'),"
	" reason TEXT NOT NULL DEFAULT '',"
	" decided_by INTEGER REFERENCES user(id),"
	" decided_at TEXT"
	");",
	"CREATE INDEX candidate_profile_c ON candidate_profile(candidate_id,"
	" status);",
	"CREATE TRIGGER candidate_profile_fixed BEFORE UPDATE OF id,"
	" candidate_id, given_name, family_name, party, bio, links,"
	" proposed_by, proposed_at ON candidate_profile BEGIN"
	" SELECT RAISE(ABORT, 'a proposed profile never changes');"
	"END;",
	"CREATE TRIGGER candidate_profile_status BEFORE UPDATE OF status"
	" ON candidate_profile WHEN NOT (old.status = 'pending'"
	"  AND (new.status = 'published' OR new.status = 'rejected'"
	"  OR new.status = 'withdrawn')) BEGIN"
	" SELECT RAISE(ABORT, 'only a pending profile is decided');"
	"END;",
	"CREATE TRIGGER candidate_profile_delete BEFORE DELETE"
	" ON candidate_profile BEGIN"
	" SELECT RAISE(ABORT, 'the history of a profile is kept');"
	"END;",
	"CREATE TRIGGER candidate_profile_generation AFTER UPDATE OF status"
	" ON candidate_profile BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	NULL,
};

/*
 * Candidacy claims (issue 4): a signed-in account asks to be linked to
 * a candidate of an election, with a message for the editors; an
 * administrator or an editor of that election confirms it (which
 * grants the candidate role for that candidacy, in the same
 * transaction) or refuses it with a reason the account reads. One
 * pending claim per account and candidate (the partial unique index);
 * a decided claim never changes and no claim is deleted, so the queue
 * keeps its history beside the audit log.
 */
static const char *const migration_claims[] = {
	"CREATE TABLE candidacy_claim ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES user(id),"
	" candidate_id INTEGER NOT NULL REFERENCES candidate(id),"
	" message TEXT NOT NULL DEFAULT '',"
	" status TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (status = 'pending' OR status = 'confirmed'"
	"   OR status = 'refused'),"
	" reason TEXT NOT NULL DEFAULT '',"
	" created_at TEXT NOT NULL"
	"  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" decided_by INTEGER REFERENCES user(id),"
	" decided_at TEXT"
	");",
	"CREATE UNIQUE INDEX candidacy_claim_pending"
	" ON candidacy_claim(user_id, candidate_id) WHERE status = 'pending';",
	"CREATE INDEX candidacy_claim_user ON candidacy_claim(user_id);",
	"CREATE INDEX candidacy_claim_queue ON candidacy_claim(status)"
	" WHERE status = 'pending';",
	"CREATE TRIGGER candidacy_claim_fixed BEFORE UPDATE ON candidacy_claim"
	" WHEN old.status <> 'pending' OR new.user_id IS NOT old.user_id"
	"  OR new.candidate_id IS NOT old.candidate_id"
	"  OR new.message IS NOT old.message"
	"  OR new.created_at IS NOT old.created_at BEGIN"
	" SELECT RAISE(ABORT, 'a decided claim never changes');"
	"END;",
	"CREATE TRIGGER candidacy_claim_delete BEFORE DELETE"
	" ON candidacy_claim BEGIN"
	" SELECT RAISE(ABORT, 'claims are kept');"
	"END;",
	NULL,
};

/*
 * A primary's counts (credentials, voters, ballots) kept by triggers in
 * the transaction that changes them, so that the API and the pages read
 * one row instead of counting up to 10^7 ballots on every request.
 * `agora verify` compares them with a count.
 */
static const char *const migration_primary_counts[] = {
	"CREATE TABLE primary_count ("
	" primary_id INTEGER PRIMARY KEY REFERENCES primary_election(id),"
	" credentials INTEGER NOT NULL DEFAULT 0 CHECK (credentials >= 0),"
	" voters INTEGER NOT NULL DEFAULT 0 CHECK (voters >= 0),"
	" ballots INTEGER NOT NULL DEFAULT 0 CHECK (ballots >= 0)"
	");",
	"INSERT INTO primary_count(primary_id, credentials, voters, ballots)"
	" SELECT p.id,"
	" (SELECT count(*) FROM credential c WHERE c.primary_id = p.id),"
	" (SELECT count(*) FROM ballot b"
	"  WHERE b.primary_id = p.id AND b.counted = 1),"
	" (SELECT count(*) FROM ballot b WHERE b.primary_id = p.id)"
	" FROM primary_election p;",
	"CREATE TRIGGER primary_count_new AFTER INSERT ON primary_election"
	" BEGIN"
	" INSERT INTO primary_count(primary_id) VALUES (new.id);"
	"END;",
	"CREATE TRIGGER primary_count_credential AFTER INSERT ON credential"
	" BEGIN"
	" UPDATE primary_count SET credentials = credentials + 1"
	"  WHERE primary_id = new.primary_id;"
	"END;",
	"CREATE TRIGGER primary_count_credential_d AFTER DELETE ON credential"
	" BEGIN"
	" UPDATE primary_count SET credentials = credentials - 1"
	"  WHERE primary_id = old.primary_id;"
	"END;",
	/* ballots are never deleted, and only ever stop being counted */
	"CREATE TRIGGER primary_count_ballot AFTER INSERT ON ballot BEGIN"
	" UPDATE primary_count SET ballots = ballots + 1,"
	"  voters = voters + new.counted WHERE primary_id = new.primary_id;"
	"END;",
	"CREATE TRIGGER primary_count_replaced AFTER UPDATE OF counted ON ballot"
	" WHEN old.counted = 1 AND new.counted = 0 BEGIN"
	" UPDATE primary_count SET voters = voters - 1"
	"  WHERE primary_id = new.primary_id;"
	"END;",
	NULL,
};

/*
 * Issue 4, the rest: a candidate withdraws a published material item
 * (withdrawn_at, withdrawn_by; the row, its bytes and its audit
 * entries stay for history, but it is no longer public anywhere), and
 * an account's language (the pages' language at its last sign-in or
 * sign-up; '' unknown), so that the mails telling a candidate what an
 * editor decided are in that language.
 */
static const char *const migration_withdraw[] = {
	"ALTER TABLE material ADD COLUMN withdrawn_at TEXT;",
	"ALTER TABLE material ADD COLUMN withdrawn_by INTEGER"
	" REFERENCES user(id);",
	"CREATE TRIGGER material_withdraw BEFORE UPDATE OF withdrawn_at,"
	" withdrawn_by ON material WHEN NOT (old.status = 'published'"
	"  AND old.withdrawn_at IS NULL AND new.withdrawn_at IS NOT NULL)"
	" BEGIN"
	" SELECT RAISE(ABORT, 'only published material is withdrawn, once');"
	"END;",
	"CREATE TRIGGER material_generation_w AFTER UPDATE OF withdrawn_at"
	" ON material BEGIN"
	" UPDATE meta SET value = value + 1 WHERE key = 'search_generation';"
	"END;",
	"ALTER TABLE user ADD COLUMN language TEXT NOT NULL DEFAULT ''"
	" CHECK (language = '' OR language GLOB '[a-z][a-z]');",
	NULL,
};

/*
 * The dates an organiser announces for the phases still to come
 * (primary/schedule.c): one row per planned phase; the dates phases
 * actually began stay in primary_phase.
 */
static const char *const migration_primary_schedule[] = {
	"CREATE TABLE primary_schedule ("
	" primary_id INTEGER NOT NULL REFERENCES primary_election(id),"
	" phase TEXT NOT NULL"
	"  CHECK (phase IN ('support', 'vote', 'closed')),"
	" at TEXT NOT NULL CHECK (length(at) = 20),"
	" PRIMARY KEY (primary_id, phase)"
	") WITHOUT ROWID;",
	NULL,
};

/*
 * Ingest speed: the index of proposal_theme by theme served the first
 * theme coverage query, which walked every tag of a theme; every query
 * now reaches a proposal's themes by its key (proposal_id first), and
 * none reads this index (EXPLAIN QUERY PLAN of the 14 statements on the
 * table: bench/README.md, 2026-11-29, branch themepass). Keeping it cost
 * a third of each suggested theme's insert, about 4,500 instructions a
 * row (HTML round of ingest_bench: 12,000 rows). Themes are never
 * deleted nor renumbered, so the foreign key from proposal_theme to
 * theme never needs it either.
 */
static const char *const migration_theme_index[] = {
	/* IF EXISTS: an administrator may have dropped it by hand already */
	"DROP INDEX IF EXISTS proposal_theme_theme;",
	NULL,
};

/*
 * FTS5 merges the segments of one level once `automerge` of them are
 * there (SQLite's default is 4). Each merge rewrites what it merges, so
 * the fewer levels, the less an index of many small documents (one
 * segment each) is rewritten as it grows; the price is more segments
 * for every search to look each term up in. Measured on the real
 * corpus (bench/README.md, "FTS5 merge settings", instruction counts):
 * 8 takes 8.5% off building a 50,000-proposal index and leaves search
 * as it was; 16 takes 8.8% off but costs search 7.7% at 10^5
 * proposals. The value lives
 * in the index itself (proposal_fts_config), hence a migration; a fresh
 * database runs it too, so both end with the same configuration.
 */
static const char *const migration_fts_merge[] = {
	"INSERT INTO proposal_fts(proposal_fts, rank)"
	" VALUES ('automerge', 8);",
	NULL,
};

/* Each migration is a NULL-terminated list of statements */
static const char *const *const migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_moderation, /* 5 */
	migration_editors, /* 6 */
	migration_citizen, /* 7 */
	migration_ingest_speed, /* 8 */
	migration_primary_home, /* 9 */
	migration_material, /* 10 */
	migration_claims, /* 11 */
	migration_primary_counts, /* 12 */
	migration_withdraw, /* 13 */
	migration_primary_schedule, /* 14 */
	migration_theme_index, /* 15 */
	migration_fts_merge, /* 16 */
};

int db_latest_schema_version(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

/*
 * The CSRF key, from libsodium's generator (not SQLite's randomblob):
 * forms are signed with it on every web node sharing the database.
 */
static int seed_secret(sqlite3 *h, struct agora_error *err)
{
	unsigned char key[32];
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sodium_init() < 0)
		return agora_errorf(err, AGORA_EIO, "cannot initialise libsodium");
	randombytes_buf(key, sizeof(key));
	if (sqlite3_prepare_v2(h,
			       "INSERT INTO secret(name, value)"
			       " VALUES ('csrf', ?1)",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 1, key, sizeof(key), SQLITE_STATIC) ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = agora_errorf(err, AGORA_EDB, "cannot store a key: %s",
				  sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* Loads the default taxonomy into theme, in the order of the data file */
static int seed_themes(sqlite3 *h, struct agora_error *err)
{
	const struct theme_def *t;
	sqlite3_stmt *st = NULL;
	size_t i, n;
	int rc = 0;

	t = theme_taxonomy(&n);
	if (!t)
		return agora_errorf(err, AGORA_EINVAL,
				    "the built-in theme taxonomy is malformed");
	if (sqlite3_prepare_v2(h,
			       "INSERT INTO theme(slug, label_fr, label_en,"
			       " parent_id, is_group, position)"
			       " VALUES (?1, ?2, ?3,"
			       " (SELECT id FROM theme WHERE slug = ?4),"
			       " ?5, ?6)",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, t[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, t[i].label_fr, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, t[i].label_en, -1, SQLITE_STATIC);
		if (t[i].parent)
			sqlite3_bind_text(st, 4, t[i].parent, -1,
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int(st, 5, t[i].is_group);
		sqlite3_bind_int(st, 6, (int)i + 1);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
	}
	goto out;
fail:
	rc = agora_errorf(err, AGORA_EDB, "cannot load the themes: %s",
			  sqlite3_errmsg(h));
out:
	sqlite3_finalize(st);
	return rc;
}

int schema_migrate(sqlite3 *h, struct agora_error *err)
{
	sqlite3_stmt *st = NULL;
	int have = 0, want = db_latest_schema_version(), v;
	char pragma[64];

	/*
	 * Readers must not queue on the write lock at every open: look
	 * first, and lock (then look again) only when there is work.
	 */
	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (have == want)
		return 0;
	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB,
				    "cannot lock the database to migrate: %s",
				    sqlite3_errmsg(h));
	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (have > want) {
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return agora_errorf(err, AGORA_EDB,
				    "the database has schema version %d, newer "
				    "than this agora (%d): upgrade agora",
				    have, want);
	}
	for (v = have; v < want; v++) {
		const char *const *sql;

		for (sql = migrations[v]; *sql; sql++)
			if (sqlite3_exec(h, *sql, NULL, NULL, NULL) != SQLITE_OK) {
				agora_errorf(err, AGORA_EDB,
					     "migration %d failed: %s", v + 1,
					     sqlite3_errmsg(h));
				goto fail;
			}
		if (v == 0 && seed_themes(h, err))
			goto fail;
		/* by identity, not by number: it stays right if renumbered */
		if (migrations[v] == migration_3 && seed_secret(h, err))
			goto fail;
	}
	if (have != want) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			 want);
		if (sqlite3_exec(h, pragma, NULL, NULL, NULL) != SQLITE_OK) {
			agora_errorf(err, AGORA_EDB, "cannot record version: %s",
				     sqlite3_errmsg(h));
			goto fail;
		}
	}
	if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		agora_errorf(err, AGORA_EDB, "cannot commit the migration: %s",
			     sqlite3_errmsg(h));
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	return err ? err->code : AGORA_EDB;
}
