/*
 * maps_internal.h — what the /proc line parsers share, so each form is
 * parsed once: the maps header line (maps.c; smaps repeats it before each
 * region's fields, smaps_rollup once) and the "Key:   N kB" line (smaps.c;
 * status has the same form). Not part of the public API.
 *
 * Every parser here follows one rule for input that was cut short: /proc
 * files end with '\n', so a last line without one is a truncated read and
 * the whole parse is HL_EPARSE; a buffer cut at a line end parses as the
 * shorter file it is.
 */
#ifndef HL_MAPS_INTERNAL_H
#define HL_MAPS_INTERNAL_H

#include "heaplab.h"

/* ------------------------------------------------------------------- maps.c */

/* Parses "start-end perms offset dev inode [path]" (no '\n') into r, with the
 * smaps fields HL_UNKNOWN and cls HL_REGION_OTHER. The path is kept as the
 * kernel wrote it (spaces, " (deleted)"), cut to fit r->path. Returns false
 * if the line is not of that form. */
bool hl_maps_parse_line(const char *line, size_t n, hl_region_t *r);

/* Appends r to out. 0 or -ENOMEM. */
int hl_regions_push(hl_regions_t *out, const hl_region_t *r);

/* Decimal digits at *p (at least one, none after end) into *out, refusing
 * values above max; advances *p past them. */
bool hl_maps_dec(const char **p, const char *end, uint64_t max, uint64_t *out);

/* ------------------------------------------------------------------ smaps.c */

/* Splits "Key:<blanks>value<blanks>" (no '\n'): the key is everything before
 * the first ':' and must be non-empty without blanks. false otherwise. */
bool hl_smaps_field(const char *line, size_t n, const char **key, size_t *keylen, const char **val,
		    size_t *vallen);

/* A field value "N kB" (unit "kB", mul 1024) or "N" (unit "", mul 1) into
 * N * mul; false on any other text or if it would exceed INT64_MAX. */
bool hl_smaps_value(const char *val, size_t vallen, const char *unit, int64_t mul, int64_t *out);

/* Whether key (keylen bytes, not NUL-terminated) is name. */
bool hl_smaps_key_is(const char *key, size_t keylen, const char *name);

#endif
