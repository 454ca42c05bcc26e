/*
 * tests/unit/edge/static_test.c: the static-file action against a real temporary root
 * (files, directories with and without an index, symlinks in and out, precompressed
 * siblings, a fifo). Every expected status and field was checked against Debian's nginx
 * 1.22 serving the same tree; docs/internals/static.md lists the comparison and the few
 * places where tierd differs on purpose.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "edge/static.h"

#define T_MTIME 1700000000              /* 0x6553f100: Tue, 14 Nov 2023 22:13:20 GMT */
#define T_NOW 1700000100
#define T_ETAG_A "\"6553f100-c\""       /* a.txt: 12 bytes */
#define T_ETAG_BIG "\"6553f100-3e8\""   /* big.bin: 1000 bytes */
#define T_LM "Tue, 14 Nov 2023 22:13:20 GMT"

static char root[64];
static struct h1_request req;
static char text[8192];

static void
put_file(const char *rel, const char *data, size_t len)
{
    char p[256];
    struct timespec ts[2] = { { T_MTIME, 0 }, { T_MTIME, 0 } };

    snprintf(p, sizeof(p), "%s/%s", root, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(futimens(fd, ts), 0);
    close(fd);
}

static void
put_dir(const char *rel)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void
put_link(const char *target, const char *rel)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
}

/* The tree every test serves (see the file comment). */
static void
root_make(void)
{
    char big[1000], p[256];

    strcpy(root, "/tmp/tierd-static-XXXXXX");
    assert_non_null(mkdtemp(root));
    put_file("a.txt", "hello world\n", 12);
    for (int i = 0; i < 1000; i++)
        big[i] = (char)('a' + i % 26);
    put_file("big.bin", big, sizeof(big));
    put_file("index.html", "<p>index</p>\n", 13);
    put_file(".hidden", "secret\n", 7);
    put_file("empty.txt", "", 0);
    put_dir("sub");
    put_file("sub/index.html", "<p>sub</p>\n", 11);
    put_dir("noindex");
    put_file("noindex/file.txt", "x\n", 2);
    put_dir("d ir");
    put_link("a.txt", "link_in");
    snprintf(p, sizeof(p), "%s/a.txt", root);
    put_link(p, "link_abs_in");                 /* absolute, but inside the root */
    put_link("/etc/passwd", "link_out");
    put_link("/etc", "dirlink_out");
    put_link("../../etc/passwd", "sub_rel_out");
    put_link("sub", "dirlink_in");
    put_file("page.html", "<html>page page page page page</html>\n", 38);
    put_file("page.html.gz", "GZGZGZGZGZGZGZGZGZGZ", 20);
    put_file("page.html.br", "BRBRBRBRBR", 10);
    put_file("style.css", "body{}", 6);
    put_file("style.css.gz", "GZGZGZ", 6);
    snprintf(p, sizeof(p), "%s/fifo", root);
    assert_int_equal(mkfifo(p, 0644), 0);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}

