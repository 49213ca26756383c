/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Aligned text tables: columns as wide as their widest cell, numbers
 * right-aligned so that digits line up, everything else left-aligned.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vctl.h"

struct table {
	unsigned int ncols;
	size_t nrows, cap;
	char **cells; /* nrows * ncols, row 0 the headers */
};

struct table *table_new(unsigned int ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	table_add(t, headers);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	unsigned int c;

	if (t == NULL)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, cap * t->ncols * sizeof(*n));

		if (n == NULL)
			return;
		t->cells = n;
		t->cap = cap;
	}
	for (c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = strdup(cells[c] != NULL ? cells[c] : "");
	t->nrows++;
}

void table_addf(struct table *t, const char *fmt, ...)
{
	const char *cells[32] = { 0 };
	char buf[4096], *tok, *p;
	unsigned int c = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* strtok would merge empty cells: split by hand. */
	for (p = buf, tok = buf; c < 32; p++) {
		if (*p == '\t' || *p == '\0') {
			bool end = *p == '\0';

			*p = '\0';
			cells[c++] = tok;
			tok = p + 1;
			if (end)
				break;
		}
	}
	table_add(t, cells);
}

static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

void table_print(struct table *t, FILE *f)
{
	size_t w[32] = { 0 }, r, len;
	bool num[32];
	unsigned int c;

	if (t == NULL)
		return;
	/* A column is numeric when every cell below the header is a number or empty. */
	for (c = 0; c < t->ncols && c < 32; c++) {
		num[c] = t->nrows > 1;
		for (r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c];

			len = strlen(s);
			if (len > w[c])
				w[c] = len;
			if (r > 0 && s[0] != '\0' && !is_number(s))
				num[c] = false;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols && c < 32; c++) {
			const char *s = t->cells[r * t->ncols + c];
			bool last = c + 1 == t->ncols;

			if (num[c])
				fprintf(f, "%*s", (int)w[c], s);
			else
				fprintf(f, "%-*s", last ? 0 : (int)w[c], s);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

void table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
