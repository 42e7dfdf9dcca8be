/*
 * read.c - reading what the web shows beyond the grid: the elections, a
 * candidate's whole programme in its original order, one proposal with
 * its document and themes. Read-only; its own statement table
 * (DB_MOD_READ), prepared by compare_read_db_prepare().
 */
#include <stdlib.h>
#include <string.h>

#include "compare.h"

enum read_stmt {
	READ_ELECTIONS,
	READ_DOCUMENTS,
	READ_PROPOSALS,
	READ_PROPOSAL,
	READ_STMT__MAX
};

/* A proposal's themes as keys in taxonomy order, rejected ones left out */
#define PROPOSAL_THEMES(p)                                                     \
	"(SELECT group_concat(slug, ' ') FROM (SELECT t.slug"                  \
	" FROM proposal_theme pt JOIN theme t ON t.id = pt.theme_id"           \
	" WHERE pt.proposal_id = " p " AND pt.status <> 'rejected'"            \
	" ORDER BY t.position))"

/* clang-format off: SQL reads better cut at its own clauses */
static const char *const read_sql[READ_STMT__MAX] = {
	[READ_ELECTIONS] =
		"SELECT slug, title, coalesce(date, ''), language,"
		" (SELECT count(*) FROM candidate c WHERE c.election_id = e.id)"
		" FROM election e ORDER BY date, slug",
	[READ_DOCUMENTS] =
		"SELECT d.id, d.version, d.title, d.format, d.media_type,"
		" coalesce(d.source_url, ''), d.sha256, d.submitted_at,"
		" (SELECT count(*) FROM proposal p WHERE p.document_id = d.id)"
		" FROM current_document d WHERE d.candidate_id = ?1"
		" ORDER BY d.id",
	[READ_PROPOSALS] =
		"SELECT p.id, p.document_id, p.ordinal, p.heading_path, p.text,"
		" p.kind, " PROPOSAL_THEMES(
			"p.id") " FROM proposal p JOIN current_document d"
				" ON d.id = p.document_id WHERE d.candidate_id "
				"= ?1"
				" ORDER BY d.id, p.ordinal",
	[READ_PROPOSAL] =
		"SELECT p.id, p.document_id, p.ordinal, p.heading_path, p.text,"
		" p.kind, " PROPOSAL_THEMES(
			"p.id") ", p.start, p.end,"
				" EXISTS (SELECT 1 FROM current_document cd "
				"WHERE cd.id = d.id),"
				" e.slug, e.title, c.id, c.slug, c.given_name, "
				"c.family_name,"
				" c.party, d.version, d.title, d.format, "
				"d.media_type,"
				" coalesce(d.source_url, ''), d.sha256, "
				"d.submitted_at"
				" FROM proposal p JOIN document d ON d.id = "
				"p.document_id"
				" JOIN candidate c ON c.id = d.candidate_id"
				" JOIN election e ON e.id = c.election_id"
				" WHERE p.id = ?1 AND d.status = 'published'",
};
/* clang-format on */

int compare_read_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_READ, read_sql, READ_STMT__MAX,
				 err);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum read_stmt id)
{
	return db_stmt(db, DB_MOD_READ, id);
}

/* Grows *v (of element size sz) so that one more fits; -1 without memory */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	nv = realloc(*v, ncap * sz);
	if (!nv)
		return -1;
	memset((char *)nv + n * sz, 0, (ncap - n) * sz);
	*v = nv;
	*cap = ncap;
	return 0;
}

/* ------------------------------------------------------------ elections */

void election_summary_list_fini(struct election_summary_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].slug);
		free(l->v[i].title);
		free(l->v[i].date);
		free(l->v[i].language);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int compare_elections(struct agora_db *db, struct election_summary_list *out,
		      struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, READ_ELECTIONS);
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	while ((rc = db_step(db, st, err)) == 1) {
		struct election_summary *e;

		if (grow((void **)&out->v, out->n, &cap, sizeof(*out->v)))
			goto nomem;
		e = &out->v[out->n++];
		e->slug = db_col_dup(st, 0);
		e->title = db_col_dup(st, 1);
		e->date = db_col_dup(st, 2);
		e->language = db_col_dup(st, 3);
		e->candidates = (size_t)sqlite3_column_int64(st, 4);
		if (!e->slug || !e->title || !e->date || !e->language)
			goto nomem;
	}
	if (rc < 0)
		election_summary_list_fini(out);
	return rc < 0 ? rc : 0;
nomem:
	sqlite3_reset(st);
	election_summary_list_fini(out);
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

/* --------------------------------------------------------- programmes */

static void document_fini(struct programme_document *d)
{
	free(d->title);
	free(d->format);
	free(d->media_type);
	free(d->source_url);
	free(d->sha256);
	free(d->submitted_at);
}

static void proposal_fini(struct programme_proposal *p)
{
	free(p->heading_path);
	free(p->text);
	free(p->kind);
	free(p->themes);
}

static void cand_fini(struct candidate_info *c)
{
	free(c->slug);
	free(c->given_name);
	free(c->family_name);
	free(c->party);
}

