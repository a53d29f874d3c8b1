/*
 * file.h - the sections of a topology file, read by file_parse.c (the
 * document, CPUs, links, network), file_devices.c (GPUs and NICs) and
 * file_paths.c (explicit paths).  The format is docs/TOPOLOGY.md.
 */
#ifndef WEFT_TOPOLOGY_FILE_H
#define WEFT_TOPOLOGY_FILE_H

#include "topology/file_json.h"
#include "topology/topo.h"

#define WEFT_TOPO_FILE_VERSION 1
#define WEFT_TOPO_MAX_SWITCH 1023 /* pcie_switch ids 0..this */
#define WEFT_TOPO_MAX_NVLINKS 64  /* per GPU pair */

/* "gpus": the devices, their placement and the NVLinks between them
 * (nvswitch_links > 0: every pair has that many, unless a GPU's own
 * "nvlinks" map says otherwise). */
weft_status_t weft__file_gpus(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t,
                              int nvswitch_links);
weft_status_t weft__file_nics(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t);
/* "paths": overrides of derived classes and links (after derivation). */
weft_status_t weft__file_paths(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t);

/* A "pci" member: absent or a valid address (normalized into pci). */
weft_status_t weft__file_pci(const weft__json_doc_t *doc, const cJSON *obj, char pci[16]);

#endif
