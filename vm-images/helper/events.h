/* Lines without "id": things the harness did not ask for (or, for ready, before it could). */
#ifndef MH_EVENTS_H
#define MH_EVENTS_H

/* {"event":"ready","pid":N,"version":"...","protocol":N} */
void event_ready(void);

/* Prints the asynchronous SIGBUS events recorded since the last call, naming the target
 * page an address falls in. */
void events_flush(void);

/* {"event":"spinning","id":ID}: request ID's spin loop is about to start. It has an id but
 * no "ok", so the host does not take it for the reply. */
void event_spinning(long long id);

/* {"event":"error","message":...}: for input that cannot be answered by id. */
void event_error(const char *message);

#endif
