/*
 * ingest.h - documents in, verbatim proposals and suggested themes out.
 *
 * The pipeline has three pure stages and one database stage:
 *
 *   bytes --extract--> struct ingest_doc (extracted text + blocks)
 *         --segment--> proposals (slices of the extracted text)
 *         --themes---> suggested themes per proposal
 *         --store----> document, proposal, proposal_theme rows
 *
 * Extraction is deterministic: the same bytes and extractor version give
 * the same extracted text, byte for byte, which is what `agora verify`
 * checks. The stored original is never changed.
 */
#ifndef AGORA_INGEST_H
#define AGORA_INGEST_H

#include "core.h"

/*
 * Bump when an extractor's output changes for some input. 2: HTML
 * keeps what follows </html> and refuses a document libxml2 stopped
 * reading early (both were lost silently by 1).
 */
#define INGEST_EXTRACTOR_VERSION 2

enum ingest_format {
	INGEST_AUTO = 0,
	INGEST_HTML,
	INGEST_MARKDOWN,
	INGEST_TEXT,
	INGEST_CSV,
	INGEST_XML,
	INGEST_PDF, /* through poppler's text extraction, then as text */
	INGEST_FORMAT__MAX
};

const char *ingest_format_name(enum ingest_format f);	/* "html" ... */
const char *ingest_format_media_type(enum ingest_format f); /* "text/html" */
/* Parses "auto", "html", "markdown" (or "md"), "text", "csv", "xml",
 * "pdf" */
int ingest_format_parse(const char *s, enum ingest_format *out);
/*
 * Detects the format from the content (the file name's extension is only
 * a tie-breaker): PDF ("%PDF-"), XML with the agora namespace, HTML, CSV with a
 * "proposition" header, Markdown, else plain text.
 */
enum ingest_format ingest_detect(const char *p, size_t n, const char *name);

struct ingest_limits {
	size_t max_bytes;     /* whole document; default 20 MiB */
	size_t max_proposals; /* default 20000 */
	int max_depth;	      /* element nesting; default 256 */
	/*
	 * A PDF is read by poppler in a child process (pdf.c), killed past
	 * pdf_ms of wall-clock time (default 30 s; the processor time is
	 * limited to the same, rounded up to seconds) or pdf_memory bytes of
	 * address space (default 1 GiB; not applied in sanitizer builds,
	 * whose shadow memory needs terabytes of address space)
	 */
	unsigned pdf_ms;
	size_t pdf_memory;
};
void ingest_limits_default(struct ingest_limits *lim);

/*
 * A structural block of the extracted text, as the extractor saw it.
 * Offsets are bytes into doc->text, [start, end).
 */
enum ingest_block_kind {
	IB_HEADING,   /* level 1..9 */
	IB_PARAGRAPH, /* prose or a proposal written as a paragraph */
	IB_ITEM,      /* list item (level = list nesting, 1 = top) */
	IB_CELL,      /* table cell */
	IB_MEASURE,   /* explicitly marked proposal (XML <proposal>, CSV row,
		       * the paragraph after a "Mesure" marker) */
	IB_MARKER,    /* a label such as "Mesure" that announces the next
		       * block; never a proposal itself */
	IB_INTRO,     /* prose marked as not a proposal (XML <intro>) */
	IB_TOC,       /* table-of-contents entry: never a proposal */
};

struct ingest_block {
	enum ingest_block_kind kind;
	int level;
	size_t start, end;
	int key;     /* marked as a key measure by the author */
	char *label; /* the candidate's own theme label, or NULL (owned) */
	int page;    /* page number where known (0 = unknown) */
};

struct ingest_doc {
	enum ingest_format format;
	struct sb text; /* the extracted text, valid UTF-8 */
	struct ingest_block *blocks;
	size_t nblocks, cap;
	char *title; /* document title if the format gives one (owned) */
};

void ingest_doc_init(struct ingest_doc *doc);
void ingest_doc_fini(struct ingest_doc *doc);
/* Appends a block; label is copied. Returns 0 or AGORA_ENOMEM */
int ingest_doc_add(struct ingest_doc *doc, enum ingest_block_kind kind,
		   int level, size_t start, size_t end, const char *label);

/*
 * Extracts text and blocks. Rejects invalid UTF-8 (with the byte
 * offset), oversize input, hostile XML (no network, no entity expansion,
 * no DTD loading) and empty documents. Pure: no database.
 */
