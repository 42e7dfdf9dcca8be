/*
 * extract_int.h - private to ingest/: the text builder and the HTML tree
 * walker that the HTML, Markdown and XML extractors share. Nothing outside
 * this folder includes it.
 */
#ifndef AGORA_EXTRACT_INT_H
#define AGORA_EXTRACT_INT_H

#include "ingest.h"

/*
 * Builds doc->text one block at a time, collapsing whitespace as a browser
 * does: a block starts lazily at its first visible character (so a block
 * that is empty after collapsing gives nothing), blocks are separated by
 * "\n\n" and runs of whitespace inside a block become one space. Errors
 * are sticky: check b->rc at the end.
 */
struct xb {
	struct ingest_doc *doc;
	int open;	/* a block has visible text */
	int space;	/* a space is pending before the next character */
	size_t start;	/* start of the open block */
	int rc;		/* first error, 0 if none */
	size_t nonlink; /* visible characters outside #anchor links */
	size_t anchors; /* #anchor links seen */
	int in_anchor;	/* depth of #anchor links around the cursor */
};

void xb_init(struct xb *b, struct ingest_doc *doc);
/* Appends n bytes of text, collapsing whitespace; bad UTF-8 gives U+FFFD */
void xb_text(struct xb *b, const char *s, size_t n);
/* A word break (br, softbreak): a space if more text follows */
void xb_space(struct xb *b);
/*
 * Closes the open block, if any, as a block of this kind; returns its
 * index or -1 when there was no visible text.
 */
long xb_end(struct xb *b, enum ingest_block_kind kind, int level);

/* Remembers where a list starts, to tell a table of contents at its end */
struct xb_list {
	size_t first_block;
	size_t nonlink, anchors;
};
void xb_list_enter(struct xb *b, struct xb_list *l);
/* Retags the list's blocks as IB_TOC if they were only #anchor links */
void xb_list_exit(struct xb *b, const struct xb_list *l);

/*
 * Walks an HTML fragment (a Markdown html_block) into b, with the same
 * rules as the HTML extractor. Returns 0 or a negative AGORA_E* code.
 */
int html_extract_fragment(struct xb *b, const char *p, size_t n,
			  const struct ingest_limits *lim,
			  struct agora_error *err);

/* Case-insensitive ASCII prefix test on UTF-8 text */
int xb_prefix(const char *s, size_t n, const char *prefix);

#endif
