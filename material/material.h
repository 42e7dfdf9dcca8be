/*
 * material.h - candidates' campaign material and profiles (issue 4):
 * photos (JPEG, PNG, WebP), PDF leaflets and video links, and the
 * profile voters read (name as on the ballot, party or list, a short
 * biography, links). A candidate proposes, an editor of the election
 * (or an administrator) publishes or rejects with a reason the
 * candidate reads; only published material and the last published
 * profile are public. Every proposal and decision is one entry of the
 * hash-chained audit log, written in the caller's write transaction:
 * nothing here begins or commits.
 *
 * Files are typed from their bytes only (material_sniff(), a pure
 * parser with a libFuzzer target): the name and the declared type are
 * never read. The bytes live in the database, never on the file system.
 *
 * material/ depends on core/ and auth/ (for the audit log).
 */
#ifndef AGORA_MATERIAL_H
#define AGORA_MATERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#define MATERIAL_PHOTO_MAX ((size_t)5 << 20)	/* bytes of a photo */
#define MATERIAL_LEAFLET_MAX ((size_t)10 << 20) /* bytes of a PDF */
#define MATERIAL_FILE_MAX MATERIAL_LEAFLET_MAX	/* the upload's cap */
#define MATERIAL_SIDE_MAX 10000u		/* pixels of a side */
#define MATERIAL_PIXELS_MAX 50000000ull		/* pixels of an image */
#define MATERIAL_CAPTION_MAX 300		/* bytes of a caption */
#define MATERIAL_URL_MAX 2000			/* bytes of a link */
#define MATERIAL_BIO_MAX 2000			/* bytes of a biography */
#define MATERIAL_LINKS_MAX 5			/* links of a profile */
#define MATERIAL_NAME_MAX 200			/* bytes of a name, a party */

int material_db_prepare(struct agora_db *db, struct agora_error *err);

/* ------------------------------------------------------- the sniffer */

enum material_type {
	MATERIAL_NONE, /* not a type accepted */
	MATERIAL_JPEG,
	MATERIAL_PNG,
	MATERIAL_WEBP,
	MATERIAL_PDF,
};

struct material_file {
	enum material_type type;
	const char *media_type; /* "image/png"..., NULL for MATERIAL_NONE */
	const char *label;	/* "PNG"..., or what else it looks like */
	unsigned width, height; /* an image's, 0 for a PDF */
};

/*
 * What p[0..n) is, from its bytes: a whole JPEG, PNG or WebP image,
 * walked from its signature to its end marker (every chunk or segment
 * inside the file, PNG's CRCs right, the dimensions within the limits),
 * or a PDF (%PDF- at byte 0, %%EOF at the end, no JavaScript, launch
 * action or embedded file named in it). Nothing may follow the end (a
 * JPEG's zero padding aside), and no HTML or SVG markup may appear
 * anywhere: a polyglot is refused. 0 when accepted; AGORA_EINVAL with
 * the reason otherwise, out->type being MATERIAL_NONE when the type is
 * not one accepted at all (out->label then names what it looks like,
 * or is NULL) and the accepted type when the file is malformed,
 * truncated or a polyglot. Reads nothing past n; no allocation.
 */
int material_sniff(const void *p, size_t n, struct material_file *out,
		   struct agora_error *err);

/*
 * A link a candidate gives (a video, a profile's link): an absolute
 * https URL with a host name, no user or password in it, at most
 * MATERIAL_URL_MAX bytes of printable ASCII without spaces, quotes,
 * angle brackets or backslashes. 0 or AGORA_EINVAL naming what.
 */
int material_url_check(const char *what, const char *url,
		       struct agora_error *err);

/* ------------------------------------------------------ the material */

struct material_item {
	int64_t id, candidate_id, election_id, size;
	char *election, *candidate, *candidate_name;
	char *kind;	     /* photo, leaflet, video */
	char *media_type;    /* "" for a video */
	char *caption, *url; /* url: a video's link, else "" */
	char *status, *reason, *submitted_at, *sha256;
	unsigned width, height;
	int64_t submitted_by; /* the account that sent it, 0: none */
};
void material_item_fini(struct material_item *m);
typedef int (*material_fn)(void *ctx, const struct material_item *m);

/*
 * A photo or a leaflet for candidate_id, pending: sniffed, its size
 * checked against its type's limit (AGORA_ETOOBIG), stored with its
 * SHA-256, and an audit entry "material.submit". The same bytes
 * already stored for that candidate (pending or published) are not
 * stored again: *duplicate is then 1 and *id that item. A refused
 * file leaves no row; *file (may be NULL) tells what it was.
 */
