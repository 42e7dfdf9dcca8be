/*
 * pdf.c - PDF programmes through poppler's text extraction (poppler-glib):
 * the text of each page in reading order, pages separated by a form feed,
 * then cut by the plain-text extractor, which keeps the page numbers as
 * provenance. The stored original is the PDF itself; `agora verify`
 * re-extracts it, so the extracted text depends on poppler's version as
 * well as ours (a poppler upgrade that changes the text is reported by
 * verify, never silently accepted).
 */
#include <string.h>

#include <poppler.h>

#include "extract_int.h"

/* Pages of one document: a programme has tens, a hostile file millions */
#define PDF_MAX_PAGES 2000

int ingest_is_pdf(const char *p, size_t n)
{
	return n >= 5 && !memcmp(p, "%PDF-", 5);
}

int ingest_extract_pdf(const char *p, size_t n, const struct ingest_limits *lim,
		       struct ingest_doc *doc, struct agora_error *err)
{
	PopplerDocument *pd = NULL;
	GBytes *bytes = NULL;
	GError *gerr = NULL;
	struct sb text;
	int i, npages, rc = 0;

	if (!ingest_is_pdf(p, n))
		return agora_errorf(err, AGORA_EINVAL,
				    "not a PDF: the file does not start with "
				    "'%%PDF-'");
	sb_init(&text, lim->max_bytes);
	bytes = g_bytes_new_static(p, n);
	pd = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	if (!pd) {
		rc = agora_errorf(err, AGORA_EINVAL, "cannot read the PDF: %s",
				  gerr && gerr->message ? gerr->message
							: "unknown error");
		goto out;
	}
	npages = poppler_document_get_n_pages(pd);
	if (npages > PDF_MAX_PAGES) {
		rc = agora_errorf(err, AGORA_ETOOBIG,
				  "the PDF has %d pages, more than the limit "
				  "of %d",
				  npages, PDF_MAX_PAGES);
		goto out;
	}
	for (i = 0; i < npages; i++) {
		PopplerPage *page = poppler_document_get_page(pd, i);
		char *t = page ? poppler_page_get_text(page) : NULL;

		if (i > 0)
			sb_putc(&text, '\f');
		if (t)
			sb_puts(&text, t);
		g_free(t);
		if (page)
			g_object_unref(page);
		if (sb_error(&text)) {
			rc = agora_errorf(err, AGORA_ETOOBIG,
					  "the PDF's text is larger than %zu "
					  "bytes (page %d)",
					  lim->max_bytes, i + 1);
			goto out;
		}
	}
	if ((rc = ingest_extract_text(text.buf ? text.buf : "", text.len, lim,
				      doc, err)))
		goto out;
	doc->format = INGEST_PDF;
out:
	if (gerr)
		g_error_free(gerr);
	if (pd)
		g_object_unref(pd);
	if (bytes)
		g_bytes_unref(bytes);
	sb_fini(&text);
	return rc;
}
