#ifndef MH_VERSION_H
#define MH_VERSION_H

#define HELPER_NAME "memharness-helper"
#define HELPER_VERSION "0.3.0"
/* Bumped whenever the JSON lines change shape, so the host can refuse an old helper. */
#define HELPER_PROTOCOL 2

#endif