static void
root_remove(void)
{
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Serves `line` (a request line) with extra header lines at wall-clock second now_s and
 * returns the head as text. */
static const char *
serve_at(const struct edge_static_conf *conf, const char *line, const char *fields,
         bool keep_alive, int64_t now_s, struct static_reply *out)
{
    char raw[4096];
    struct h1_limits lim;
    const char *why;
    struct buf head = { 0 };

    snprintf(raw, sizeof(raw), "%s\r\nHost: h.test\r\n%s\r\n", line, fields ? fields : "");
    h1_limits_default(&lim);
    assert_true(h1_parse_request(raw, strlen(raw), &lim, &req, &why) > 0);
    assert_int_equal(static_serve(conf, &req, keep_alive, now_s, &head, out), 0);
    assert_true(buf_len(&head) < sizeof(text));
    memcpy(text, buf_head(&head), buf_len(&head));
    text[buf_len(&head)] = '\0';
    buf_fini(&head);
    return text;
}

static const char *
serve_conf(const struct edge_static_conf *conf, const char *line, const char *fields,
           bool keep_alive, struct static_reply *out)
{
    return serve_at(conf, line, fields, keep_alive, T_NOW, out);
}

static const char *
serve(const char *line, const char *fields, struct static_reply *out)
{
    struct edge_static_conf conf = { .root = root, .index = "index.html" };

    return serve_conf(&conf, line, fields, true, out);
}

static int
status_of(const char *line, const char *fields)
{
    struct static_reply out;

    serve(line, fields, &out);
    if (out.fd >= 0)
        close(out.fd);
    return out.status;
}

static bool
has(const char *s, const char *field)
{
    return strstr(s, field) != NULL;
}

/* The bytes the proxy would send from out->fd. */
static bool
body_is(const struct static_reply *out, const char *want)
{
    char got[2048];
    size_t n = strlen(want);

    if (out->fd < 0 || out->length != n || n > sizeof(got))
        return false;
    return pread(out->fd, got, n, out->offset) == (ssize_t)n && memcmp(got, want, n) == 0;
}

TEST(static_path_normalise_resolves_dots_and_slashes)
{
    static const struct {
        const char *in, *out;
        int rc;
    } cases[] = {
        { "/", "", 0 },
        { "/a.txt", "a.txt", 0 },
        { "//a.txt", "a.txt", 0 },
        { "/sub//x/", "sub/x/", 0 },
        { "/sub/../a.txt", "a.txt", 0 },
        { "/sub/..//a.txt", "a.txt", 0 },
        { "/sub/./index.html", "sub/index.html", 0 },
        { "/sub/.", "sub/", 0 },
        { "/sub/..", "", 0 },
        { "/.", "", 0 },
        { "/a/b/../../c", "c", 0 },
        { "/%2e%2E/", "", -EACCES },
        { "/sub/%2e%2e/a.txt", "a.txt", 0 },
        { "/...", "...", 0 },
        { "/.hidden", ".hidden", 0 },
        { "/sp%20ace%25", "sp ace%", 0 },
        { "/%C3%a9", "\xc3\xa9", 0 },
        { "/..", "", -EACCES },
        { "/../etc/passwd", "", -EACCES },
        { "/a/../..", "", -EACCES },
        { "/%2e%2e", "", -EACCES },
        { "/a/%2F..", "", -EINVAL },
        { "/..%2f", "", -EINVAL },
        { "/a%5cb", "", -EINVAL },
        { "/%00", "", -EINVAL },
        { "/%zz", "", -EINVAL },
        { "/%4", "", -EINVAL },
        { "/a%", "", -EINVAL },
        { "a.txt", "", -EINVAL },
        { "", "", -EINVAL },
    };
    char out[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = static_path_normalise(cases[i].in, strlen(cases[i].in), out, sizeof(out));
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d", cases[i].in, rc, cases[i].rc);
        if (rc == 0 && strcmp(out, cases[i].out) != 0)
            fail_msg("%s: \"%s\", want \"%s\"", cases[i].in, out, cases[i].out);
    }
    EXPECT_EQ(static_path_normalise("/abcdefgh", 9, out, 8), -ENAMETOOLONG);
    EXPECT_EQ(static_path_normalise("/abcdefg", 8, out, 8), 0);
}

TEST(static_mime_type_by_extension)
{
    EXPECT_STREQ(static_mime_type("index.html"), "text/html; charset=utf-8");
    EXPECT_STREQ(static_mime_type("a/B.HTM"), "text/html; charset=utf-8");
    EXPECT_STREQ(static_mime_type("app.js"), "application/javascript; charset=utf-8");
    EXPECT_STREQ(static_mime_type("m.mjs"), "application/javascript; charset=utf-8");
    EXPECT_STREQ(static_mime_type("s.css"), "text/css; charset=utf-8");
    EXPECT_STREQ(static_mime_type("d.json"), "application/json; charset=utf-8");
    EXPECT_STREQ(static_mime_type("r.txt"), "text/plain; charset=utf-8");
    EXPECT_STREQ(static_mime_type("i.svg"), "image/svg+xml; charset=utf-8");
    EXPECT_STREQ(static_mime_type("t.csv"), "text/csv; charset=utf-8");
    EXPECT_STREQ(static_mime_type("README.md"), "text/markdown; charset=utf-8");
    EXPECT_STREQ(static_mime_type("x.png"), "image/png");
    EXPECT_STREQ(static_mime_type("x.jpeg"), "image/jpeg");
    EXPECT_STREQ(static_mime_type("x.woff2"), "font/woff2");
    EXPECT_STREQ(static_mime_type("x.wasm"), "application/wasm");
    EXPECT_STREQ(static_mime_type("x.avif"), "image/avif");
    EXPECT_STREQ(static_mime_type("x.mp4"), "video/mp4");
    EXPECT_STREQ(static_mime_type("app.js.map"), "application/json");
    EXPECT_STREQ(static_mime_type("x.tar.gz"), "application/gzip");
    EXPECT_STREQ(static_mime_type("x.unknown"), "application/octet-stream");
    EXPECT_STREQ(static_mime_type("Makefile"), "application/octet-stream");
    EXPECT_STREQ(static_mime_type("dir.html/file"), "application/octet-stream");
    EXPECT_STREQ(static_mime_type(".html"), "text/html; charset=utf-8");
}

TEST(static_get_serves_the_file_with_validators)
{
    struct static_reply out;
    const char *s;

    root_make();
    s = serve("GET /a.txt HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(strncmp(s, "HTTP/1.1 200 OK\r\nServer: tierd\r\n", 32) == 0);
    EXPECT_TRUE(has(s, "\r\nDate: Tue, 14 Nov 2023 22:15:00 GMT\r\n"));
    EXPECT_TRUE(has(s, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    EXPECT_TRUE(has(s, "\r\nContent-Length: 12\r\n"));
    EXPECT_TRUE(has(s, "\r\nLast-Modified: " T_LM "\r\n"));
    EXPECT_TRUE(has(s, "\r\nETag: " T_ETAG_A "\r\n"));
    EXPECT_TRUE(has(s, "\r\nAccept-Ranges: bytes\r\n"));
    EXPECT_FALSE(has(s, "Vary"));
    EXPECT_FALSE(has(s, "Cache-Control"));
    EXPECT_FALSE(has(s, "Connection"));
    EXPECT_TRUE(strcmp(s + strlen(s) - 4, "\r\n\r\n") == 0);
    EXPECT_EQ(out.offset, 0);
    EXPECT_FALSE(out.close);
    EXPECT_TRUE(body_is(&out, "hello world\n"));
    close(out.fd);

    /* Dotfiles are served, as nginx does; an empty file has nothing to send. */
    s = serve("GET /.hidden HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(has(s, "\r\nContent-Type: application/octet-stream\r\n"));
    EXPECT_TRUE(body_is(&out, "secret\n"));
    close(out.fd);
    s = serve("GET /empty.txt HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(has(s, "\r\nContent-Length: 0\r\n"));
    EXPECT_EQ(out.fd, -1);
    EXPECT_EQ(out.length, 0);
    /* Percent-encoded names reach the file. */
    EXPECT_EQ(status_of("GET /sub%2Findex.html HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /%61.txt HTTP/1.1", NULL), 200);
    EXPECT_EQ(status_of("GET /a.txt?x=1 HTTP/1.1", NULL), 200);
    root_remove();
}

TEST(static_head_sends_the_same_head_without_a_body)
{
    struct static_reply out;
    char get[1024];

    root_make();
    serve("GET /a.txt HTTP/1.1", NULL, &out);
    close(out.fd);
    strcpy(get, text);
    const char *s = serve("HEAD /a.txt HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_STREQ(s, get);
    EXPECT_EQ(out.fd, -1);
    EXPECT_EQ(out.length, 0);

    /* An error answered to HEAD keeps Content-Length and drops the page. */
    s = serve("HEAD /nope HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 404);
    EXPECT_TRUE(has(s, "\r\nContent-Length: "));
    EXPECT_TRUE(strcmp(s + strlen(s) - 4, "\r\n\r\n") == 0);
    EXPECT_FALSE(has(s, "<html>"));
    root_remove();
}

TEST(static_errors_get_a_small_page)
{
    struct static_reply out;
    const char *s;

    root_make();
    s = serve("GET /nope HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 404);
    EXPECT_EQ(out.fd, -1);
    EXPECT_EQ(out.length, 0);
    EXPECT_TRUE(strncmp(s, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
    EXPECT_TRUE(has(s, "\r\nDate: Tue, 14 Nov 2023 22:15:00 GMT\r\n"));
    EXPECT_TRUE(has(s, "\r\n\r\n<html>"));
    EXPECT_TRUE(has(s, "<h1>404 Not Found</h1>"));
    EXPECT_EQ(status_of("GET /a.txt/ HTTP/1.1", NULL), 404);          /* ENOTDIR */
    EXPECT_EQ(status_of("GET /link_in/ HTTP/1.1", NULL), 404);
    EXPECT_EQ(status_of("GET /nope/ HTTP/1.1", NULL), 404);
    EXPECT_EQ(status_of("GET /fifo HTTP/1.1", NULL), 404);            /* not a regular file */
    EXPECT_EQ(status_of("GET /a.txt%3Fx HTTP/1.1", NULL), 404);

    s = serve("POST /a.txt HTTP/1.1", "Content-Length: 0\r\n", &out);
    EXPECT_EQ(out.status, 405);
    EXPECT_TRUE(has(s, "\r\nAllow: GET, HEAD\r\n"));
    EXPECT_EQ(status_of("DELETE /nope HTTP/1.1", NULL), 405);
    EXPECT_EQ(status_of("OPTIONS /a.txt HTTP/1.1", NULL), 405);

    if (geteuid() != 0) {               /* root reads anything */
        char p[256];
        snprintf(p, sizeof(p), "%s/a.txt", root);
        chmod(p, 0);
        EXPECT_EQ(status_of("GET /a.txt HTTP/1.1", NULL), 403);
        snprintf(p, sizeof(p), "%s/noindex", root);
        chmod(p, 0600);
        EXPECT_EQ(status_of("GET /noindex/file.txt HTTP/1.1", NULL), 403);
        chmod(p, 0755);
    }
    root_remove();
}

TEST(static_traversal_is_refused)
{
    root_make();
    EXPECT_EQ(status_of("GET /../etc/passwd HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /%2e%2e/etc/passwd HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /%2e%2e/ HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /a/%2F.. HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /..%2f HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /..%5c..%5cetc/passwd HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /%00 HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /a.txt%00.html HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /%zz HTTP/1.1", NULL), 400);
    EXPECT_EQ(status_of("GET /sub/../../a.txt HTTP/1.1", NULL), 400);
    /* Inside the root, dot segments are fine. */
    EXPECT_EQ(status_of("GET /sub/../a.txt HTTP/1.1", NULL), 200);
    EXPECT_EQ(status_of("GET /sub/%2e%2e/a.txt HTTP/1.1", NULL), 200);
    EXPECT_EQ(status_of("GET //a.txt HTTP/1.1", NULL), 200);
    root_remove();
}

static void
check_symlinks(void)
{
    struct static_reply out;

    serve("GET /link_in HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(body_is(&out, "hello world\n"));
    close(out.fd);
    serve("GET /link_abs_in HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(body_is(&out, "hello world\n"));
    close(out.fd);
    EXPECT_EQ(status_of("GET /dirlink_in/ HTTP/1.1", NULL), 200);
    EXPECT_EQ(status_of("GET /link_out HTTP/1.1", NULL), 403);
    EXPECT_EQ(status_of("GET /dirlink_out/passwd HTTP/1.1", NULL), 403);
    EXPECT_EQ(status_of("GET /dirlink_out/ HTTP/1.1", NULL), 403);
    EXPECT_EQ(status_of("GET /sub_rel_out HTTP/1.1", NULL), 403);
}

TEST(static_symlinks_never_lead_outside_the_root)
{
    root_make();
    check_symlinks();
    root_remove();
}

/* Status and body size without cmocka's asserts, for a forked child (a failed assert
 * there would unwind into the child's copy of the runner). */
static int
child_status(const char *line, uint64_t *length)
{
    struct edge_static_conf conf = { .root = root, .index = "index.html" };
    struct h1_limits lim;
    struct static_reply out;
    struct buf head = { 0 };
    const char *why;
    char raw[512];

    snprintf(raw, sizeof(raw), "%s\r\nHost: h.test\r\n\r\n", line);
    h1_limits_default(&lim);
    if (h1_parse_request(raw, strlen(raw), &lim, &req, &why) <= 0 ||
        static_serve(&conf, &req, true, T_NOW, &head, &out) < 0)
        return -1;
    buf_fini(&head);
    if (out.fd >= 0)
        close(out.fd);
    *length = out.length;
    return out.status;
}

/* The realpath() fallback, in a child where a seccomp filter makes openat2 ENOSYS. */
TEST(static_symlinks_never_lead_outside_the_root_without_openat2)
{
    static const struct {
        const char *line;
        int status;
        uint64_t length;
    } cases[] = {
        { "GET /a.txt HTTP/1.1", 200, 12 },
        { "GET /link_in HTTP/1.1", 200, 12 },
        { "GET /link_abs_in HTTP/1.1", 200, 12 },
        { "GET /dirlink_in/ HTTP/1.1", 200, 11 },
        { "GET /link_out HTTP/1.1", 403, 0 },
        { "GET /dirlink_out/passwd HTTP/1.1", 403, 0 },
        { "GET /dirlink_out/ HTTP/1.1", 403, 0 },
        { "GET /sub_rel_out HTTP/1.1", 403, 0 },
        { "GET /noindex/ HTTP/1.1", 403, 0 },
        { "GET /nope HTTP/1.1", 404, 0 },
        { "GET /fifo HTTP/1.1", 404, 0 },
        { "GET /sub HTTP/1.1", 301, 0 },
    };
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
    int st;

    root_make();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
            _exit(100);
        if (syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0) >= 0 || errno != ENOSYS)
            _exit(101);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            uint64_t len = 0;
            if (child_status(cases[i].line, &len) != cases[i].status ||
                len != cases[i].length)
                _exit((int)i + 1);
        }
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    root_remove();
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("child status %d: case %d failed", st, WIFEXITED(st) ? WEXITSTATUS(st) - 1 : -1);
}

TEST(static_directories_redirect_and_serve_their_index)
{
    struct static_reply out;
    const char *s;

    root_make();
    s = serve("GET /sub HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 301);
    EXPECT_EQ(out.fd, -1);
    EXPECT_TRUE(has(s, "\r\nLocation: http://h.test/sub/\r\n"));
    EXPECT_TRUE(has(s, "<h1>301 Moved Permanently</h1>"));
    s = serve("GET /sub?x=1&y=%20 HTTP/1.1", NULL, &out);
    EXPECT_TRUE(has(s, "\r\nLocation: http://h.test/sub/?x=1&y=%20\r\n"));
    s = serve("GET /sub/../sub HTTP/1.1", NULL, &out);
    EXPECT_TRUE(has(s, "\r\nLocation: http://h.test/sub/\r\n"));
    s = serve("GET /d%20ir HTTP/1.1", NULL, &out);
    EXPECT_TRUE(has(s, "\r\nLocation: http://h.test/d%20ir/\r\n"));
    s = serve("GET /noindex HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 301);

    s = serve("GET /sub/ HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(has(s, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
    EXPECT_TRUE(body_is(&out, "<p>sub</p>\n"));
    close(out.fd);
    serve("GET / HTTP/1.1", NULL, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(body_is(&out, "<p>index</p>\n"));
    close(out.fd);
    serve("GET /sub/.. HTTP/1.1", NULL, &out);      /* normalises to "/" */
    EXPECT_TRUE(body_is(&out, "<p>index</p>\n"));
    close(out.fd);

    /* No listings, ever. */
    EXPECT_EQ(status_of("GET /noindex/ HTTP/1.1", NULL), 403);
    EXPECT_EQ(status_of("GET /d%20ir/ HTTP/1.1", NULL), 403);

    /* Another index name. */
    struct edge_static_conf conf = { .root = root, .index = "file.txt" };
    serve_conf(&conf, "GET /noindex/ HTTP/1.1", NULL, true, &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(body_is(&out, "x\n"));
    close(out.fd);
    root_remove();
}

TEST(static_if_none_match_and_if_modified_since_give_304)
{
    struct static_reply out;
    const char *s;

    root_make();
    s = serve("GET /big.bin HTTP/1.1", "If-None-Match: " T_ETAG_BIG "\r\n", &out);
    EXPECT_EQ(out.status, 304);
    EXPECT_EQ(out.fd, -1);
    EXPECT_EQ(out.length, 0);
    EXPECT_TRUE(strncmp(s, "HTTP/1.1 304 Not Modified\r\n", 27) == 0);
    EXPECT_TRUE(has(s, "\r\nETag: " T_ETAG_BIG "\r\n"));
    EXPECT_TRUE(has(s, "\r\nLast-Modified: " T_LM "\r\n"));
    EXPECT_FALSE(has(s, "Content-Length"));
    EXPECT_FALSE(has(s, "Content-Type"));
    EXPECT_FALSE(has(s, "Accept-Ranges"));
    EXPECT_FALSE(has(s, "<html>"));

    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-None-Match: W/" T_ETAG_BIG "\r\n"), 304);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-None-Match: \"x\", " T_ETAG_BIG "\r\n"),
              304);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-None-Match: \"x\"\r\nIf-None-Match: " T_ETAG_BIG "\r\n"), 304);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-None-Match: *\r\n"), 304);
    EXPECT_EQ(status_of("HEAD /big.bin HTTP/1.1", "If-None-Match: *\r\n"), 304);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-None-Match: \"x\"\r\n"), 200);
    /* If-None-Match takes precedence over If-Modified-Since. */
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-None-Match: \"x\"\r\nIf-Modified-Since: " T_LM "\r\n"), 200);

    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Modified-Since: " T_LM "\r\n"), 304);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT\r\n"), 304);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Modified-Since: garbage\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Modified-Since: Tue, 31 Nov 2023 22:13:20 GMT\r\n"), 200);
    /* The obsolete date forms (RFC 9110 §5.6.7). */
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Modified-Since: Tuesday, 14-Nov-23 22:13:20 GMT\r\n"), 304);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Modified-Since: Tue Nov 14 22:13:20 2023\r\n"), 304);
    EXPECT_EQ(status_of("GET /a.txt HTTP/1.1", "If-Modified-Since: Sat Jan  1 00:00:00 2000\r\n"),
              200);

    /* Cache-Control rides on 304 too. */
    struct edge_static_conf conf = { .root = root, .index = "index.html",
                                     .cache_max_age_ms = 60000 };
    s = serve_conf(&conf, "GET /big.bin HTTP/1.1", "If-None-Match: *\r\n", true, &out);
    EXPECT_EQ(out.status, 304);
    EXPECT_TRUE(has(s, "\r\nCache-Control: max-age=60\r\n"));
    root_remove();
}

TEST(static_failed_preconditions_give_412)
{
    struct static_reply out;
    const char *s;

    root_make();
    s = serve("GET /big.bin HTTP/1.1", "If-Match: \"x\"\r\n", &out);
    EXPECT_EQ(out.status, 412);
    EXPECT_EQ(out.fd, -1);
    EXPECT_TRUE(has(s, "<h1>412 Precondition Failed</h1>"));
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Match: W/" T_ETAG_BIG "\r\n"), 412);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Match: " T_ETAG_BIG "\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Match: \"a\", " T_ETAG_BIG "\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Match: *\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Unmodified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n"), 412);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Unmodified-Since: " T_LM "\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "If-Unmodified-Since: garbage\r\n"), 200);
    /* If-Match is decided first; when present If-Unmodified-Since is not looked at. */
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Match: \"x\"\r\nIf-None-Match: " T_ETAG_BIG "\r\n"), 412);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "If-Match: *\r\nIf-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n"),
              200);
    root_remove();
}