void programme_fini(struct programme *p)
{
	size_t i;

	for (i = 0; i < p->ndoc; i++)
		document_fini(&p->doc[i]);
	for (i = 0; i < p->n; i++)
		proposal_fini(&p->v[i]);
	free(p->doc);
	free(p->v);
	cand_fini(&p->cand);
	memset(p, 0, sizeof(*p));
}

/* Reads columns [c, c + 7) of st as a document's fields, id aside */
static int document_fill(sqlite3_stmt *st, int c, struct programme_document *d)
{
	d->version = sqlite3_column_int(st, c);
	d->title = db_col_dup(st, c + 1);
	d->format = db_col_dup(st, c + 2);
	d->media_type = db_col_dup(st, c + 3);
	d->source_url = db_col_dup(st, c + 4);
	d->sha256 = db_col_dup(st, c + 5);
	d->submitted_at = db_col_dup(st, c + 6);
	return d->title && d->format && d->media_type && d->source_url &&
			       d->sha256 && d->submitted_at
		       ? 0
		       : -1;
}

/* Reads columns 0..6 of st (the proposal's own fields) into p */
static int proposal_fill(sqlite3_stmt *st, struct programme_proposal *p)
{
	p->id = sqlite3_column_int64(st, 0);
	p->document_id = sqlite3_column_int64(st, 1);
	p->ordinal = sqlite3_column_int(st, 2);
	p->heading_path = db_col_dup(st, 3);
	p->text = db_col_dup(st, 4);
	p->kind = db_col_dup(st, 5);
	p->themes = db_col_dup(st, 6);
	return p->heading_path && p->text && p->kind && p->themes ? 0 : -1;
}

/*
 * The candidate comes from candidate_list() so that its counts and
 * names are the ones every other page shows; then its current
 * documents and their proposals, in the order they were written.
 */
int compare_programme(struct agora_db *db, const char *election,
		      const char *candidate, struct programme *out,
		      struct agora_error *err)
{
	struct candidate_list all;
	sqlite3_stmt *st = NULL;
	size_t i, cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = candidate_list(db, election, &all, err)))
		return rc;
	for (i = 0; i < all.n; i++)
		if (!strcmp(all.v[i].slug, candidate))
			break;
	if (i == all.n) {
		candidate_list_fini(&all);
		return agora_errorf(err, AGORA_ENOTFOUND,
				    "no candidate '%s' in election '%s'",
				    candidate, election);
	}
	out->cand = all.v[i];
	memset(&all.v[i], 0, sizeof(all.v[i]));
	candidate_list_fini(&all);

	st = stmt(db, READ_DOCUMENTS);
	sqlite3_bind_int64(st, 1, out->cand.id);
	while ((rc = db_step(db, st, err)) == 1) {
		struct programme_document *d;

		if (grow((void **)&out->doc, out->ndoc, &cap, sizeof(*d)))
			goto nomem;
		d = &out->doc[out->ndoc++];
		d->id = sqlite3_column_int64(st, 0);
		d->proposals = (size_t)sqlite3_column_int64(st, 8);
		if (document_fill(st, 1, d))
			goto nomem;
	}
	if (rc < 0)
		goto out;
	st = stmt(db, READ_PROPOSALS);
	sqlite3_bind_int64(st, 1, out->cand.id);
	cap = 0;
	while ((rc = db_step(db, st, err)) == 1) {
		if (grow((void **)&out->v, out->n, &cap, sizeof(*out->v)) ||
		    proposal_fill(st, &out->v[out->n++]))
			goto nomem;
	}
out:
	if (rc < 0) {
		programme_fini(out);
		return rc;
	}
	return 0;
nomem:
	sqlite3_reset(st);
	rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
	goto out;
}

/* ---------------------------------------------------------- proposals */

void proposal_detail_fini(struct proposal_detail *d)
{
	proposal_fini(&d->p);
	document_fini(&d->doc);
	cand_fini(&d->cand);
	free(d->election);
	free(d->election_title);
	memset(d, 0, sizeof(*d));
}

int compare_proposal(struct agora_db *db, int64_t id,
		     struct proposal_detail *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, READ_PROPOSAL);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(db, st, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return agora_errorf(err, AGORA_ENOTFOUND, "no proposal %lld",
				    (long long)id);
	out->start = sqlite3_column_int64(st, 7);
	out->end = sqlite3_column_int64(st, 8);
	out->current = sqlite3_column_int(st, 9);
	out->election = db_col_dup(st, 10);
	out->election_title = db_col_dup(st, 11);
	out->cand.id = sqlite3_column_int64(st, 12);
	out->cand.slug = db_col_dup(st, 13);
	out->cand.given_name = db_col_dup(st, 14);
	out->cand.family_name = db_col_dup(st, 15);
	out->cand.party = db_col_dup(st, 16);
	out->doc.id = out->p.document_id = sqlite3_column_int64(st, 1);
	rc = proposal_fill(st, &out->p) | document_fill(st, 17, &out->doc);
	sqlite3_reset(st);
	if (rc || !out->election || !out->election_title || !out->cand.slug ||
	    !out->cand.given_name || !out->cand.family_name ||
	    !out->cand.party) {
		proposal_detail_fini(out);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 0;
}
