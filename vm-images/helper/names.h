/*
 * Symbolic names for numbers the kernel hands back, so a reply says "EHWPOISON" or
 * "BUS_MCEERR_AR" and nobody has to look numbers up (they also differ between
 * architectures, which a bare number would hide).
 */
#ifndef MH_NAMES_H
#define MH_NAMES_H

/* "EIO" etc.; "E<number>" (in buf) for a number without a name. */
const char *errno_name(int err, char *buf, unsigned long bufsize);

/* SIGBUS si_code name ("BUS_MCEERR_AR", "SI_USER", ...); "CODE_<number>" (in buf) for
 * others. Async-signal-safe. */
const char *sigbus_code_name(int code, char *buf, unsigned long bufsize);

#endif
