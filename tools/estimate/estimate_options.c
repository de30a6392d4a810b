/*
 * estimate_options.c - `zbud estimate`'s options: each checked as it comes,
 * then together (one target, and what goes with it)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "estimate_cli.h"
#include "estimate_prom.h"
#include "text.h"
#include "zpool.h"

#define MAX_THREADS 256
#define MAX_SECONDS 1e7                 /* 115 days: --delay, --every, --duration */
#define MIN_EVERY 0.01                  /* a tick costs a walk: not more often */

const struct est_format est_formats[] = {
	{ NULL, estimate_print_table },
	{ "--json", estimate_print_json },
	{ "--prometheus", estimate_print_prometheus },
	{ NULL, NULL },
};

static void usage(FILE *f)
{
	char codecs[160], zpools[160], levels[160];
	size_t at = 0;

	/* The default levels, from the compressor table. */
	levels[0] = '\0';
	for (unsigned int i = 0; zswap_compressor_at(i) && at < sizeof(levels); i++)
		if (zswap_compressor_at(i)->max_level)
			at += (size_t)snprintf(levels + at, sizeof(levels) - at, "%s%s %d", at ? ", " : "",
					       zswap_compressor_at(i)->name,
					       zswap_compressor_at(i)->default_level);
	fprintf(f,
		"usage: zbud estimate [OPTION...] [-- CMD [ARG...]]\n"
		"       zbud estimate [OPTION...] --pid PID... | --cgroup PATH... | --core FILE | --raw FILE\n"
		"\n"
		"What zswap or zram would save on a workload's memory, for each compressor and\n"
		"allocator: same-filled and incompressible pages, the pool each allocator would\n"
		"fill, the effective ratio and the memory saved (docs/estimate.md).  A command\n"
		"or processes are followed over their life, and the figures at their peak (the\n"
		"most pages zswap would be given) reported, with when that was.\n"
		"\n"
		"Targets (with none: a Python heap of ~64 MiB, built in, needs python3):\n"
		"  -- CMD [ARG...]    run CMD (no shell) and follow it to its end; its output\n"
		"                     is its own: the report goes to standard error, or -o\n"
		"  --pid PID          a running process (again for more); the kernel's ptrace\n"
		"                     access rules must allow it\n"
		"  --cgroup PATH      every process of a cgroup (v1 or v2), and below it\n"
		"  --core FILE        an ELF core file (64-bit): its PT_LOAD segments\n"
		"  --raw FILE         a file's bytes as 4 KiB pages\n"
		"\n"
		"Over time:\n"
		"  --follow           the processes the command (or --pid) starts, too\n"
		"  --every SECONDS    count the pages this often (default: it grows with the run)\n"
		"  --duration SECONDS --pid, --cgroup: stop following after this long\n"
		"  --once             one reading: a command's when it stops itself (SIGSTOP),\n"
		"                     at its exit, or after --delay SECONDS; a process's now\n"
		"  --csv FILE         the series, a row a point: time, pages, saved per column\n"
		"\n"
		"What and how:\n"
		"  --all              every page in memory, not only those zswap would be given\n"
		"  --mapping TEXT     processes: only mappings whose path contains TEXT\n"
		"  --compressor LIST  NAME[:LEVEL],... (default: all of %s,\n"
		"                     each at its default level: %s)\n"
		"  --zpool LIST       allocators (default: all of %s;\n"
		"                     ideal: the compressed bytes in whole pages)\n"
		"  --threads N        compressing threads (default: the CPUs online; over\n"
		"                     time, a reading takes one, the peak's figures N)\n"
		"  --sample FRACTION  measure a random sample of the pages, 0 < FRACTION <= 1,\n"
		"  --sample-pages N   or of N pages (over time, each reading draws %d pages\n"
		"                     unless told); figures are scaled, with 95%% intervals\n"
		"  --seed N           the sample's random seed (default 1)\n"
		"  --vs-kernel        as root, with zram: the same pages through the kernel's\n"
		"                     own compressors (a zram device made and removed for it)\n"
		"\n"
		"Output:\n"
		"  -o FILE            the report to FILE (written whole when done)\n"
		"  --json             the report as JSON\n"
		"  --prometheus       the figures in Prometheus's text exposition format\n"
		"  --plot FILE.png    memory over time and what each would save; the size\n"
		"                     histogram and the ratios\n"
		"  --save-sizes FILE  the first compressor's sizes, one a line (zbud inspect)\n"
		"\n"
		"Exit status: 0 (the command's own is in the report); 1 when the target cannot\n"
		"be read or run, or the output not written; 2 for a bad option or value, a\n"
		"cgroup that does not exist, or a file that is not one zbud reads.\n"
		"\n"
		"Examples:\n"
		"  zbud estimate\n"
		"  zbud estimate --follow -o estimate.txt -- make -j2\n"
		"  sudo zbud estimate --pid \"$(pidof -s postgres)\" --duration 600 --csv pg.csv\n"
		"  sudo zbud estimate --cgroup system.slice/nginx.service --vs-kernel --json\n"
		"  zbud estimate --once --delay 30 --json -o estimate.json -- ./server --port 8080\n"
		"  zbud estimate --core core.1234 --plot core.png\n",
		est_known(zswap_compressor_name, false, codecs, sizeof(codecs)), levels,
		est_known(zpool_driver_name, true, zpools, sizeof(zpools)), FOLLOW_SAMPLE);
}

