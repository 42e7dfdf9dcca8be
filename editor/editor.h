/*
 * editor.h - what editors do to an election (issue 4): decide on the
 * themes suggested for its proposals (confirm, reject, add) and write
 * context notes with sources, each edit a new version. Every change is
 * one entry of the hash-chained audit log (auth_audit), written in the
 * caller's write transaction: nothing here begins or commits.
 *
 * Nothing here can change a proposal's text: no statement of this
 * module touches the proposal table but to read it, and the schema
 * refuses such an update anyway (trigger proposal_au).
 *
 * editor/ depends on core/ and auth/ (for the audit log).
 */
#ifndef AGORA_EDITOR_H
#define AGORA_EDITOR_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

int editor_db_prepare(struct agora_db *db, struct agora_error *err);

#define EDITOR_NOTE_MAX 4000  /* bytes of a note's body */
#define EDITOR_SOURCES_MAX 10 /* links of one note */
#define EDITOR_URL_MAX 2000   /* bytes of one link */
#define EDITOR_PAGE_MAX 50    /* proposals of one review page */

/* ---------------------------------------------------------- review */

struct editor_theme {
	char *key, *label_fr, *label_en, *origin, *status;
	double confidence;
};

struct editor_item {
	int64_t id;
	char *candidate, *given_name, *family_name, *heading_path, *text;
	struct editor_theme *t;
	size_t nt;
};

struct editor_review {
	struct editor_item *v;
	size_t n;
	int more; /* another page follows */
};
void editor_review_fini(struct editor_review *l);

struct editor_filter {
	const char *candidate; /* a slug, or NULL for every candidate */
	const char *theme;     /* a theme key, or NULL */
	int unreviewed;	       /* only proposals with a suggestion left */
	size_t page;	       /* from 0, EDITOR_PAGE_MAX proposals each */
};

/*
 * The proposals of an election's current programmes, in the candidates'
 * alphabetical order then the programme's, with every theme row (the
 * rejected ones too), by filter.
 */
int editor_review_list(struct agora_db *db, int64_t election_id,
		       const struct editor_filter *f, struct editor_review *out,
		       struct agora_error *err);
/* One proposal of the election as an item; AGORA_ENOTFOUND otherwise */
int editor_review_item(struct agora_db *db, int64_t election_id,
		       int64_t proposal_id, struct editor_review *out,
		       struct agora_error *err);

enum editor_decision { EDITOR_CONFIRM, EDITOR_REJECT, EDITOR_ADD };

/*
 * Decides on theme (a key) for a proposal of election_id, as editor: a
 * suggestion is confirmed or rejected; "add" inserts the theme
 * (origin editor, confirmed) or confirms it when it is there. A
 * proposal of another election is AGORA_ENOTFOUND, as is a
 * suggestion that does not exist (for confirm and reject). *changed (may
 * be NULL) is 0 when the status was already the one asked: then nothing
 * is written, not even to the audit log.
 */
int editor_theme_decide(struct agora_db *db, int64_t election_id,
			int64_t editor, int64_t proposal_id, const char *theme,
			enum editor_decision d, int *changed,
			struct agora_error *err);

/* ----------------------------------------------------------- notes */

/*
 * Checks a note's sources, one link a line (blank lines ignored): 1 to
 * EDITOR_SOURCES_MAX absolute http or https URLs with a host, printable
 * ASCII without spaces, quotes or angle brackets. *out (the caller
 * frees) is the links joined by newlines. AGORA_EINVAL says which line.
 */
int editor_sources_check(const char *text, char **out, struct agora_error *err);

/*
 * A new note on a proposal of election_id (AGORA_ENOTFOUND otherwise),
 * or a new version of note_id (a note of that election). The body is
 * trimmed, 1 to EDITOR_NOTE_MAX bytes of valid UTF-8.
 */
int editor_note_add(struct agora_db *db, int64_t election_id, int64_t editor,
		    int64_t proposal_id, const char *body, const char *sources,
		    int64_t *note_id, struct agora_error *err);
int editor_note_edit(struct agora_db *db, int64_t election_id, int64_t editor,
		     int64_t note_id, const char *body, const char *sources,
		     struct agora_error *err);

struct editor_note {
	int64_t id, proposal_id, editor_id;
	int version;
	char *body, *sources; /* sources: links, newline-separated */
	char *editor_name;    /* the display name, "" when none is set */
	char *at, *created_at;
};
struct editor_note_list {
	struct editor_note *v;
	size_t n;
};
void editor_note_list_fini(struct editor_note_list *l);
/* The current version of every note on a proposal, oldest note first */
int editor_notes(struct agora_db *db, int64_t proposal_id,
		 struct editor_note_list *out, struct agora_error *err);
/* Every version of a note, newest first; AGORA_ENOTFOUND for none */
int editor_note_history(struct agora_db *db, int64_t note_id,
			struct editor_note_list *out, struct agora_error *err);
/* The election (id) a note's proposal belongs to; 0 when none */
int64_t editor_note_election(struct agora_db *db, int64_t note_id);

/* ----------------------------------------------------------- audit */

struct editor_audit_entry {
	int64_t seq, actor;
	char *at, *actor_name, *action, *object, *detail;
};
struct editor_audit_list {
	struct editor_audit_entry *v;
	size_t n;
};
void editor_audit_list_fini(struct editor_audit_list *l);
/* The editors' entries about an election's proposals, newest first */
int editor_audit(struct agora_db *db, int64_t election_id, size_t limit,
		 struct editor_audit_list *out, struct agora_error *err);

#endif
