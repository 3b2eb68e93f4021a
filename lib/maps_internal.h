/*
 * maps_internal.h — the one parser of a maps header line, shared by maps.c
 * and smaps.c (smaps repeats maps' line before each region's fields).
 */
#ifndef HL_MAPS_INTERNAL_H
#define HL_MAPS_INTERNAL_H

#include "heaplab.h"

/* Parses "start-end perms offset dev inode [path]" (no '\n') into r, with the
 * smaps fields HL_UNKNOWN. Returns false if the line is not of that form. */
bool hl_maps_parse_line(const char *line, size_t n, hl_region_t *r);

/* Appends r to out. 0 or -ENOMEM. */
int hl_regions_push(hl_regions_t *out, const hl_region_t *r);

#endif