int material_add_file(struct agora_db *db, int64_t candidate_id,
		      int64_t user_id, const char *caption, const void *p,
		      size_t n, struct material_file *file, int64_t *id,
		      int *duplicate, struct agora_error *err);
/* A video link for candidate_id, pending, with its audit entry */
int material_add_video(struct agora_db *db, int64_t candidate_id,
		       int64_t user_id, const char *caption, const char *url,
		       int64_t *id, struct agora_error *err);
/*
 * The material of a candidate (0: of every candidate), with status
 * (NULL: any), oldest first.
 */
int material_list(struct agora_db *db, int64_t candidate_id, const char *status,
		  material_fn fn, void *ctx, struct agora_error *err);
/*
 * The published photos of every candidate of election (a slug), oldest
 * first: a primary's pages show each candidate's newest
 */
int material_election_photos(struct agora_db *db, const char *election,
			     material_fn fn, void *ctx,
			     struct agora_error *err);
/* One item; AGORA_ENOTFOUND when there is none */
int material_get(struct agora_db *db, int64_t id, struct material_item *out,
		 struct agora_error *err);
/* The stored bytes of a photo or leaflet, appended to out */
int material_data(struct agora_db *db, int64_t id, struct sb *out,
		  struct agora_error *err);
/*
 * Publishes or rejects (a reason is required) a pending item, with the
 * audit entry "material.publish" or "material.reject"; an item that is
 * not pending is AGORA_EINVAL, an unknown one AGORA_ENOTFOUND.
 */
int material_moderate(struct agora_db *db, int64_t id, int publish,
		      const char *reason, int64_t user_id,
		      struct agora_error *err);

/*
 * The candidate withdraws a published item: it is no longer public
 * (material_list and material_get then say "withdrawn"); the row, its
 * bytes and its audit entries stay. Audit entry "material.withdraw".
 * An item that is not published (or already withdrawn) is
 * AGORA_EINVAL; who may withdraw it is the caller's check.
 */
int material_withdraw(struct agora_db *db, int64_t id, int64_t user_id,
		      struct agora_error *err);

/* ------------------------------------------------------- the profile */

struct material_profile {
	int64_t id, candidate_id, election_id;
	char *election, *candidate;
	char *given_name, *family_name, *party, *bio;
	char *links; /* https links, newline-separated */
	char *status, *reason, *proposed_at, *decided_at;
	int64_t proposed_by; /* the account that proposed it, 0: none */
};
void material_profile_fini(struct material_profile *p);
typedef int (*material_profile_fn)(void *ctx, const struct material_profile *p);

/*
 * Proposes a profile for candidate_id: the name as on the ballot
 * (given and family name, the latter required), party or list, a
 * short biography (MATERIAL_BIO_MAX bytes, lines allowed) and links
 * (one https link a line, at most MATERIAL_LINKS_MAX). A proposal
 * still pending for that candidate is withdrawn (kept in the
 * history). Audit entry "profile.propose". AGORA_EINVAL says which
 * field is wrong.
 */
int material_profile_propose(struct agora_db *db, int64_t candidate_id,
			     int64_t user_id, const char *given,
			     const char *family, const char *party,
			     const char *bio, const char *links, int64_t *id,
			     struct agora_error *err);
/*
 * Publishes (the candidate's names and party take the proposal's, the
 * alphabetical order follows) or rejects with a reason a pending
 * proposal; audit entry "profile.publish" or "profile.reject".
 */
int material_profile_moderate(struct agora_db *db, int64_t id, int publish,
			      const char *reason, int64_t user_id,
			      struct agora_error *err);
/* The last published profile of a candidate; AGORA_ENOTFOUND for none */
int material_profile_current(struct agora_db *db, int64_t candidate_id,
			     struct material_profile *out,
			     struct agora_error *err);
/* One proposal; AGORA_ENOTFOUND when there is none */
int material_profile_get(struct agora_db *db, int64_t id,
			 struct material_profile *out, struct agora_error *err);
/*
 * The proposals of a candidate, newest first (candidate_id 0: the
 * pending ones of every candidate, oldest first).
 */
int material_profile_list(struct agora_db *db, int64_t candidate_id,
			  material_profile_fn fn, void *ctx,
			  struct agora_error *err);

/* ------------------------------------------------------------ verify */

/*
 * `agora verify`: every stored photo and leaflet is re-hashed and
 * sniffed again; a missing file, bytes whose SHA-256 or size differ
 * from the row's, or bytes no longer accepted as their media type are
 * each one line to on_failure. AGORA_ECHECK when anything failed.
 */
int material_verify(struct agora_db *db,
		    void (*on_failure)(void *ctx, const char *line), void *ctx,
		    size_t *items, size_t *failures, struct agora_error *err);

#endif
