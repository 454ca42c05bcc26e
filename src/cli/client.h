/*
 * cli/client.h: one request to the control API over its unix socket, and the answer
 * decoded. Blocking with a deadline: the CLI does one thing and exits.
 */
#ifndef CLI_CLIENT_H
#define CLI_CLIENT_H
#include <jansson.h>
#include <stddef.h>

#define CLIENT_TIMEOUT_MS 10000

struct client_reply {
    int status;
    json_t *json;               /* owned; NULL when the body was not JSON */
    char *body;                 /* owned, NUL-terminated raw body */
    size_t body_len;
};

/* Picks the socket: `flag` (--socket) if given, else $TIERD_SOCKET, else control.socket
 * of ./tierd.yaml when it is readable, else run/tierd.sock. Copies it into out. */
void client_socket_path(const char *flag, char *out, size_t n);

/* Sends `method path` (with `body`, a JSON text, when not NULL) and reads the reply.
 * Returns 0; or a negative errno when the daemon cannot be reached (-ECONNREFUSED,
 * -ENOENT, ...: the caller says "is tierd run running?") or the exchange failed, with a
 * reason in err. */
int client_request(const char *socket_path, const char *method, const char *path,
                   const char *body, struct client_reply *out, char *err, size_t errlen);
void client_reply_fini(struct client_reply *r);

#endif
