/*
 * main.c - agora's entry point: global options, the command table, help.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <sodium.h>

#include "cli.h"
#include "compare.h"
#include "ingest.h"
#include "primary.h"

const struct cli_command cli_commands[] = {
	{"election", "create elections, set their order rule, list them",
	 "usage: agora election add SLUG --title TITLE [--date YYYY-MM-DD]\n"
	 "                          [--language fr|en]\n"
	 "       agora election set SLUG\n"
	 "                          --candidate-order alphabetical|shuffled\n"
	 "       agora election list [--json]\n"
	 "\n"
	 "  add     create an election whose programmes will be compared.\n"
	 "          SLUG names it in the CLI, the API and URLs: 1 to 64\n"
	 "          lower-case letters, digits and '-'\n"
	 "  set     change an existing election's settings\n"
	 "  list    list the elections\n"
	 "\n"
	 "  --title TITLE     the election's title, e.g. \"Municipales 2026\"\n"
	 "  --date DATE       the election day, YYYY-MM-DD\n"
	 "  --language LANG   language of the programmes: fr (the\n"
	 "                    default) or en\n"
	 "  --candidate-order RULE\n"
	 "                    the neutral order of the candidates on the\n"
	 "                    web and in the API: alphabetical (by family\n"
	 "                    name, the default) or shuffled (drawn at\n"
	 "                    random for each visitor, the same on every\n"
	 "                    page for that visitor); pages say which\n"
	 "  --json            print JSON\n",
	 cmd_election},
	{"ingest", "ingest programmes: verbatim proposals with themes",
	 "usage: agora ingest --election SLUG --candidate NAME [--party P]\n"
	 "                    [--family-name NAME] [--source-url URL]\n"
	 "                    [--title TITLE] [--format FORMAT]\n"
	 "                    [--max-size BYTES] [--json] FILE...\n"
	 "\n"
	 "Stores each FILE byte for byte as one document of the candidate\n"
	 "(created if needed), cuts it into proposals that are exact slices\n"
	 "of the extracted text, suggests themes, and indexes them for\n"
	 "search. Each file is ingested in one transaction: a file that\n"
	 "fails writes nothing. A file already stored with the same bytes is\n"
	 "skipped; a changed file with the same title becomes a new version.\n"
	 "\n"
	 "  --election SLUG      the election (see 'agora election add')\n"
	 "  --candidate NAME     the candidate as on the ballot, \"Given "
	 "Family\"\n"
	 "  --family-name NAME   family name when it is not the last word\n"
	 "  --party P            party or list name\n"
	 "  --source-url URL     where the document is published\n"
	 "  --title TITLE        document title (default: the file name);\n"
	 "                       versions are counted per title; with one\n"
	 "                       FILE only\n"
	 "  --format FORMAT      auto (default: detected from the content),\n"
	 "                       html, markdown, text, csv, xml or pdf (its\n"
	 "                       text through poppler, page numbers kept)\n"
	 "  --max-size BYTES     refuse larger files (default 20 MiB)\n"
	 "  --json               print the summary as JSON\n",
	 cmd_ingest},
	{"search", "full-text search of proposals (French)",
	 "usage: agora search [--election SLUG] [--candidate SLUG]\n"
	 "                    [--theme KEY] [--limit N] [--offset N] [--json]\n"
	 "                    QUERY...\n"
	 "\n"
	 "Finds proposals by words, accent-insensitive and stem-consistent:\n"
	 "'securite', 'sécurité' and 'sécurités' find the same proposals.\n"
	 "Words are ANDed; 'propos*' matches words starting with 'propos'.\n"
	 "Any text is accepted as a query. Results are ranked by relevance\n"
	 "(bm25) with the matched words marked in the verbatim text.\n"
	 "\n"
	 "  --election SLUG   only this election\n"
	 "  --candidate SLUG  only this candidate (see 'agora candidates')\n"
	 "  --theme KEY       only proposals on this theme (see 'agora "
	 "themes')\n"
	 "  --limit N         at most N results (default 20, at most 100)\n"
	 "  --offset N        skip the first N results\n"
	 "  --json            print JSON\n",
	 cmd_search},
	{"compare", "what each candidate proposes on one theme",
	 "usage: agora compare --election SLUG --theme KEY\n"
	 "                     [--candidates SLUG,SLUG...] [--json]\n"
	 "\n"
	 "Shows, for every selected candidate in the election's neutral\n"
	 "order (alphabetical by family name), the proposals of their\n"
	 "current programme on the theme, verbatim. A candidate whose\n"
	 "programme says nothing on the theme is shown with an explicit\n"
	 "empty list. A group key (e.g. security_justice) covers its "
	 "themes.\n"
	 "\n"
	 "  --election SLUG        the election\n"
	 "  --theme KEY            the theme (see 'agora themes')\n"
	 "  --candidates LIST      comma-separated candidate slugs (default "
	 "all)\n"
	 "  --json                 print JSON\n",
	 cmd_compare},
	{"themes", "list the theme taxonomy",
	 "usage: agora themes [--election SLUG] [--json]\n"
	 "\n"
	 "Lists the themes: key (used by the CLI, the API and URLs), group,\n"
	 "French and English labels; with --election, how many candidates\n"
	 "and proposals speak to each.\n",
	 cmd_themes},
	{"candidates", "list an election's candidates",
	 "usage: agora candidates --election SLUG [--json]\n"
	 "\n"
	 "Lists the candidates in the neutral order: slug, name, party,\n"
	 "current documents and proposals.\n",
	 cmd_candidates},
	{"moderate", "list, publish or reject submitted programmes",
	 "usage: agora moderate [--election SLUG] [--json]\n"
	 "       agora moderate ID --publish\n"
	 "       agora moderate ID --reject REASON\n"
	 "\n"
	 "Without an id, lists the documents candidates submitted on the\n"
	 "web that wait for moderation (oldest first): id, election,\n"
	 "candidate, title, version, proposals, date. With an id, publishes\n"
	 "the pending document (it becomes the current version in the\n"
	 "comparator and search, unless a newer one is published) or rejects\n"
	 "it with a reason its candidate reads. Each decision is written\n"
	 "to the audit log. A document that is not pending is refused.\n"
	 "\n"
	 "       agora moderate --material [--election SLUG] [--json]\n"
	 "       agora moderate --material ID --publish|--reject REASON\n"
	 "       agora moderate --profile [--election SLUG] [--json]\n"
	 "       agora moderate --profile ID --publish|--reject REASON\n"
	 "\n"
	 "The same for campaign material (photos, PDF leaflets, video\n"
	 "links: id, election, candidate, kind, type or link, caption,\n"
	 "date) and for candidates' profile changes (a published profile\n"
	 "gives the candidate its names and party).\n",
	 cmd_moderate},
	{"claims", "list, confirm or refuse candidacy requests",
	 "usage: agora claims [--json]\n"
	 "       agora claims ID --confirm\n"
	 "       agora claims ID --refuse REASON\n"
	 "\n"
	 "Without an id, lists the requests accounts made on the web to be\n"
	 "linked to a candidacy that wait for a decision (oldest first): id,\n"
	 "election, candidate, the account's address, date. With an id,\n"
	 "confirms the request (the account gets the candidate role for that\n"
	 "candidacy) or refuses it with a reason the account reads. Each\n"
	 "decision is written to the audit log; a decided request is\n"
	 "refused.\n",
	 cmd_claims},
	{"verify", "check that every proposal is verbatim",
	 "usage: agora verify [--json]\n"
	 "\n"
	 "Re-extracts every stored original document and checks its "
	 "SHA-256,\n"
	 "its extracted text and every proposal's slice, that the full-text\n"
	 "index holds exactly the current proposals, the hash chain of the\n"
	 "audit log, each primary's live counters against a recount and its\n"
	 "bulletin board, and every stored photo and leaflet of the campaign\n"
	 "material (its SHA-256 and its type). Prints a summary; on any\n"
	 "mismatch prints one precise line per failure and exits 1.\n"
	 "A document extracted by an older extractor that this build reads\n"
	 "differently gets a NOTE line (JSON: \"notes\"), not a failure: its\n"
	 "hash and proposals are still checked against the stored text.\n",
	 cmd_verify},
	{"export", "export an election as open data (JSON or CSV)",
	 "usage: agora export --election SLUG\n"
	 "                    [--format json|csv|csv-candidates|csv-material]\n"
	 "                    [--out FILE]\n"
	 "\n"
	 "Writes the election as open data, read in one transaction (a\n"
	 "consistent snapshot), streamed without holding it in memory.\n"
	 "\n"
	 "json (default): one object with \"licence\", \"election\" (slug,\n"
	 "  title, date, language, candidate_order), \"candidates\" in the\n"
	 "  neutral order with their published profile (biography, links),\n"
	 "  \"documents\" (every published version, with\n"
	 "  \"current\" false when superseded; source URL and SHA-256 of the\n"
	 "  original), \"proposals\" of the current documents (id, document,\n"
	 "  ordinal, byte offsets [start, end) in the extracted text, kind,\n"
	 "  heading path, verbatim text, its SHA-256, themes with origin,\n"
	 "  confidence and status), the published campaign material\n"
	 "  \"material\" (kind, caption, media type, size, SHA-256, URL) and\n"
	 "  the theme taxonomy \"themes\".\n"
	 "csv: proposals.csv, one row per proposal of the current\n"
	 "  documents (RFC 4180: every field quoted, CRLF, UTF-8, a header\n"
	 "  row), with its candidate, document, offsets, themes (keys, not\n"
	 "  rejected ones) and text SHA-256; the last column, licence, is\n"
	 "  the same on every row.\n"
	 "csv-candidates: candidates.csv, one row per candidate with the\n"
	 "  published profile (biography; links separated by spaces).\n"
	 "csv-material: material.csv, one row per published photo, leaflet\n"
	 "  or video link (pending, rejected, withdrawn ones: never).\n"
	 "\n"
	 "The programmes' texts are the candidates' own, reproduced\n"
	 "verbatim; agora's metadata are under the Licence Ouverte / Open\n"
	 "Licence 2.0 (Etalab).\n"
	 "\n"
	 "  --election SLUG      the election\n"
	 "  --format FORMAT      json (default), csv, csv-candidates or\n"
	 "                       csv-material\n"
	 "  --out FILE           write FILE (default: the standard output);\n"
	 "                       it appears only once complete\n",
	 cmd_export},
	{"mj", "rank candidates by majority judgment from a CSV of counts",
	 "usage: agora mj [--json] [--missing error|static|median|normalize]\n"
	 "                [--default-grade K] [--judges N] [--grades LABELS]\n"
	 "                FILE\n"
	 "\n"
	 "Ranks candidates by majority judgment from counts counted\n"
	 "elsewhere (paper ballots). FILE (- for the standard input) is\n"
	 "CSV with a header row 'candidate,<grade>,...' naming the grades\n"
	 "worst first, then one row per candidate: its name and how many\n"
	 "voters gave it each grade. Commas or semicolons, RFC 4180 quotes,\n"
	 "UTF-8; counts are whole numbers up to 2^63-1; 2 to 10 grades.\n"
	 "\n"
	 "The majority grade is the lower median; the mention adds '+'\n"
	 "when more voters are above it than below, '\u2212' otherwise\n"
	 "(no sign at the worst and best grades). Equal majority grades\n"
	 "are separated by the majority gauge, iterated (Balinski and\n"
	 "Laraki); identical merit profiles share a rank (1, 1, 3). The\n"
	 "ranking uses exact integer arithmetic; each tie-break between\n"
	 "neighbours is explained in a line. Fabre's typical, usual and\n"
	 "central judgments and the share at or above the majority grade\n"
	 "are shown for information only.\n"
	 "\n"
	 "  --missing error       unequal totals are refused (default)\n"
	 "  --missing static      a missing judgment counts as the grade\n"
	 "                        --default-grade K (default 0, the worst)\n"
	 "  --missing median      it counts as the candidate's own majority\n"
	 "                        grade\n"
	 "  --missing normalize   rank on proportions (random lots)\n"
	 "  --default-grade K     a grade label, or else its index (0 the\n"
	 "                        worst)\n"
	 "  --judges N            the number of voters: no total may exceed\n"
	 "                        it, static and median fill up to it\n"
	 "                        (default: the largest total), error\n"
	 "                        wants every total equal to it\n"
	 "  --grades LABELS       the grades, comma-separated, worst first:\n"
	 "                        the header must have them, or numbers\n"
	 "                        (0..G-1 or 1..G) that they then name\n"
	 "  --json                print JSON: results in rank order, each\n"
	 "                        with candidate, rank, majority_grade\n"
	 "                        (0 the worst), mention, above, below,\n"
	 "                        counts and the secondary judgments\n"
	 "\n"
	 "Bad input (not CSV of counts, negative or huge counts, missing\n"
	 "columns, a duplicate candidate, invalid UTF-8, over 4 MiB) exits\n"
	 "2 with the file and line.\n",
	 cmd_mj},
	{"serve", "serve the comparator on the web (HTML and JSON API)",
	 "usage: agora serve [--listen ADDR:PORT] [--threads N] [--timeout S]\n"
	 "                   [--outbox DIR] [--base-url URL]\n"
	 "                   [--mail-from ADDR] [--smtp-relay URL\n"
	 "                   [--smtp-credentials FILE]]\n"
	 "\n"
	 "Serves the comparator over HTTP: the pages (home, election,\n"
	 "compare, candidate, proposal, search, in French or English), the\n"
	 "JSON API under /api/v1/ (described at /api/v1/openapi.json),\n"
	 "/healthz and /metrics (Prometheus). Prints the URL, then serves\n"
	 "until SIGTERM or SIGINT, when it stops accepting connections and\n"
	 "lets the requests in flight finish (at most 10 seconds).\n"
	 "Each worker thread reads the database through its own read-only\n"
	 "connection; put a reverse proxy in front for TLS.\n"
	 "\n"
	 "  --listen ADDR:PORT   the address to listen on (default\n"
	 "                       127.0.0.1:8080; [::1]:8080 for IPv6;\n"
	 "                       port 0 picks a free port)\n"
	 "  --threads N          worker threads, 1 to 256 (default: one\n"
	 "                       per core)\n"
	 "  --timeout S          seconds a client has to send its request\n"
	 "                       line and headers (then its body at 2 KiB/s\n"
	 "                       on average at least), and that an idle\n"
	 "                       connection is kept (default 30; 1 to 3600)\n"
	 "  --outbox DIR         where e-mail is written, one .eml file per\n"
	 "                       message (default: 'outbox' beside the\n"
	 "                       database, e.g. var/outbox)\n"
	 "  --base-url URL       the public URL used in links sent by\n"
	 "                       e-mail (default: the URL served)\n"
	 "  --mail-from ADDR     the From: of e-mail (default\n"
	 "                       'agora <agora@localhost>')\n"
	 "  --smtp-relay URL     also send each message through this relay:\n"
	 "                       smtps://HOST[:PORT], or smtp://HOST[:PORT]\n"
	 "                       with STARTTLS (required unless HOST is\n"
	 "                       loopback); sent from one thread, retried,\n"
	 "                       moved to outbox/sent/ once accepted\n"
	 "  --smtp-credentials FILE  the relay's USER:PASSWORD, first line\n"
	 "                       of a file only its owner may read (or\n"
	 "                       AGORA_SMTP_CREDENTIALS=USER:PASSWORD)\n"
	 "\n"
	 "Accounts: sign-up, sign-in, e-mail verification and password\n"
	 "reset write their links to the outbox. AGORA_PWHASH_LIMITS=\n"
	 "OPS,MEMBYTES lowers the Argon2id cost (tests only; never below\n"
	 "libsodium's minimums; the server logs a warning).\n"
	 "AGORA_SMTP_RETRY=TRIES,FIRST,MAX sets the relay's retries (default\n"
	 "8 tries, 30 s doubling up to 3600 s).\n",
	 cmd_serve},
	{"primary", "run an open citizen primary (majority judgment)",
	 "usage: agora primary create SLUG --title TITLE [--grades LABELS]\n"
	 "                     [--support-threshold N] [--max-supports N]\n"
	 "                     [--lot-size K] [--allow-blank] [--public-results]\n"
	 "                     [--open]\n"
	 "       agora primary phase SLUG declaration|support|vote|closed\n"
	 "       agora primary schedule SLUG [--support FROM] [--vote FROM]\n"
	 "                     [--close AT]\n"
	 "       agora primary candidate add SLUG --name NAME [--slug C]\n"
	 "       agora primary candidates SLUG [--json]\n"
	 "       agora primary credentials SLUG --roll ROLL.csv --out FILE\n"
	 "       agora primary ballot SLUG --credential CODE [--json]\n"
	 "       agora primary vote SLUG --credential CODE\n"
	 "                     --grades CANDIDATE=GRADE,... | --blank\n"
	 "       agora primary board SLUG [--out FILE] [--from N]\n"
	 "       agora primary results SLUG [--json]\n"
	 "       agora primary recount SLUG [--bodies]\n"
	 "\n"
	 "create: a primary, in phase 'declaration', with its comparator\n"
	 "  election of the same slug (candidates' programmes are ingested\n"
	 "  there). --grades: 2 to 10 comma-separated labels, worst first\n"
	 "  (default: \"" PRIMARY_DEFAULT_GRADES "\").\n"
	 "  --support-threshold N (default 500) supports qualify a declared\n"
	 "  candidate; --max-supports N (default 5) per citizen; --lot-size K:\n"
	 "  each ballot grades K candidates drawn for its credential (default:\n"
	 "  all); --allow-blank: a ballot may grade nobody; --public-results:\n"
	 "  results visible before the close; --open: open mode, verified\n"
	 "  citizens ask the web for their credential (doc/secrecy.md).\n"
	 "phase: moves forward only; opening the vote freezes the list of\n"
	 "  qualified candidates (organiser-registered ones, and declared ones\n"
	 "  with enough supports). Each change is dated.\n"
	 "schedule: announces the planned date of each phase to come, shown\n"
	 "  on the primary's page and in its API beside the date each phase\n"
	 "  actually began; without an option, prints both. A plan is an\n"
	 "  announcement: phases still move only by 'agora primary phase'.\n"
	 "  Dates are ISO 8601: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], with Z or\n"
	 "  an offset (+01:00), UTC without one; each in the future, the\n"
	 "  phases in order; \"\" withdraws one. Phases already reached keep\n"
	 "  the date they began. Audited.\n"
	 "candidate add: registers a candidate as the organiser (qualified at\n"
	 "  once: a closed list); prints the candidate's slug.\n"
	 "credentials: reads an electoral roll (CSV, a header line, one voter\n"
	 "  per line) and writes FILE (created, never overwritten, mode 0600):\n"
	 "  the roll's lines with one more column, 'credential', a private\n"
	 "  code of 135 random bits and a check symbol. Only the public keys\n"
	 "  derived from the codes are stored: the database never links a\n"
	 "  person to a credential. Send each voter their code.\n"
	 "ballot: the candidates this credential's ballot grades (all the\n"
	 "  qualified ones, or its lot) and the grades.\n"
	 "vote: casts a ballot signed with the credential's key (a kiosk or a\n"
	 "  script); GRADE is a label or an index, 0 = worst. Every candidate\n"
	 "  of the credential's ballot must be graded. A new ballot replaces\n"
	 "  the credential's previous one until the close. Prints the receipt\n"
	 "  (SHA-256 of the signed ballot) once the ballot is on disk.\n"
	 "results: the majority-judgment ranking (hidden until the close\n"
	 "  unless --public-results: exits 1 while hidden); --json gives rank,\n"
	 "  majority_grade (index, 0 = worst), mention, sign, above, below,\n"
	 "  total and counts.\n"
	 "board: the public bulletin board (JSON Lines, doc/board.md): the\n"
	 "  primary's parameters and organiser key, the credentials' public\n"
	 "  keys, each phase, every accepted ballot as signed, and at the\n"
	 "  close the result signed by the organiser; --from N starts at\n"
	 "  entry N. Check it with 'agora verify-board'.\n"
	 "recount: recounts the stored ballots and compares them with the live\n"
	 "  counters; exits 1 on any difference. --bodies: from each counted\n"
	 "  ballot's signed body, checking it against its stored grades\n"
	 "  (slower).\n",
	 cmd_primary},
	{"verify-board", "check a primary's bulletin board, with no database",
	 "usage: agora verify-board FILE [--head HASH] [--threads N] [--json]\n"
	 "\n"
	 "Checks a board file written by 'agora primary board' (or served at\n"
	 "/primary/SLUG/board) on its own, with no database and no server:\n"
	 "the hash chain, every ballot's signature, that each ballot's\n"
	 "credential was published before it, that ballots of a credential\n"
	 "are numbered 1, 2, ... (only the last counts), that each ballot\n"
	 "grades exactly its lot, and that the result signed by the\n"
	 "organiser is the majority-judgment result of the counted ballots.\n"
	 "Prints a summary, or the first failure, precisely, and exits 1.\n"
	 "\n"
	 "  --head HASH   a head hash noted earlier (shown on the primary's\n"
	 "                pages): it must be in the chain, or history was\n"
	 "                rewritten\n"
	 "  --threads N   signature-checking threads (default: one per core)\n"
	 "  --json        the summary as JSON\n",
	 cmd_verify_board},
	{"user", "create accounts and grant roles; list accounts",
	 "usage: agora user add EMAIL --role ROLE [--election SLUG]\n"
	 "                      [--candidate SLUG] [--name NAME] [--link]\n"
	 "                      [--outbox DIR] [--base-url URL]\n"
	 "                      [--mail-from ADDR]\n"
	 "       agora user list [--json]\n"
	 "\n"
	 "  add     create the account EMAIL (its address taken as\n"
	 "          verified) with the citizen role and ROLE; for an\n"
	 "          existing account, grant ROLE. The password of a new\n"
	 "          account is asked twice without echo on a terminal, or\n"
	 "          read from the first line of the standard input\n"
	 "          (printf '%s\\n' \"$PW\" | agora user add ...). With\n"
	 "          --link no password is read: a one-time link to choose\n"
	 "          it (valid three days) is written to the outbox and its\n"
	 "          file printed.\n"
	 "  list    list the accounts with their roles\n"
	 "\n"
	 "  --role ROLE        administrator, editor, candidate or citizen\n"
	 "  --election SLUG    the election of an editor or a candidate\n"
	 "                     (required for them)\n"
	 "  --candidate SLUG   the candidacy a candidate account speaks for\n"
	 "  --name NAME        the display name (at most 100 bytes)\n"
	 "  --link             write a set-password link instead of reading\n"
	 "                     a password\n"
	 "  --outbox DIR       where the link is written (default: 'outbox'\n"
	 "                     beside the database)\n"
	 "  --base-url URL     the server's public URL, for the link\n"
	 "                     (default http://127.0.0.1:8080/)\n"
	 "  --mail-from ADDR   the From: of the link's e-mail (default\n"
	 "                     'agora <agora@localhost>')\n"
	 "  --json             print JSON (list)\n"
	 "\n"
	 "The first administrator: agora user add you@example.org --role\n"
	 "administrator. Exit status 2 for a bad address, a short password,\n"
	 "an unknown election or candidate, or a role already held.\n",
	 cmd_user},
	{"backup", "copy the database, online, to a file",
	 "usage: agora backup [--force] [--json] [--step PAGES] [--pause MS]\n"
	 "                    FILE\n"
	 "\n"
	 "Copies the database to FILE while the server and writers go on:\n"
	 "one consistent snapshot, read in one transaction (in WAL mode a\n"
	 "reader blocks no writer) and copied page for page with SQLite's\n"
	 "backup API. The copy is written to FILE.tmp, checked (SQLite's\n"
	 "integrity check, the schema version), synced to disk, and only\n"
	 "then named FILE. FILE is one self-contained SQLite file (not in\n"
	 "WAL mode). Prints its size, schema version, what it holds and\n"
	 "its SHA-256. An existing FILE is never replaced without --force.\n"
	 "\n"
	 "  --force        replace FILE if it exists\n"
	 "  --json         print the summary as JSON\n"
	 "  --step PAGES   pages copied per step (default 1024)\n"
	 "  --pause MS     pause between steps (default 0), to spare a\n"
	 "                 busy server's disk; the snapshot is kept\n"
	 "\n"
	 "Exits 2 when FILE exists or cannot be written, 1 when the copy\n"
	 "fails its check.\n",
	 cmd_backup},
	{"restore", "replace the database with a backup",
	 "usage: agora restore [--force] [--json] FILE\n"
	 "\n"
	 "Replaces the database (--db, $AGORA_DB) with the backup FILE.\n"
	 "FILE is copied beside the database and checked first: an SQLite\n"
	 "database, sound (integrity check), agora's, with a schema version\n"
	 "not newer than this agora's (an older one is migrated), whose\n"
	 "proposals pass 'agora verify'. Then, holding an exclusive lock on\n"
	 "the database (refused while another process, such as 'agora\n"
	 "serve', has it open: stop it first), the copy is synced and\n"
	 "renamed over it, and the old database's -wal and -shm files are\n"
	 "removed. On any failure the database is left as it was.\n"
	 "\n"
	 "A database that holds data is replaced only with --force: back\n"
	 "it up first, or restore into a new path with --db PATH.\n"
	 "\n"
	 "  --force   replace a database that holds data\n"
	 "  --json    print the summary as JSON\n"
	 "\n"
	 "Exits 2 on bad input (not an SQLite database, damaged, truncated,\n"
	 "not agora's, a newer schema) or without --force over data, 1 when\n"
	 "the database is in use or the backup fails verification.\n",
	 cmd_restore},
	{"review", "an editor's theme decisions and context notes",
	 "usage: agora review --election SLUG --as EMAIL confirm|reject|add\n"
	 "                    PROPOSAL THEME\n"
	 "       agora review --election SLUG --as EMAIL [--note ID]\n"
	 "                    --source URL [--source URL...] note PROPOSAL\n"
	 "\n"
	 "  confirm, reject  decide on a theme suggested for a proposal\n"
	 "  add              give a proposal a theme (confirmed)\n"
	 "  note             a context note on a proposal, its text read\n"
	 "                   from the standard input; with --note ID, a new\n"
	 "                   version of that note\n"
	 "\n"
	 "  --election SLUG  the proposal's election\n"
	 "  --as EMAIL       the editor (of that election, or an\n"
	 "                   administrator) who signs the change\n"
	 "  --source URL     an http or https source of the note (1 to 10)\n"
	 "\n"
	 "As on the review screen: every change is one entry of the audit\n"
	 "log, and a proposal's text is never changed. Prints 'changed' or\n"
	 "'unchanged' (a decision already taken), or the note's id. Exit\n"
	 "status 2 for a proposal, note or theme not in the election, bad\n"
	 "sources, or an account that is not an editor of it.\n",
	 cmd_review},
	{NULL, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	const struct cli_command *c;

	fprintf(f,
		"usage: agora [--db PATH] [--quiet] COMMAND [ARGS]\n"
		"       agora COMMAND --help\n"
		"\n"
		"agora compares candidates' programmes: documents are stored\n"
		"verbatim, cut into proposals, tagged with themes and indexed\n"
		"for French full-text search.\n"
		"\n"
		"commands:\n");
	for (c = cli_commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f,
		"\n"
		"options:\n"
		"  --db PATH    the database (default var/agora.db, or "
		"$AGORA_DB)\n"
		"  --quiet      no progress, notes or confirmation lines (lists,\n"
		"               results and errors are still printed)\n"
		"  --version    print the version\n"
		"  -h, --help   this help\n"
		"\n"
		"exit status: 0 ok, 1 a check failed (or an internal error),\n"
		"2 bad usage or bad input.\n");
}

int cli_exit_code(int code)
{
	switch (code) {
	case AGORA_OK:
		return EXIT_OK;
	case AGORA_EINVAL:
	case AGORA_ENOTFOUND:
	case AGORA_ETOOBIG:
	case AGORA_EEXIST:
	case AGORA_EIO:
		return EXIT_USAGE;
	}
	return EXIT_CHECK;
}

int cli_fail(const struct agora_error *err)
{
	fprintf(stderr, "agora: %s\n", err->msg[0] ? err->msg : "failed");
	return cli_exit_code(err->code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "agora %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'agora %s --help')\n", cmd);
	return EXIT_USAGE;
}

int cli_want_help(const char *cmd, int argc, char **argv)
{
	const struct cli_command *c;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			for (c = cli_commands; c->name; c++)
				if (!strcmp(c->name, cmd))
					fputs(c->usage, stdout);
			return 1;
		}
	}
	return 0;
}

char *cli_default_outbox(const struct cli *cli)
{
	const char *slash = strrchr(cli->db_path, '/');
	size_t n = slash ? (size_t)(slash - cli->db_path) + 1 : 0;
	char *p = malloc(n + sizeof("outbox"));

	if (p) {
		memcpy(p, cli->db_path, n);
		memcpy(p + n, "outbox", sizeof("outbox"));
	}
	return p;
}

int cli_open(struct cli *cli, int write, struct agora_db **db)
{
	struct agora_error err = {0};
	int rc;

	rc = db_open(db, cli->db_path, write ? DB_OPEN_CREATE : 0, &err);
	if (!rc && !(rc = ingest_db_prepare(*db, &err)))
		rc = compare_db_prepare(*db, &err);
	if (rc) {
		db_close(*db);
		*db = NULL;
		if (!write && rc == AGORA_EDB)
			fprintf(stderr,
				"agora: %s\n(is there a database yet? "
				"'./run' or 'agora election add' creates it)\n",
				err.msg);
		else
			fprintf(stderr, "agora: %s\n", err.msg);
		return EXIT_CHECK;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli cli = {0};
	const struct cli_command *c;
	int ch, rc;

	cli.db_path = getenv("AGORA_DB");
	if (!cli.db_path || !*cli.db_path)
		cli.db_path = "var/agora.db";
	/* '+': stop at the command name, its options are its own */
	while ((ch = getopt_long(argc, argv, "+hq", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			cli.db_path = optarg;
			break;
		case 'q':
			cli.quiet = 1;
			break;
		case 'V':
			printf("agora %s\n", AGORA_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (c = cli_commands; c->name; c++)
		if (!strcmp(c->name, argv[optind]))
			break;
	if (!c->name) {
		fprintf(stderr, "agora: unknown command '%s' (see 'agora "
				"--help')\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "agora: cannot initialise libsodium\n");
		return EXIT_CHECK;
	}
	/* libxml2's lazy set-up is not thread-safe: do it before any thread */
	xmlInitParser();
	xmlRelaxNGInitTypes();
	if (cli_want_help(c->name, argc - optind, argv + optind))
		return EXIT_OK;
	optind++; /* getopt_long again from the command's own arguments */
	rc = c->run(&cli, argc - optind + 1, argv + optind - 1);
	xmlCleanupParser();
	return rc;
}
