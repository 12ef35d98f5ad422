/*
 * export: build a seccomp filter with libseccomp the way runc does and write
 * libseccomp's raw BPF (struct sock_filter[]) to a file. seccompbench compiles
 * this at run time against the system's libseccomp; it is never committed as a
 * binary.
 *
 * usage: export RULES OUT OPTIMIZE
 *
 * OPTIMIZE is 0 (leave SCMP_FLTATR_CTL_OPTIMIZE at libseccomp's default) or 2
 * (binary tree, libseccomp >= 2.5; what runc sets for more than 32 rules).
 *
 * RULES has one directive per line; ACTION in C notation (0x...), A and B in
 * decimal:
 *   default ACTION            seccomp_init(ACTION); must come first
 *   arch NAME                 seccomp_arch_add(seccomp_arch_resolve_name(NAME))
 *   rule ACTION NAME N [ARG OP A B]*N
 *                             seccomp_rule_add_array; OP is NE LT LE EQ GE GT MASKED_EQ
 * ACTION is a raw SECCOMP_RET_* value (libseccomp's SCMP_ACT_* equal them).
 * A NAME libseccomp does not know is skipped and reported on stderr, as runc
 * skips it.
 *
 * stdout gets one line: "libseccomp MAJOR.MINOR.MICRO optimize LEVEL".
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
#define HAVE_OPTIMIZE 1
#endif

static int die(const char *what, const char *arg, int rc)
{
	fprintf(stderr, "export: %s %s: %s\n", what, arg ? arg : "", strerror(rc < 0 ? -rc : rc));
	exit(1);
}

static enum scmp_compare op_of(const char *s)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{"NE", SCMP_CMP_NE}, {"LT", SCMP_CMP_LT}, {"LE", SCMP_CMP_LE}, {"EQ", SCMP_CMP_EQ},
		{"GE", SCMP_CMP_GE}, {"GT", SCMP_CMP_GT}, {"MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0)
			return ops[i].op;
	fprintf(stderr, "export: unknown operator %s\n", s);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: export RULES OUT OPTIMIZE\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "r");
	if (in == NULL)
		die("open", argv[1], errno);
	int optimize = atoi(argv[3]);

	scmp_filter_ctx ctx = NULL;
	char word[64];
	while (fscanf(in, "%63s", word) == 1) {
		if (strcmp(word, "default") == 0) {
			unsigned long act;
			if (fscanf(in, "%li", (long *)&act) != 1)
				die("parse", "default", EINVAL);
			ctx = seccomp_init((uint32_t)act);
			if (ctx == NULL)
				die("seccomp_init", NULL, EINVAL);
			if (optimize != 0) {
#ifdef HAVE_OPTIMIZE
				int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize);
				if (rc < 0)
					die("seccomp_attr_set", "SCMP_FLTATR_CTL_OPTIMIZE", rc);
#else
				fprintf(stderr, "export: SCMP_FLTATR_CTL_OPTIMIZE needs libseccomp >= 2.5\n");
				return 3;
#endif
			}
			continue;
		}
		if (ctx == NULL)
			die("parse", "default must come first", EINVAL);
		if (strcmp(word, "arch") == 0) {
			char name[64];
			if (fscanf(in, "%63s", name) != 1)
				die("parse", "arch", EINVAL);
			uint32_t arch = seccomp_arch_resolve_name(name);
			if (arch == 0)
				die("unknown arch", name, EINVAL);
			int rc = seccomp_arch_add(ctx, arch);
			if (rc < 0 && rc != -EEXIST)
				die("seccomp_arch_add", name, rc);
			continue;
		}
		if (strcmp(word, "rule") != 0)
			die("unknown directive", word, EINVAL);
		unsigned long act;
		char name[64];
		unsigned n;
		if (fscanf(in, "%li %63s %u", (long *)&act, name, &n) != 3 || n > 6)
			die("parse", "rule", EINVAL);
		struct scmp_arg_cmp cmp[6];
		for (unsigned i = 0; i < n; i++) {
			char op[16];
			unsigned long long a, b;
			if (fscanf(in, "%u %15s %llu %llu", &cmp[i].arg, op, &a, &b) != 4)
				die("parse", name, EINVAL);
			cmp[i].op = op_of(op);
			cmp[i].datum_a = a;
			cmp[i].datum_b = b;
		}
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "export: skipping unknown syscall %s\n", name);
			continue;
		}
		int rc = seccomp_rule_add_array(ctx, (uint32_t)act, nr, n, cmp);
		if (rc < 0)
			die("seccomp_rule_add_array", name, rc);
	}
	fclose(in);
	if (ctx == NULL)
		die("parse", "no default action", EINVAL);

	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", argv[2], errno);
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		die("seccomp_export_bpf", argv[2], rc);
	if (close(fd) < 0)
		die("close", argv[2], errno);

	const struct scmp_version *v = seccomp_version();
	printf("libseccomp %u.%u.%u optimize %d\n", v->major, v->minor, v->micro, optimize);
	seccomp_release(ctx);
	return 0;
}