static void
expect_range(const char *range, int status, off_t offset, uint64_t length, const char *crange)
{
    struct static_reply out;
    char f[128];

    snprintf(f, sizeof(f), "Range: %s\r\n", range);
    const char *s = serve("GET /big.bin HTTP/1.1", f, &out);
    if (out.status != status)
        fail_msg("%s: status %d, want %d", range, out.status, status);
    if (status == 206 || status == 200) {
        EXPECT_EQ(out.offset, offset);
        EXPECT_EQ(out.length, length);
        snprintf(f, sizeof(f), "\r\nContent-Length: %llu\r\n", (unsigned long long)length);
        EXPECT_TRUE(has(s, f));
        close(out.fd);
    }
    if (crange) {
        snprintf(f, sizeof(f), "\r\nContent-Range: %s\r\n", crange);
        if (!has(s, f))
            fail_msg("%s: no \"%s\" in\n%s", range, crange, s);
    } else {
        EXPECT_FALSE(has(s, "Content-Range"));
    }
    EXPECT_TRUE(has(s, "Accept-Ranges") == (status == 200));
}

TEST(static_single_ranges_give_206)
{
    root_make();
    expect_range("bytes=0-9", 206, 0, 10, "bytes 0-9/1000");
    expect_range("bytes=-10", 206, 990, 10, "bytes 990-999/1000");
    expect_range("bytes=990-", 206, 990, 10, "bytes 990-999/1000");
    expect_range("bytes=995-2000", 206, 995, 5, "bytes 995-999/1000");
    expect_range("bytes=-2000", 206, 0, 1000, "bytes 0-999/1000");
    expect_range("bytes=999-999", 206, 999, 1, "bytes 999-999/1000");
    expect_range("bytes= 0 - 1 ", 206, 0, 2, "bytes 0-1/1000");
    expect_range("Bytes=0-1", 206, 0, 2, "bytes 0-1/1000");
    /* Unsatisfiable members of a set are dropped. */
    expect_range("bytes=0-1,2000-3000", 206, 0, 2, "bytes 0-1/1000");

    struct static_reply out;
    serve("HEAD /big.bin HTTP/1.1", "Range: bytes=0-1\r\n", &out);
    EXPECT_EQ(out.status, 206);
    EXPECT_EQ(out.fd, -1);
    EXPECT_EQ(out.length, 0);
    EXPECT_TRUE(has(text, "\r\nContent-Length: 2\r\n"));
    serve("GET /big.bin HTTP/1.1", "Range: bytes=3-5\r\n", &out);
    EXPECT_TRUE(body_is(&out, "def"));
    close(out.fd);
    root_remove();
}

