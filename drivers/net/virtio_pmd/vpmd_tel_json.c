/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A jansson tree as a DPDK 22.11 telemetry reply (see vpmd_tel_json.h).
 *
 * Three steps, so that a reply is either whole or refused: reshape the
 * tree into what telemetry carries, measure its rendering (jansson's
 * compact output is telemetry's, byte for byte, but for escapes, where
 * jansson is never shorter), then fill the reply from containers that
 * were all allocated up front. A callback that fails leaves telemetry to
 * answer null, and telemetry frees nothing of a failed reply: nothing may
 * be attached to it by then.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpmd_tel_json.h"

#define TEL_STR_MAX (RTE_TEL_MAX_STRING_LEN - 1)

static json_t *shape(const json_t *v);

static json_t *fail_with(json_t *partial, int err)
{
	json_decref(partial);
	errno = err;
	return NULL;
}

static json_t *string_cut(const char *s)
{
	return json_stringn_nocheck(s, strnlen(s, TEL_STR_MAX));
}

/* telemetry 22.11 accepts dict names of [A-Za-z0-9_/] only. */
static void key_sanitize(const char *key, char out[RTE_TEL_MAX_STRING_LEN])
{
	size_t i;

	for (i = 0; key[i] != '\0' && i < TEL_STR_MAX; i++) {
		char c = key[i];

		out[i] = ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
			  (c >= 'a' && c <= 'z') || c == '_' || c == '/')
				 ? c
				 : '_';
	}
	out[i] = '\0';
}

static json_t *shape_object(const json_t *obj)
{
	char key[RTE_TEL_MAX_STRING_LEN];
	json_t *out = json_object();
	const char *k;
	json_t *v, *s;

	if (out == NULL)
		return fail_with(NULL, ENOMEM);
	if (json_object_size(obj) > RTE_TEL_MAX_DICT_ENTRIES)
		return fail_with(out, E2BIG);
	json_object_foreach((json_t *)obj, k, v) {
		if (json_is_null(v))
			continue;
		s = shape(v);
		if (s == NULL)
			return fail_with(out, errno);
		key_sanitize(k, key);
		if (json_object_set_new(out, key, s) < 0)
			return fail_with(out, ENOMEM);
	}
	return out;
}

/* An array of objects: an object keyed by position. */
static json_t *shape_rows(const json_t *arr)
{
	char key[24];
	json_t *out = json_object();
	json_t *v, *s;
	size_t i;

	if (out == NULL)
		return fail_with(NULL, ENOMEM);
	if (json_array_size(arr) > RTE_TEL_MAX_DICT_ENTRIES)
		return fail_with(out, E2BIG);
	json_array_foreach(arr, i, v) {
		s = shape_object(v);
		if (s == NULL)
			return fail_with(out, errno);
		snprintf(key, sizeof(key), "%zu", i);
		if (json_object_set_new(out, key, s) < 0)
			return fail_with(out, ENOMEM);
	}
	return out;
}

static json_t *shape_array(const json_t *arr)
{
	size_t i, n_str = 0, n_int = 0, n_obj = 0, n = json_array_size(arr);
	json_t *out, *v, *s;

	json_array_foreach(arr, i, v) {
		if (json_is_string(v))
			n_str++;
		else if (json_is_integer(v) || json_is_boolean(v))
			n_int++;
		else if (json_is_object(v))
			n_obj++;
	}
	if (n > 0 && n_obj == n)
		return shape_rows(arr);
	if (n_str != n && n_int != n)
		return fail_with(NULL, ENOTSUP); /* nested arrays, mixed kinds, reals, nulls */
	if (n > RTE_TEL_MAX_ARRAY_ENTRIES)
		return fail_with(NULL, E2BIG);
	out = json_array();
	if (out == NULL)
		return fail_with(NULL, ENOMEM);
	json_array_foreach(arr, i, v) {
		s = shape(v);
		if (s == NULL)
			return fail_with(out, errno);
		if (json_array_append_new(out, s) < 0)
			return fail_with(out, ENOMEM);
	}
	return out;
}

static json_t *shape(const json_t *v)
{
	json_t *s;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return shape_object(v);
	case JSON_ARRAY:
		return shape_array(v);
	case JSON_STRING:
		s = string_cut(json_string_value(v));
		break;
	case JSON_INTEGER:
		/* Negative values travel as a C int: they must fit one. */
		if (json_integer_value(v) < INT_MIN)
			return fail_with(NULL, ERANGE);
		s = json_integer(json_integer_value(v));
		break;
	case JSON_TRUE:
		s = json_integer(1);
		break;
	case JSON_FALSE:
		s = json_integer(0);
		break;
	default:
		return fail_with(NULL, ENOTSUP);
	}
	return s != NULL ? s : fail_with(NULL, ENOMEM);
}

static size_t count_containers(const json_t *v)
{
	const char *k;
	size_t n = 0;
	json_t *c;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, c)
			if (json_is_object(c) || json_is_array(c))
				n += 1 + count_containers(c);
	}
	return n;
}