int ingest_extract(enum ingest_format fmt, const char *p, size_t n,
		   const struct ingest_limits *lim, struct ingest_doc *doc,
		   struct agora_error *err) AGORA_WUR;

/* One extractor per format, called by ingest_extract (same contract) */
int ingest_extract_html(const char *p, size_t n,
			const struct ingest_limits *lim,
			struct ingest_doc *doc, struct agora_error *err);
int ingest_extract_markdown(const char *p, size_t n,
			    const struct ingest_limits *lim,
			    struct ingest_doc *doc, struct agora_error *err);
int ingest_extract_text(const char *p, size_t n,
			const struct ingest_limits *lim,
			struct ingest_doc *doc, struct agora_error *err);
int ingest_extract_csv(const char *p, size_t n,
		       const struct ingest_limits *lim, struct ingest_doc *doc,
		       struct agora_error *err);
int ingest_extract_xml(const char *p, size_t n,
		       const struct ingest_limits *lim, struct ingest_doc *doc,
		       struct agora_error *err);
/* pdf.c: the pages' text, separated by form feeds, cut as plain text */
int ingest_extract_pdf(const char *p, size_t n,
		       const struct ingest_limits *lim, struct ingest_doc *doc,
		       struct agora_error *err);
/* 1 when the bytes start as a PDF file does ("%PDF-") */
int ingest_is_pdf(const char *p, size_t n);

/* A proposal: a slice of the extracted text, with where it sits */
struct ingest_proposal {
	size_t start, end;
	const char *kind;   /* "measure", "key_measure", "item", "numbered",
			     * "paragraph", "cell" (static strings) */
	char *heading_path; /* headings joined with " › " (owned) */
	char *label;	    /* candidate's own theme label or NULL (owned) */
	int page;
};

struct ingest_segments {
	struct ingest_proposal *v;
	size_t n, cap;
};

void ingest_segments_fini(struct ingest_segments *s);
/*
 * Cuts the blocks into proposals, keeping the author's structure;
 * boilerplate (tables of contents, markers, lead-ins, very short lines)
 * is not a proposal. An empty result is an error ("no proposal found").
 */
int ingest_segment(const struct ingest_doc *doc,
		   const struct ingest_limits *lim, struct ingest_segments *out,
		   struct agora_error *err) AGORA_WUR;

/* ---------------------------------------------------------------- themes */

enum theme_origin { THEME_HEADING, THEME_LABEL, THEME_RULE };
const char *theme_origin_name(enum theme_origin o);

struct theme_suggestion {
	const char *theme; /* theme key (static, from the taxonomy) */
	enum theme_origin origin;
	double confidence; /* 0..1 */
};

/* Compiled mapping tables (data in ingest/data/), one per process */
struct theme_rules;
int theme_rules_load(struct theme_rules **out, struct agora_error *err);
void theme_rules_free(struct theme_rules *r);

/*
 * Suggests themes for one proposal from its heading path, its label and
 * its text; writes at most max suggestions, best first, one per theme.
 * st is the caller's stemmer (one per thread). Returns the count.
 */
size_t theme_suggest(const struct theme_rules *r, struct fr_stemmer *st,
		     const char *heading_path, const char *label,
		     const char *text, size_t textlen,
		     struct theme_suggestion *out, size_t max);
/* Maps a candidate's own label (a URL slug) to a theme key, or NULL */
const char *theme_map_label(const struct theme_rules *r, const char *label);

/* ------------------------------------------------------------- database */

/* Prepares ingest's statements on this connection */
int ingest_db_prepare(struct agora_db *db, struct agora_error *err);

struct ingest_request {
	const char *election;	/* election slug (must exist) */
	const char *candidate;	/* display name "Given Family" */
	const char *given_name; /* optional: else split from candidate */
	const char *family_name;
	const char *party;	/* optional */
	const char *source_url; /* optional */
	const char *title;	/* document title: defaults to file name */
	enum ingest_format format;
	struct ingest_limits limits;
	/* a submission (web): this existing candidate, by slug, not name */
	const char *candidate_slug;
	int pending;	      /* 1: waits for moderation, not searchable */
	int64_t submitted_by; /* the user who sent it, or 0 */
};