TEST(static_other_ranges_give_416_or_the_whole_file)
{
    root_make();
    expect_range("bytes=1000-", 416, 0, 0, "bytes */1000");
    expect_range("bytes=-0", 416, 0, 0, "bytes */1000");
    expect_range("bytes=5-2", 416, 0, 0, "bytes */1000");
    expect_range("bytes=abc", 416, 0, 0, "bytes */1000");
    expect_range("bytes=0-1;x", 416, 0, 0, "bytes */1000");
    expect_range("bytes=99999999999999999999-", 416, 0, 0, "bytes */1000");
    expect_range("bytes=1000-1001,2000-", 416, 0, 0, "bytes */1000");
    /* Another unit is ignored; several ranges get the whole file (see range_parse). */
    expect_range("items=0-5", 200, 0, 1000, NULL);
    expect_range("bytes=0-1,5-6", 200, 0, 1000, NULL);
    expect_range("bytes=0-1,-1", 200, 0, 1000, NULL);

    struct static_reply out;
    serve("GET /empty.txt HTTP/1.1", "Range: bytes=0-\r\n", &out);
    EXPECT_EQ(out.status, 416);
    EXPECT_TRUE(has(text, "\r\nContent-Range: bytes */0\r\n"));
    root_remove();
}

TEST(static_if_range_decides_whether_the_range_applies)
{
    root_make();
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "Range: bytes=0-1\r\nIf-Range: " T_ETAG_BIG "\r\n"), 206);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "Range: bytes=0-1\r\nIf-Range: \"zz\"\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "Range: bytes=0-1\r\nIf-Range: W/" T_ETAG_BIG "\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "Range: bytes=0-1\r\nIf-Range: " T_LM "\r\n"),
              206);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "Range: bytes=0-1\r\nIf-Range: Wed, 15 Nov 2023 00:00:00 GMT\r\n"), 200);
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1", "Range: bytes=2000-\r\nIf-Range: \"zz\"\r\n"),
              200);
    /* A matching If-None-Match wins over the range. */
    EXPECT_EQ(status_of("GET /big.bin HTTP/1.1",
                        "Range: bytes=0-1\r\nIf-None-Match: " T_ETAG_BIG "\r\n"), 304);
    root_remove();
}

