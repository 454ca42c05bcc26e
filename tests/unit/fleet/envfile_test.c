/* tests/unit/fleet/envfile_test.c: env_file syntax (systemd EnvironmentFile=) and the
 * permission check that keeps a secrets file private. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fleet/envfile.h"

static const char *
get(const struct envfile *e, const char *key)
{
    size_t n = strlen(key);

    for (unsigned i = 0; i < e->n; i++)
        if (strncmp(e->vars[i], key, n) == 0 && e->vars[i][n] == '=')
            return e->vars[i] + n + 1;
    return NULL;
}

TEST(envfile_reads_systemd_syntax)
{
    static const char text[] =
        "# a comment\n"
        "; another\n"
        "\n"
        "DB_PASSWORD=s3cret\n"
        "  SPACED = value with spaces   \n"
        "QUOTED=\"a \\\"b\\\" \\\\ c\"\n"
        "SINGLE='x $y \\n z'\n"
        "LONG=one \\\ntwo\n"
        "EMPTY=\n"
        "DB_PASSWORD=later-wins\n";
    struct envfile e;
    unsigned line = 0;
    const char *why = NULL;

    EXPECT_EQ(envfile_parse(text, strlen(text), &e, &line, &why), 0);
    EXPECT_EQ(e.n, 6);
    EXPECT_STREQ(get(&e, "DB_PASSWORD"), "later-wins");
    EXPECT_STREQ(get(&e, "SPACED"), "value with spaces");
    EXPECT_STREQ(get(&e, "QUOTED"), "a \"b\" \\ c");
    EXPECT_STREQ(get(&e, "SINGLE"), "x $y \\n z");
    EXPECT_STREQ(get(&e, "LONG"), "one two");
    EXPECT_STREQ(get(&e, "EMPTY"), "");
    envfile_fini(&e);
}

TEST(envfile_names_the_line_of_a_syntax_error)
{
    struct envfile e;
    unsigned line = 0;
    const char *why = NULL;
    static const char no_eq[] = "A=1\n\nNOT A PAIR\n";
    static const char bad_name[] = "A=1\n1X=2\n";
    static const char open_quote[] = "A=1\nB=\"never closed\n";

    EXPECT_EQ(envfile_parse(no_eq, strlen(no_eq), &e, &line, &why), -EBADMSG);
    EXPECT_EQ(line, 3);
    EXPECT_EQ(e.n, 0);
    EXPECT_EQ(envfile_parse(bad_name, strlen(bad_name), &e, &line, &why), -EBADMSG);
    EXPECT_EQ(line, 2);
    EXPECT_EQ(envfile_parse(open_quote, strlen(open_quote), &e, &line, &why), -EBADMSG);
    EXPECT_EQ(line, 2);
}

TEST(envfile_refuses_a_file_open_to_others)
{
    char path[] = "/tmp/tierd-envfile-XXXXXX", err[512];
    struct envfile e;
    int fd = mkstemp(path);

    EXPECT_TRUE(fd >= 0);
    EXPECT_TRUE(write(fd, "K=v\n", 4) == 4);
    close(fd);
    EXPECT_EQ(chmod(path, 0644), 0);
    EXPECT_EQ(envfile_load(path, &e, err, sizeof(err)), -EACCES);
    EXPECT_TRUE(strstr(err, path) != NULL);         /* the message names the file */
    EXPECT_TRUE(strstr(err, "0644") != NULL);
    EXPECT_EQ(chmod(path, 0600), 0);
    EXPECT_EQ(envfile_load(path, &e, err, sizeof(err)), 0);
    EXPECT_STREQ(get(&e, "K"), "v");
    envfile_fini(&e);
    unlink(path);
    EXPECT_EQ(envfile_load(path, &e, err, sizeof(err)), -ENOENT);
}
