/*
 * examples/app/main.c: the sample app's command line, environment defaults, worker threads
 * and signals. SIGTERM or SIGINT makes every worker drain (finish in-flight answers, close
 * its listener); the process exits 0 when they are done.
 *
 *   app --listen 127.0.0.1:9001 [--name NAME] [--threads N]
 *   PORT and INSTANCE_ID in the environment stand in for --listen's port and --name.
 */
#include "app.h"
#include "listen.h"
#include "worker.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAIN_THREADS_MAX 256

struct app app;

static void
main_usage(void)
{
    fprintf(stderr, "usage: app --listen ADDR [--name NAME] [--threads N]\n"
                    "  ADDR is 127.0.0.1:PORT, [::1]:PORT or PORT (default 127.0.0.1:$PORT)\n"
                    "  NAME defaults to $INSTANCE_ID, else app-PORT; N defaults to 1\n");
    exit(2);
}

/* A name goes into a header: printable ASCII, no longer than 100 bytes. */
static bool
main_name_valid(const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
    }
    return n > 0 && n <= 100;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' }, { "name", required_argument, NULL, 'n' },
        { "threads", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *listen_arg = getenv("PORT"), *name = getenv("INSTANCE_ID");
    int threads = 1, opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'l')
            listen_arg = optarg;
        else if (opt == 'n')
            name = optarg;
        else if (opt == 't')
            threads = atoi(optarg);
        else
            main_usage();
    }
    struct sockaddr_storage ss;
    socklen_t ss_len;
    if (optind != argc || !listen_arg || threads < 1 || threads > MAIN_THREADS_MAX ||
        listen_parse(listen_arg, &ss, &ss_len) < 0 || (name && !main_name_valid(name)))
        main_usage();

    /* Many sockets (1000+ WebSocket clients): raise the descriptor limit as far as allowed. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* Signals are taken by sigwait() below, never by a worker. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The first listener fixes the port (which may have been 0); the others share it. */
    int fds[MAIN_THREADS_MAX];
    for (int i = 0; i < threads; i++) {
        fds[i] = i == 0 ? listen_check_free(&ss, ss_len) : 0;
        if (fds[i] == 0)
            fds[i] = listen_open(&ss, ss_len);
        if (fds[i] < 0) {
            fprintf(stderr, "app: cannot listen on %s: %s\n", listen_arg, strerror(-fds[i]));
            return 1;
        }
        if (i == 0)
            listen_bound(fds[0], &ss, app.addr, sizeof(app.addr));
    }
    app.port = atoi(strrchr(app.addr, ':') + 1);
    if (name)
        snprintf(app.name, sizeof(app.name), "%s", name);
    else
        snprintf(app.name, sizeof(app.name), "app-%d", app.port);
    app.hello_len = (size_t)snprintf(app.hello, sizeof(app.hello),
                                     "hello from %s (port %d, pid %d)\n", app.name, app.port,
                                     (int)getpid());
    app.common_len = (size_t)snprintf(app.common, sizeof(app.common),
                                      "Server: tierd-sample-app\r\nX-Instance: %s\r\n", app.name);
    atomic_store(&app.healthy, true);

    static struct worker workers[MAIN_THREADS_MAX];
    for (int i = 0; i < threads; i++) {
        int rc = worker_start(&workers[i], fds[i]);
        if (rc < 0) {
            fprintf(stderr, "app: cannot start worker: %s\n", strerror(-rc));
            return 1;
        }
    }
    printf("app %s listening on %s\n", app.name, app.addr);
    fflush(stdout);

    int sig;
    sigwait(&set, &sig);
    for (int i = 0; i < threads; i++)
        worker_stop(&workers[i]);
    for (int i = 0; i < threads; i++)
        worker_join(&workers[i]);
    return 0;
}
