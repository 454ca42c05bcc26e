/*
 * fuzz/envfile.c: a launch template's env_file is read at every launch, and
 * "${env:NAME}" references are expanded in every secret field. Properties: no crash, no
 * leak; a parse either fails with a line inside the input or yields only KEY=value
 * entries whose keys are valid names, each key once; expanding a text with no reference
 * gives the text back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ref.h"
#include "core/err.h"
#include "fleet/envfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct envfile e;
    unsigned line = 0, lines = 1;
    const char *why = NULL;

    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    if (envfile_parse((const char *)data, len, &e, &line, &why) < 0) {
        BUG_ON(line < 1 || line > lines || !why || e.n != 0);
    } else {
        for (unsigned i = 0; i < e.n; i++) {
            size_t k = strcspn(e.vars[i], "=");
            BUG_ON(e.vars[i][k] != '=' || !conf_ref_name_ok(e.vars[i], k));
            for (unsigned j = 0; j < i; j++)
                BUG_ON(strncmp(e.vars[j], e.vars[i], k + 1) == 0);
        }
        envfile_fini(&e);
    }
    char *text = malloc(len + 1);
    memcpy(text, data, len);
    text[len] = '\0';
    char *out = conf_ref_expand(text, NULL, 0);
    if (out && !conf_ref_has(text))
        BUG_ON(strcmp(out, text) != 0);
    free(out);
    free(text);
    return 0;
}