struct ingest_theme_count {
	const char *theme; /* key */
	size_t n;
};

struct ingest_result {
	int64_t candidate_id;
	int64_t document_id;
	int version;
	int duplicate; /* identical bytes already stored: nothing written */
	enum ingest_format format;
	size_t bytes;
	size_t proposals;
	struct ingest_theme_count themes[64]; /* proposals per theme */
	size_t nthemes;
	char sha256[65];
};

/*
 * Ingests one document in one write transaction: all or nothing. The
 * candidate is created if needed. Identical bytes for the same candidate
 * and title are not stored twice (result->duplicate).
 */
int ingest_document(struct agora_db *db, const struct theme_rules *rules,
		    const struct ingest_request *req, const char *p, size_t n,
		    struct ingest_result *res, struct agora_error *err) AGORA_WUR;

/* ------------------------------------------------------------ moderation */

/* One document as moderation and its author see it (strings owned) */
struct ingest_doc_info {
	int64_t id, candidate_id, election_id;
	int version;
	char *title, *format, *status, *source_url, *submitted_at;
	char *election, *candidate, *candidate_name; /* slugs, then name */
	char *reason;	/* the decision's reason, "" when none */
	int64_t previous_id; /* the published version before it, or 0 */
	size_t proposals;
	int64_t submitted_by; /* the account that sent it, 0: the CLI */
};
void ingest_doc_info_fini(struct ingest_doc_info *d);

/*
 * The candidate slug of election, created with the display name name
 * ("Given Family", split as ingest splits it) when there is none yet,
 * in the caller's write transaction: a primary's declarant becomes a
 * candidate of the comparator. *created (may be NULL) says which.
 */
int ingest_candidate_ensure(struct agora_db *db, const char *election,
			    const char *slug, const char *name, int64_t *id,
			    int *created, struct agora_error *err) AGORA_WUR;

/* A candidate's id from the slugs; AGORA_ENOTFOUND when there is none */
int ingest_candidate_id(struct agora_db *db, const char *election,
			const char *candidate, int64_t *id,
			struct agora_error *err);

/* AGORA_ENOTFOUND when there is no such document (in the caller's tx) */
int ingest_document_info(struct agora_db *db, int64_t id,
			 struct ingest_doc_info *out, struct agora_error *err);

/*
 * Calls fn for each programme document: pending ones of an election
 * (election_id 0: of all), oldest first, when candidate_id is 0; else
 * every version of that candidate's programmes, newest first. A non-zero
 * return from fn stops and is returned.
 */
int ingest_document_list(struct agora_db *db, int64_t election_id,
			 int64_t candidate_id,
			 int (*fn)(void *ctx, const struct ingest_doc_info *d),
			 void *ctx, struct agora_error *err);

/* Calls fn for each proposal of a document, in order */
int ingest_document_proposals(struct agora_db *db, int64_t document_id,
			      int (*fn)(void *ctx, int64_t id,
					const char *heading_path,
					const char *text, int page),
			      void *ctx, struct agora_error *err);

/*
 * Publishes (publish = 1) or rejects a pending document, in the
 * caller's write transaction; a rejection needs a reason, which its
 * author is shown. Publishing makes it the current version (the index
 * follows, by the schema's triggers) unless a newer one is published.
 * AGORA_EINVAL when the document is not pending.
 */
int ingest_moderate(struct agora_db *db, int64_t document_id, int publish,
		    const char *reason, int64_t user_id,
		    struct agora_error *err) AGORA_WUR;

/* ---------------------------------------------------------------- verify */

struct verify_report {
	size_t documents, proposals;
	size_t failures;
	/* called for each mismatch, with a precise one-line description */
	void (*on_failure)(void *ctx, const char *line);
	/*
	 * Documents extracted by another extractor version that this build
	 * reads differently: not failures (their hash and their proposals
	 * are still checked against the stored text), each told through
	 * on_note when set
	 */
	size_t other_extractor;
	void (*on_note)(void *ctx, const char *line);
	void *ctx;
};

/*
 * Re-extracts every stored original and checks its SHA-256, its
 * extracted text and every proposal slice. Returns 0 when all hold,
 * AGORA_ECHECK when some do not (see report), < 0 on other errors.
 */
int ingest_verify(struct agora_db *db, struct verify_report *report,
		  struct agora_error *err);

#endif