TEST(static_precompressed_sibling_follows_accept_encoding)
{
    struct static_reply out;
    const char *s;

    root_make();
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: gzip, deflate\r\n", &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(has(s, "\r\nContent-Encoding: gzip\r\n"));
    EXPECT_TRUE(has(s, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
    EXPECT_TRUE(has(s, "\r\nContent-Length: 20\r\n"));
    EXPECT_TRUE(has(s, "\r\nETag: \"6553f100-14\"\r\n"));
    EXPECT_TRUE(has(s, "\r\nVary: Accept-Encoding\r\n"));
    EXPECT_FALSE(has(s, "Accept-Ranges"));
    EXPECT_TRUE(body_is(&out, "GZGZGZGZGZGZGZGZGZGZ"));
    close(out.fd);

    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: gzip, deflate, br\r\n", &out);
    EXPECT_TRUE(has(s, "\r\nContent-Encoding: br\r\n"));
    EXPECT_TRUE(body_is(&out, "BRBRBRBRBR"));
    close(out.fd);
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: br;q=0, gzip;q=0.5\r\n", &out);
    EXPECT_TRUE(has(s, "\r\nContent-Encoding: gzip\r\n"));
    close(out.fd);
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: BR ; Q=0.000\r\n", &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    EXPECT_TRUE(has(s, "\r\nVary: Accept-Encoding\r\n"));
    close(out.fd);
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: gzip;q=0\r\n", &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    EXPECT_TRUE(has(s, "\r\nContent-Length: 38\r\n"));
    close(out.fd);
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: gzip;q=0.001\r\n", &out);
    EXPECT_TRUE(has(s, "\r\nContent-Encoding: gzip\r\n"));
    close(out.fd);
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: *\r\n", &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    close(out.fd);
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: x-gzip\r\n", &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    close(out.fd);
    /* Without Accept-Encoding: the original, still with Vary for caches. */
    s = serve("GET /page.html HTTP/1.1", NULL, &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    EXPECT_TRUE(has(s, "\r\nVary: Accept-Encoding\r\n"));
    EXPECT_TRUE(has(s, "\r\nAccept-Ranges: bytes\r\n"));
    close(out.fd);
    /* HTTP/1.0 gets no coding (nginx: gzip_http_version 1.1). */
    s = serve("GET /page.html HTTP/1.0", "Accept-Encoding: gzip\r\n", &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    close(out.fd);
    /* Only a .gz sibling; and a file with none gets no Vary. */
    s = serve("GET /style.css HTTP/1.1", "Accept-Encoding: br, gzip\r\n", &out);
    EXPECT_TRUE(has(s, "\r\nContent-Encoding: gzip\r\n"));
    close(out.fd);
    s = serve("GET /a.txt HTTP/1.1", "Accept-Encoding: br, gzip\r\n", &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    EXPECT_FALSE(has(s, "Vary"));
    close(out.fd);
    /* Ranges are off for precompressed replies, as with nginx's gzip_static. */
    s = serve("GET /page.html HTTP/1.1", "Accept-Encoding: gzip\r\nRange: bytes=0-3\r\n", &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.length, 20);
    close(out.fd);
    /* Validators are the sibling's: its ETag gives 304, with Vary and no coding. */
    s = serve("GET /page.html HTTP/1.1",
              "Accept-Encoding: gzip\r\nIf-None-Match: \"6553f100-14\"\r\n", &out);
    EXPECT_EQ(out.status, 304);
    EXPECT_TRUE(has(s, "\r\nVary: Accept-Encoding\r\n"));
    EXPECT_FALSE(has(s, "Content-Encoding"));
    root_remove();
}

TEST(static_connection_and_cache_fields)
{
    struct edge_static_conf conf = { .root = root, .index = "index.html",
                                     .cache_max_age_ms = 3600500 };
    struct static_reply out;
    const char *s;

    root_make();
    s = serve_conf(&conf, "GET /a.txt HTTP/1.1", NULL, false, &out);
    EXPECT_TRUE(out.close);
    EXPECT_TRUE(has(s, "\r\nConnection: close\r\n"));
    EXPECT_TRUE(has(s, "\r\nCache-Control: max-age=3600\r\n"));
    close(out.fd);
    s = serve_conf(&conf, "GET /a.txt HTTP/1.0", "Connection: keep-alive\r\n", true, &out);
    EXPECT_FALSE(out.close);
    EXPECT_TRUE(has(s, "\r\nConnection: keep-alive\r\n"));
    close(out.fd);
    s = serve_conf(&conf, "GET /nope HTTP/1.1", NULL, false, &out);
    EXPECT_TRUE(out.close);
    EXPECT_TRUE(has(s, "\r\nConnection: close\r\n"));
    EXPECT_FALSE(has(s, "Cache-Control"));
    s = serve_conf(&conf, "GET /sub HTTP/1.1", NULL, true, &out);
    EXPECT_TRUE(has(s, "\r\nCache-Control: max-age=3600\r\n"));     /* as nginx's expires */
    /* A missing root is a 404 for everything, as with nginx. */
    struct edge_static_conf gone = { .root = "/nonexistent/tierd-static" };
    serve_conf(&gone, "GET / HTTP/1.1", NULL, true, &out);
    EXPECT_EQ(out.status, 404);
    root_remove();
}

/* A worker keeps each root open, and remembers files without a .br/.gz sibling, for the
 * wall-clock second it looked (staticfs.c): a sibling added, or the root replaced by
 * another directory of the same name, is seen from the next second on, not later. */
TEST(static_roots_and_missing_siblings_are_kept_one_second)
{
    struct edge_static_conf conf = { .root = root, .index = "index.html" };
    struct static_reply out;
    const char *s;
    char old[80];

    root_make();
    s = serve_at(&conf, "GET /a.txt HTTP/1.1", "Accept-Encoding: gzip\r\n", true, T_NOW + 10,
                 &out);
    EXPECT_EQ(out.status, 200);
    EXPECT_FALSE(has(s, "Content-Encoding"));
    close(out.fd);
    put_file("a.txt.gz", "GZ", 2);
    s = serve_at(&conf, "GET /a.txt HTTP/1.1", "Accept-Encoding: gzip\r\n", true, T_NOW + 10,
                 &out);
    EXPECT_FALSE(has(s, "Content-Encoding"));       /* the same second: not probed again */
    close(out.fd);
    s = serve_at(&conf, "GET /a.txt HTTP/1.1", "Accept-Encoding: gzip\r\n", true, T_NOW + 11,
                 &out);
    EXPECT_TRUE(has(s, "\r\nContent-Encoding: gzip\r\n"));
    EXPECT_TRUE(has(s, "\r\nContent-Length: 2\r\n"));
    close(out.fd);

    /* The root renamed away and a new directory made under its name (a deploy). */
    snprintf(old, sizeof(old), "%s.old", root);
    assert_int_equal(rename(root, old), 0);
    put_dir("");
    put_file("a.txt", "new\n", 4);
    s = serve_at(&conf, "GET /a.txt HTTP/1.1", NULL, true, T_NOW + 11, &out);
    EXPECT_TRUE(has(s, "\r\nContent-Length: 12\r\n"));  /* still the old tree's */
    close(out.fd);
    s = serve_at(&conf, "GET /a.txt HTTP/1.1", NULL, true, T_NOW + 12, &out);
    EXPECT_TRUE(has(s, "\r\nContent-Length: 4\r\n"));
    EXPECT_TRUE(body_is(&out, "new\n"));
    close(out.fd);
    root_remove();
    nftw(old, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