struct pool {
	struct rte_tel_data **c;
	size_t used;
};

static bool has_negative(const json_t *arr)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_integer_value(v) < 0)
			return true;
	return false;
}

static void fill_array(struct rte_tel_data *d, const json_t *arr)
{
	enum rte_tel_value_type type = RTE_TEL_STRING_VAL;
	json_t *v;
	size_t i;

	if (json_is_integer(json_array_get(arr, 0)))
		type = has_negative(arr) ? RTE_TEL_INT_VAL : RTE_TEL_U64_VAL;
	rte_tel_data_start_array(d, type);
	json_array_foreach(arr, i, v) {
		if (type == RTE_TEL_STRING_VAL)
			rte_tel_data_add_array_string(d, json_string_value(v));
		else if (type == RTE_TEL_INT_VAL)
			rte_tel_data_add_array_int(d, (int)json_integer_value(v));
		else
			rte_tel_data_add_array_u64(d, (uint64_t)json_integer_value(v));
	}
}

/* Cannot fail: shape() checked every limit and the pool holds every container. */
static void fill_dict(struct rte_tel_data *d, const json_t *obj, struct pool *p)
{
	struct rte_tel_data *c;
	const char *k;
	json_t *v;

	rte_tel_data_start_dict(d);
	json_object_foreach((json_t *)obj, k, v) {
		switch (json_typeof(v)) {
		case JSON_STRING:
			rte_tel_data_add_dict_string(d, k, json_string_value(v));
			break;
		case JSON_INTEGER:
			if (json_integer_value(v) < 0)
				rte_tel_data_add_dict_int(d, k, (int)json_integer_value(v));
			else
				rte_tel_data_add_dict_u64(d, k, (uint64_t)json_integer_value(v));
			break;
		case JSON_OBJECT:
		case JSON_ARRAY:
			c = p->c[p->used++];
			if (json_is_object(v))
				fill_dict(c, v, p);
			else
				fill_array(c, v);
			rte_tel_data_add_dict_container(d, k, c, 0);
			break;
		default:
			break;
		}
	}
}

json_t *vpmd_tel_columns(const json_t *rows)
{
	json_t *cols, *first, *row, *col, *cell, *out;
	const char *k;
	size_t i, j;

	if (!json_is_array(rows))
		return fail_with(NULL, EINVAL);
	cols = json_object();
	if (cols == NULL)
		return fail_with(NULL, ENOMEM);
	first = json_array_get(rows, 0);
	if (first != NULL && !json_is_object(first))
		return fail_with(cols, EINVAL);
	json_object_foreach(first, k, cell)
		if (json_object_set_new(cols, k, json_array()) < 0)
			return fail_with(cols, ENOMEM);
	json_array_foreach(rows, i, row) {
		if (!json_is_object(row) || json_object_size(row) != json_object_size(cols))
			return fail_with(cols, EINVAL);
		json_object_foreach(cols, k, col) {
			cell = json_object_get(row, k);
			if (cell == NULL)
				return fail_with(cols, EINVAL);
			if (json_is_array(cell)) {
				/* Flag names and the like: one "A|B" string per cell. */
				char buf[RTE_TEL_MAX_STRING_LEN] = "";
				json_t *s;

				json_array_foreach(cell, j, s) {
					if (!json_is_string(s))
						return fail_with(cols, EINVAL);
					if (j > 0)
						strncat(buf, "|", sizeof(buf) - strlen(buf) - 1);
					strncat(buf, json_string_value(s), sizeof(buf) - strlen(buf) - 1);
				}
				out = json_string(buf);
			} else {
				out = json_incref(cell);
			}
			if (json_array_append_new(col, out) < 0)
				return fail_with(cols, ENOMEM);
		}
	}
	return cols;
}

int vpmd_tel_reply(struct rte_tel_data *d, const json_t *obj, size_t budget)
{
	struct pool p = { NULL, 0 };
	json_t *shaped;
	size_t n, i, len;
	char *text;
	int rc;

	if (!json_is_object(obj))
		return -EINVAL;
	shaped = shape(obj);
	if (shaped == NULL)
		return -errno;
	text = json_dumps(shaped, JSON_COMPACT);
	if (text == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	len = strlen(text);
	free(text);
	if (len > budget) {
		rc = -EMSGSIZE;
		goto out;
	}
	n = count_containers(shaped);
	p.c = calloc(n + 1, sizeof(*p.c));
	if (p.c == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		p.c[i] = rte_tel_data_alloc();
		if (p.c[i] == NULL) {
			while (i-- > 0)
				rte_tel_data_free(p.c[i]);
			rc = -ENOMEM;
			goto out;
		}
	}
	fill_dict(d, shaped, &p);
	rc = 0;
out:
	free(p.c);
	json_decref(shaped);
	return rc;
}
