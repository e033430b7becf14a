/* Reference programs for the recorder targets of issue 6, built static and run inside the
 * guest by scripts/bench-recorder:
 *
 *   recorder_ref sampler CGHARNESS TICKS INTERVAL_MS REPS [DIR...]
 *     A minimal C loop that preads the same files our sampler reads (8 per cgroup, for 3
 *     cgroups, plus /proc/meminfo and /proc/vmstat) at the same interval, against
 *     `CGHARNESS probe sampler` on the same cgroups; interleaved REPS times, each going first
 *     in turn. Prints CPU µs per tick of each and the ratio per rep, then the medians; also a
 *     C loop that keeps each tick's text in a buffer of its own (c_keep), for comparison. DIRs
 *     replace the scratch cgroups (a host without cgroup v2 memory: copies of the files).
 *
 *   recorder_ref oom CGHARNESS REPS
 *     A minimal C inotify watcher on a cgroup's memory.events and `CGHARNESS probe oom-notice`
 *     on the same file, while `CGHARNESS workload anon` is OOM-killed in that cgroup. Prints
 *     how much later than the C watcher ours saw the kill (µs, CLOCK_MONOTONIC).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *FILES[] = {"memory.current", "memory.swap.current", "memory.stat",
                              "memory.events", "io.stat", "memory.pressure", "io.pressure",
                              "cpu.pressure"};
static char buf[1 << 16];
/* Ticks not counted, here and in `probe sampler` (its default): both measure a warm loop. */
#define WARMUP 10

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long cpu_us(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000LL + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

static void put(const char *path, const char *v) {
  int fd = open(path, O_WRONLY);
  if (fd < 0 || write(fd, v, strlen(v)) < 0) { perror(path); exit(1); }
  close(fd);
}

/* keep = 0: every file into the same static buffer (the reference). keep = 1: a tick's files
 * back to back into one buffer malloc'ed for the tick and freed after it, as a sampler that
 * keeps what it read must (ours does that; shown for comparison, not the target). */
static double c_sampler(char **cgs, int n, int ticks, int interval_ms, int keep) {
  int fds[64], nf = 0;
  char p[512];
  for (int i = 0; i < n; i++)
    for (int f = 0; f < 8; f++) {
      snprintf(p, sizeof p, "%s/%s", cgs[i], FILES[f]);
      int fd = open(p, O_RDONLY);
      if (fd >= 0) fds[nf++] = fd;
    }
  fds[nf++] = open("/proc/meminfo", O_RDONLY);
  fds[nf++] = open("/proc/vmstat", O_RDONLY);
  long long c0 = cpu_us(), next = now_ns();
  for (int t = 0; t < WARMUP + ticks; t++) {
    if (t == WARMUP) c0 = cpu_us();
    next += interval_ms * 1000000LL;
    struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    if (!keep) {
      for (int i = 0; i < nf; i++) (void)!pread(fds[i], buf, sizeof buf, 0);
      continue;
    }
    static size_t room = 16384;
    char *a = malloc(room);
    size_t off = 0;
    for (int i = 0; i < nf && a; i++) {
      if (room - off < 8192) {
        char *b = realloc(a, room *= 2);
        if (!b) break;
        a = b;
      }
      ssize_t k = pread(fds[i], a + off, room - off, 0);
      if (k > 0) off += k;
    }
    room = off + off / 8 + 8192;
    free(a);
  }
  double per = (double)(cpu_us() - c0) / ticks;
  for (int i = 0; i < nf; i++) close(fds[i]);
  return per;
}

static double ours_sampler(const char *bin, char **cgs, int n, int ticks, int interval_ms) {
  int pfd[2];
  if (pipe(pfd)) exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    char t[32], iv[32];
    snprintf(t, sizeof t, "%d", ticks);
    snprintf(iv, sizeof iv, "%d", interval_ms);
    char *argv[16] = {(char *)bin, "probe", "sampler", "--ticks", t, "--interval-ms", iv};
    for (int i = 0; i < n; i++) argv[7 + i] = cgs[i];
    dup2(pfd[1], 1);
    execv(bin, argv);
    _exit(127);
  }
  close(pfd[1]);
  ssize_t k = read(pfd[0], buf, sizeof buf - 1);
  buf[k > 0 ? k : 0] = 0;
  close(pfd[0]);
  waitpid(pid, NULL, 0);
  char *s = strstr(buf, "cpu_us_per_tick=");
  return s ? atof(s + 16) : -1;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, n, sizeof *v, cmp_d);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* With no DIRs, three scratch cgroups under /sys/fs/cgroup/refbench (the guest); with DIRs,
 * those directories (e.g. copies of a cgroup's files on a host without cgroup v2 memory). */
static int sampler(const char *bin, int ticks, int interval_ms, int reps, char **dirs, int ndirs) {
  static char a[] = "/sys/fs/cgroup/refbench/a", b[] = "/sys/fs/cgroup/refbench/b",
              c[] = "/sys/fs/cgroup/refbench/c";
  char *own[] = {a, b, c};
  char **cgs = ndirs ? dirs : own;
  int n = ndirs ? ndirs : 3;
  if (n > 6) n = 6;
  if (!ndirs) {
    put("/sys/fs/cgroup/cgroup.subtree_control", "+memory +io");
    mkdir("/sys/fs/cgroup/refbench", 0755);
    put("/sys/fs/cgroup/refbench/cgroup.subtree_control", "+memory +io");
    for (int i = 0; i < 3; i++) mkdir(cgs[i], 0755);
  }
  double cv[256], ov[256], rv[256], kv[256];
  if (reps > 256) reps = 256;
  for (int r = 0; r < reps; r++) {
    /* Rotate which goes first, so a drift in the machine's speed favours none. */
    double cc = 0, oc = 0, kc = 0;
    for (int k = 0; k < 3; k++) switch ((r + k) % 3) {
      case 0: cc = c_sampler(cgs, n, ticks, interval_ms, 0); break;
      case 1: oc = ours_sampler(bin, cgs, n, ticks, interval_ms); break;
      default: kc = c_sampler(cgs, n, ticks, interval_ms, 1); break;
    }
    cv[r] = cc, ov[r] = oc, rv[r] = oc / cc, kv[r] = kc;
    printf("sampler rep=%d c_us_per_tick=%.1f ours_us_per_tick=%.1f ratio=%.3f c_keep_us_per_tick=%.1f\n",
           r, cc, oc, oc / cc, kc);
    fflush(stdout);
  }
  double mc = median(cv, reps), mo = median(ov, reps), mr = median(rv, reps), mk = median(kv, reps);
  printf("sampler summary reps=%d c_median_us=%.1f ours_median_us=%.1f ratio_of_medians=%.3f "
         "median_ratio=%.3f c_keep_median_us=%.1f\n", reps, mc, mo, mo / mc, mr, mk);
  if (!ndirs) {
    for (int i = 0; i < 3; i++) rmdir(cgs[i]);
    rmdir("/sys/fs/cgroup/refbench");
  }
  return 0;
}

static long oom_kills(const char *events) {
  int fd = open(events, O_RDONLY);
  ssize_t k = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[k > 0 ? k : 0] = 0;
  char *s = strstr(buf, "oom_kill ");
  return s ? atol(s + 9) : 0;
}

static int oom_once(const char *bin, int rep) {
  char cg[256], ev[300], procs[300];
  snprintf(cg, sizeof cg, "/sys/fs/cgroup/refoom-%d", rep);
  snprintf(ev, sizeof ev, "%s/memory.events", cg);
  snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
  mkdir(cg, 0755);
  char p[300];
  snprintf(p, sizeof p, "%s/memory.max", cg); put(p, "33554432");
  snprintf(p, sizeof p, "%s/memory.swap.max", cg); put(p, "0");
  int pfd[2];
  if (pipe(pfd)) exit(1);
  pid_t watcher = fork();
  if (watcher == 0) {
    dup2(pfd[1], 1);
    execl(bin, bin, "probe", "oom-notice", cg, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  ssize_t k = read(pfd[0], buf, 64); /* "ready\n" */
  (void)k;
  int in = inotify_init1(IN_NONBLOCK);
  inotify_add_watch(in, ev, IN_MODIFY);
  pid_t victim = fork();
  if (victim == 0) {
    char me[32];
    snprintf(me, sizeof me, "%d", getpid());
    put(procs, me);
    execl(bin, bin, "workload", "anon", "--bytes", "128M", "--hold-ms", "1000", (char *)NULL);
    _exit(127);
  }
  long long t_c = 0;
  while (!t_c) {
    struct pollfd pf = {in, POLLIN, 0};
    poll(&pf, 1, 5000);
    while (read(in, buf, sizeof buf) > 0) {}
    if (oom_kills(ev) > 0) t_c = now_ns();
  }
  waitpid(victim, NULL, 0);
  char out[256];
  k = read(pfd[0], out, sizeof out - 1);
  out[k > 0 ? k : 0] = 0;
  waitpid(watcher, NULL, 0);
  char *s = strstr(out, "t_ns=");
  long long t_r = s ? atoll(s + 5) : 0;
  printf("oom rep=%d ours_minus_c_us=%.1f\n", rep, (t_r - t_c) / 1000.0);
  fflush(stdout);
  close(in);
  close(pfd[0]);
  rmdir(cg);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 6 && !strcmp(argv[1], "sampler"))
    return sampler(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), argv + 6, argc - 6);
  if (argc >= 4 && !strcmp(argv[1], "oom")) {
    put("/sys/fs/cgroup/cgroup.subtree_control", "+memory +io");
    for (int r = 0; r < atoi(argv[3]); r++) oom_once(argv[2], r);
    return 0;
  }
  fprintf(stderr, "usage: %s sampler CGHARNESS TICKS INTERVAL_MS REPS [DIR...] | oom CGHARNESS REPS\n", argv[0]);
  return 2;
}