/* One line naming @arg, its unprintable bytes shown as '?'. */
static int bad(const char *fmt, const char *arg)
{
	char shown[256];
	size_t n = 0;

	for (; arg[n] && n + 1 < sizeof(shown); n++)
		shown[n] = arg[n] >= ' ' && arg[n] < 127 ? arg[n] : '?';
	shown[n] = '\0';
	fprintf(stderr, "zbud estimate: ");
	fprintf(stderr, fmt, shown);
	fputc('\n', stderr);
	return 2;
}

static int say(const char *what)
{
	fprintf(stderr, "zbud estimate: %s\n", what);
	return 2;
}

static int number(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
	const struct text_field f = { arg, strlen(arg) };
	char why[128];

	if (text_number(&f, opt, min, max, v, why, sizeof(why))) {
		fprintf(stderr, "zbud estimate: %s\n", why);
		return 2;
	}
	return 0;
}

static int real(const char *opt, const char *arg, double min, double max, double *v)
{
	char *end, quoted[TEXT_QUOTE_SIZE];
	const struct text_field f = { arg, strlen(arg) };

	*v = strtod(arg, &end);
	if (!*arg || *end || arg[0] == ' ' || !(*v > 0) || *v < min || *v > max) {
		fprintf(stderr, "zbud estimate: bad %s value '%s' (%s %g, at most %g)\n", opt,
			text_quote(&f, quoted), min > 0 ? "at least" : "more than", min, max);
		return 2;
	}
	return 0;
}

static int list(char *arg, struct est_config *cfg, bool codecs)
{
	char why[256];
	const int n = codecs ? est_codecs_parse(arg, cfg->codec, EST_MAX_CODECS, why, sizeof(why))
			     : est_zpools_parse(arg, cfg->zpool, EST_MAX_ZPOOLS, true, why,
						sizeof(why));

	if (n < 0) {
		fprintf(stderr, "zbud estimate: %s\n", why);
		return 2;
	}
	*(codecs ? &cfg->ncodecs : &cfg->nzpools) = n;
	return 0;
}

static void defaults(struct est_args *a)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	a->cfg.ncodecs = est_codecs_default(a->cfg.codec, EST_MAX_CODECS);
	a->cfg.nzpools = est_zpools_default(a->cfg.zpool, EST_MAX_ZPOOLS, true);
	a->cfg.threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (unsigned int)cpus;
	a->cfg.seed = 1;
	a->format = &est_formats[0];
}

/* Options without a value: where each sets its flag. */
static bool *flag(struct est_args *a, const char *opt)
{
	return !strcmp(opt, "--all") ? &a->sel.all : !strcmp(opt, "--once") ? &a->once
	       : !strcmp(opt, "--follow") ? &a->follow : !strcmp(opt, "--vs-kernel") ? &a->vs_kernel
	       : NULL;
}

static int add_pid(struct est_args *a, const char *opt, const char *arg)
{
	uint64_t v;
	int rc = number(opt, arg, 1, INT32_MAX, &v);

	if (!rc && a->npids == EST_MAX_PIDS)
		return bad("too many --pid at '%s' (64 at most)", arg);
	if (!rc)
		a->pid[a->npids++] = (pid_t)v;
	return rc;
}

/* A file or text value: where it goes. */
static const char **text_value(struct est_args *a, const char *opt)
{
	return !strcmp(opt, "--core") ? &a->core : !strcmp(opt, "--raw") ? &a->raw
	       : !strcmp(opt, "--plot") ? &a->plot : !strcmp(opt, "--save-sizes") ? &a->save_sizes
	       : !strcmp(opt, "--csv") ? &a->csv : !strcmp(opt, "-o") ? &a->out
	       : !strcmp(opt, "--mapping") ? &a->sel.mapping : NULL;
}

/* An option that takes a value, with it: 0, the exit status, or -1 when
 * @opt is none such. */
