/* tests/unit/export/helpers_test.c: quoting, names, ports and notes of export/export.c, and
 * a whole Terraform export of a small stack read back for its notes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "export/internal.h"

static char *
hcl(const char *s)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    export_hcl_str(f, s);
    fclose(f);
    return out;
}

TEST(export_hcl_strings_never_interpolate)
{
    char *s;

    s = hcl("127.0.0.1:${PORT}");
    EXPECT_STREQ(s, "\"127.0.0.1:$${PORT}\"");
    free(s);
    s = hcl("%{if x}\"q\"\\\n");
    EXPECT_STREQ(s, "\"%%{if x}\\\"q\\\"\\\\\\n\"");
    free(s);
    s = hcl("$5 and 100%");                 /* a lone $ or % stays */
    EXPECT_STREQ(s, "\"$5 and 100%\"");
    free(s);
    /* YAML: the same escapes, and "${" stays as it is. */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    export_yaml_str(f, "a\tb\x01 ${X}");
    fclose(f);
    EXPECT_STREQ(out, "\"a\\tb\\u0001 ${X}\"");
    free(out);
}

TEST(export_names_are_identifiers)
{
    char b[64];

    EXPECT_STREQ(export_tf_id("web", b, sizeof(b)), "web");
    EXPECT_STREQ(export_tf_id("cpu-40", b, sizeof(b)), "cpu-40");
    EXPECT_STREQ(export_tf_id("a.b c", b, sizeof(b)), "a_b_c");
    EXPECT_STREQ(export_tf_id("1st", b, sizeof(b)), "r1st");   /* labels start with a letter */
    EXPECT_STREQ(export_k8s_id("Web_API.v2", b, sizeof(b)), "web-api-v2");
    EXPECT_STREQ(export_k8s_id("_x_", b, sizeof(b)), "x-x");
    EXPECT_EQ(strlen(export_k8s_id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                   b, sizeof(b))), 63u);
}

TEST(export_ports_and_loopback_binds)
{
    char b[128];
    const char *s;

    EXPECT_EQ(export_port("127.0.0.1:8080"), 8080u);
    EXPECT_EQ(export_port("[::1]:443"), 443u);
    EXPECT_EQ(export_port("localhost"), 0u);
    EXPECT_EQ(export_port("h:99999"), 0u);
    EXPECT_STREQ(export_bind_any("127.0.0.1:${PORT}", b, sizeof(b)), "0.0.0.0:${PORT}");
    EXPECT_STREQ(export_bind_any("--listen=localhost:${PORT}/x", b, sizeof(b)),
                 "--listen=0.0.0.0:${PORT}/x");
    s = "10.0.0.5:${PORT}";
    EXPECT_TRUE(export_bind_any(s, b, sizeof(b)) == s);        /* not loopback: untouched */
}

static const char STACK[] =
    "listeners:\n"
    "  - name: public\n"
    "    address: 127.0.0.1:8080\n"
    "    rules:\n"
    "      - forward: web\n"
    "target_groups:\n"
    "  web:\n"
    "    targets: [127.0.0.1:9001]\n"
    "    deregistration_delay: 7s\n"
    "shield:\n"
    "  scanners: { enabled: true }\n";

TEST(export_notes_carry_positions_and_reach_the_output)
{
    struct export_ctx cx = { 0 };
    struct diag d;
    struct conf_doc *doc;

    diag_init(&d);
    doc = conf_doc_load_mem("s.yaml", STACK, strlen(STACK), &d);
    EXPECT_TRUE(doc != NULL);
    cx.root = doc->root;
    cx.stack = "s.yaml";
    cx.name = strdup("s");
    diag_init(&cx.scratch);
    EXPECT_EQ(tf_export(&cx), 0);
    /* targets (8:5) and shield.scanners (11:3), in the order written. */
    EXPECT_TRUE(cx.nnotes >= 2);
    bool targets = false, scanners = false;
    for (unsigned i = 0; i < cx.nnotes; i++) {
        targets |= strncmp(cx.notes[i], "s.yaml:8:5: target_groups.web.targets:", 38) == 0;
        scanners |= strncmp(cx.notes[i], "s.yaml:11:3: shield.scanners:", 29) == 0;
    }
    EXPECT_TRUE(targets);
    EXPECT_TRUE(scanners);
    for (unsigned i = 0; i < cx.nfiles; i++) {
        fflush(cx.files[i].f);
        if (strcmp(cx.files[i].name, "edge.tf") == 0) {
            EXPECT_TRUE(strstr(cx.files[i].text, "deregistration_delay          = 7\n") != NULL);
            /* The default algorithm, from the key table. */
            EXPECT_TRUE(strstr(cx.files[i].text, "\"round_robin\"") != NULL);
        }
        if (strcmp(cx.files[i].name, "main.tf") == 0)
            EXPECT_TRUE(strstr(cx.files[i].text, "#   s.yaml:8:5: target_groups.web.targets")
                        != NULL);
        fclose(cx.files[i].f);
        free(cx.files[i].text);
        free(cx.files[i].name);
    }
    for (unsigned i = 0; i < cx.nnotes; i++)
        free(cx.notes[i]);
    free(cx.notes);
    for (unsigned i = 0; i < cx.ndeclared; i++)
        free(cx.declared[i]);
    free(cx.declared);
    free(cx.name);
    diag_fini(&cx.scratch);
    conf_doc_free(doc);
    diag_fini(&d);
}
