/*
 * examples/app/routes.h: what the sample app answers, by path.
 */
#ifndef APP_ROUTES_H
#define APP_ROUTES_H

struct conn;
struct http_req;

/*
 * Answers one request, called when its head has been parsed (the request body, if any, is
 * still unread: c->body_kind says how it is framed). The route either appends a complete
 * response, or sets c->after_body / c->sink to finish it later. req is borrowed for the call.
 */
void routes_dispatch(struct conn *c, const struct http_req *req);
/* The /sleep timer fired: answer. */
void routes_on_sleep(struct conn *c);

#endif