static int valued(struct est_args *a, const char *opt, char *arg)
{
	const char **text = text_value(a, opt);
	uint64_t v;
	int rc = 0;

	if (text)
		*text = arg;
	else if (!strcmp(opt, "--pid"))
		rc = add_pid(a, opt, arg);
	else if (!strcmp(opt, "--cgroup") && a->ncgroups == EST_MAX_CGROUPS)
		rc = bad("too many --cgroup at '%s' (16 at most)", arg);
	else if (!strcmp(opt, "--cgroup"))
		a->cgroup[a->ncgroups++] = arg;
	else if (!strcmp(opt, "--delay") || !strcmp(opt, "--duration") || !strcmp(opt, "--every"))
		rc = real(opt, arg, opt[3] == 'v' ? MIN_EVERY : 0, MAX_SECONDS,
			  opt[2] == 'd' && opt[3] == 'e' ? &a->delay : opt[3] == 'u' ? &a->duration
							    : &a->every);
	else if (!strcmp(opt, "--compressor") || !strcmp(opt, "--zpool"))
		rc = list(arg, &a->cfg, opt[2] == 'c');
	else if (!strcmp(opt, "--threads")) {
		rc = number(opt, arg, 1, MAX_THREADS, &v);
		a->cfg.threads = rc ? a->cfg.threads : (unsigned int)v;
	}
	else if (!strcmp(opt, "--sample"))
		rc = real(opt, arg, 0, 1, &a->cfg.sample_fraction), a->sample_given = true;
	else if (!strcmp(opt, "--sample-pages"))
		rc = number(opt, arg, 1, UINT64_MAX, &a->cfg.sample_pages), a->sample_given = true;
	else if (!strcmp(opt, "--seed"))
		rc = number(opt, arg, 0, UINT64_MAX, &a->cfg.seed);
	else
		return -1;
	return rc;
}

/* The options that take a value. */
static const char *const with_value[] = {
	"--pid", "--cgroup", "--core", "--raw", "--plot", "--save-sizes", "--csv", "-o",
	"--mapping", "--delay", "--duration", "--every", "--compressor", "--zpool", "--threads",
	"--sample", "--sample-pages", "--seed",
};

static int option(int argc, char **argv, int *i, struct est_args *a)
{
	const char *opt = argv[*i];
	bool *set = flag(a, opt), takes = false;
	int rc;

	if (set) {
		*set = true;
		return 0;
	}
	for (const struct est_format *f = est_formats + 1; f->print; f++) {
		if (strcmp(opt, f->option))
			continue;
		if (a->format != est_formats && a->format != f) {
			fprintf(stderr, "zbud estimate: %s or %s, not both\n", a->format->option,
				f->option);
			return 2;
		}
		a->format = f;
		return 0;
	}
	for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
		takes |= !strcmp(opt, with_value[k]);
	if (!takes)
		return bad("unknown option '%s' (try --help)", opt);
	if (*i + 1 == argc)
		return bad("%s needs a value", opt);
	rc = valued(a, opt, argv[++*i]);
	return rc < 0 ? bad("unknown option '%s' (try --help)", opt) : rc;
}

/* The options together: 0, or the exit status after one line. */
static int together(const struct est_args *a)
{
	const bool procs = a->npids || a->ncgroups, files = a->core || a->raw;

	if (procs + !!a->core + !!a->raw + !!a->cmd > 1)
		return say("one target at most: --pid and --cgroup, --core, --raw or -- CMD");
	if (a->cfg.sample_fraction > 0 && a->cfg.sample_pages)
		return say("--sample or --sample-pages, not both");
	if (a->delay > 0 && !(a->once && !procs && !files))
		return say("--delay is for --once with a command");
	if (a->sel.mapping && files)
		return say("--mapping is for processes, not files");
	if (files && (a->follow || a->every > 0 || a->duration > 0 || a->csv))
		return say("--follow, --every, --duration and --csv are for processes, not files");
	if (a->duration > 0 && !procs)
		return say("--duration is for --pid and --cgroup: a command is followed to its end");
	if (a->once && (a->every > 0 || a->duration > 0 || a->csv))
		return say("--every, --duration and --csv follow over time: not with --once");
	if (a->follow && a->ncgroups && !a->npids)
		return say("--follow is for a command or --pid: a cgroup holds its processes");
	if (a->plot && !cli_png_name(a->plot))
		return bad("--plot writes a PNG, not what '%s' names: name it FILE.png", a->plot);
#ifndef ZBUD_PLPLOT
	if (a->plot)
		return say("--plot needs PLplot, and this zbud was built without it "
				 "(install libplplot-dev and rebuild)");
#endif
	return 0;
}

int est_parse(int argc, char **argv, struct est_args *a)
{
	int rc;

	defaults(a);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--")) {
			if (i + 1 == argc)
				return say("-- needs a command after it");
			a->cmd = &argv[i + 1];
			break;
		}
		rc = option(argc, argv, &i, a);
		if (rc)
			return rc;
	}
	rc = together(a);
	return rc ? rc : -1;
}
