/*
 * Seccomp profiles named by definitions: Docker's format checked key by
 * key, allow-all refused, and where a profile may be read from (names and
 * paths inside seccomp_dir only, no link followed, no FIFO opened for
 * reading, nothing outside the directory looked at).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "profile.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL)
		fail_msg("%s: cannot open (run from the top directory)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	return p;
}

static void
good(const char *json)
{
	char err[600];

	if (profile_check(json, 0, err, sizeof(err)) != 0)
		fail_msg("refused %s: %s", json, err);
}

/* Refused, with want in the message. */
static void
bad(const char *json, const char *want)
{
	char err[600];

	if (profile_check(json, 0, err, sizeof(err)) != -1)
		fail_msg("accepted %s", json);
	if (strstr(err, want) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", json, err, want);
}

/* A profile in Docker's format using every key a rule may have. */
static void
test_docker_format_accepted(void **state)
{
	char *p = slurp("tests/data/seccomp-docker-format.json");

	good(p);
	free(p);
	/* Our own container's profile, generated from policy/. */
	p = slurp("policy/container-seccomp.json");
	good(p);
	free(p);
	good("{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\"}");
	good("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": null, "
	     "\"architectures\": [\"SCMP_ARCH_X86_64\"], \"flags\": "
	     "[\"SECCOMP_FILTER_FLAG_LOG\"], \"listenerPath\": \"\", "
	     "\"listenerMetadata\": \"\"}");
	/* Allow by default with one rule that kills: restricts something. */
	good("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	     "[{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
}

static void
test_empty_and_not_objects(void **state)
{
	bad("{}", "defaultAction: is missing");
	bad("[]", "is not a JSON object");
	bad("\"SCMP_ACT_ERRNO\"", "is not a JSON object");
	bad("{\"defaultAction\": ", "is not JSON");
	bad("", "is not JSON");
}

static void
test_unknown_keys(void **state)
{
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscall\": []}",
	    "syscall: unknown key; did you mean syscalls?");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"whatever\": 1}",
	    "whatever: unknown key; expected a key of Docker's");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"arg\": []}]}",
	    "syscalls[0].arg: unknown key; did you mean args?");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"args\": [{\"index\": 0, \"value\": 1, \"op\": "
	    "\"SCMP_CMP_EQ\", \"valu2\": 0}]}]}",
	    "syscalls[0].args[0].valu2: unknown key");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"includes\": {\"kernel\": \"4.8\"}}]}",
	    "syscalls[0].includes.kernel: unknown key");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": "
	    "[{\"arch\": \"SCMP_ARCH_X86_64\"}]}",
	    "archMap[0].arch: unknown key");
}

static void
test_allow_all_refused(void **state)
{
	char err[600];
	const char *all = "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}";
	const char *rules =
	    "{\"defaultAction\": \"SCMP_ACT_LOG\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}, "
	    "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_LOG\"}]}";

	bad(all, "allows every system call");
	bad("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": []}",
	    "seccomp_allow_permissive");
	bad(rules, "allows every system call");
	/* Unless the setting says so. */
	assert_int_equal(profile_check(all, 1, err, sizeof(err)), 0);
	assert_int_equal(profile_check(rules, 1, err, sizeof(err)), 0);
}

static void
test_bad_actions_and_ops(void **state)
{
	bad("{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
	    "defaultAction: \"SCMP_ACT_NOPE\" is not a seccomp action");
	bad("{\"defaultAction\": \"allow\"}", "expected one of SCMP_ACT_KILL");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_PERMIT\"}]}",
	    "syscalls[0].action: \"SCMP_ACT_PERMIT\" is not a seccomp action");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"]}]}",
	    "syscalls[0].action: is missing");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"args\": [{\"index\": 0, \"value\": 1, \"op\": "
	    "\"SCMP_CMP_ALMOST\"}]}]}",
	    "syscalls[0].args[0].op: \"SCMP_CMP_ALMOST\" is not a comparison");
}

static void
test_wrong_types(void **state)
{
	bad("{\"defaultAction\": 1}",
	    "defaultAction: is missing or not a "
	    "string");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
	    "syscalls: is not an array");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [1]}",
	    "syscalls[0]: is not an object");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}]}",
	    "syscalls[0].names: is not an array");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\", 7], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	    "syscalls[0].names[1]: is not valid");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"Read;\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	    "syscalls[0].names[0]: is not valid");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	    "syscalls[0]: names no system call");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"action\": \"SCMP_ACT_ALLOW\"}]}",
	    "names no system call");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": "
	    "\"1\"}",
	    "defaultErrnoRet: is not a whole number");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": "
	    "1.5}",
	    "defaultErrnoRet: is not a whole number");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"args\": [{\"index\": 6, \"value\": 1, \"op\": "
	    "\"SCMP_CMP_EQ\"}]}]}",
	    "syscalls[0].args[0].index: is not a whole number from 0 to 5");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"args\": [{\"index\": 0, \"value\": -1, \"op\": "
	    "\"SCMP_CMP_EQ\"}]}]}",
	    "syscalls[0].args[0].value: is not a whole number");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"comment\": 3}]}",
	    "syscalls[0].comment: is not a string");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"includes\": {\"minKernel\": \"four\"}}]}",
	    "syscalls[0].includes.minKernel: is not a kernel version");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
	    "[\"x86_64\"]}",
	    "architectures[0]: is not valid; expected architecture names");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": "
	    "[\"--privileged\"]}",
	    "flags[0]: is not valid");
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"listenerPath\": 1}",
	    "listenerPath: is not a string");
}

static void
test_nesting_and_size(void **state)
{
	char deep[2 * MAX_JSON_DEPTH + 64];
	size_t k = 0;
	char *big;

	k += (size_t)snprintf(deep, sizeof(deep), "{\"defaultAction\": ");
	for (int i = 0; i < MAX_JSON_DEPTH + 1; i++)
		deep[k++] = '[';
	for (int i = 0; i < MAX_JSON_DEPTH + 1; i++)
		deep[k++] = ']';
	deep[k++] = '}';
	deep[k] = '\0';
	bad(deep, "nested at most");
	/* Nested deep enough for the format, but where a string belongs. */
	bad("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
	    "[{\"names\": [[\"read\"]], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	    "syscalls[0].names[0]: is not valid");
	big = malloc(MAX_SECCOMP_PROFILE_SIZE + 64);
	assert_non_null(big);
	memset(big, ' ', MAX_SECCOMP_PROFILE_SIZE + 63);
	memcpy(big, "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}", 35);
	big[MAX_SECCOMP_PROFILE_SIZE + 63] = '\0';
	bad(big, "bytes; expected at most 131072");
	free(big);
}

/* --- where profiles come from -------------------------------------------- */

static char dir[] = "/tmp/test_profile.XXXXXX";
static char outside[] = "/tmp/test_profile_out.XXXXXX";

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	char p[512];

	if (mkdtemp(dir) == NULL || mkdtemp(outside) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/strict.json", dir);
	put(p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}", 0600);
	snprintf(p, sizeof(p), "%s/sub", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sub/deep.json", dir);
	put(p, "{\"defaultAction\": \"SCMP_ACT_KILL\"}", 0644);
	snprintf(p, sizeof(p), "%s/secret.json", outside);
	put(p, "{\"secret\": 1}", 0600);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, outside);
	return system(cmd) == 0 ? 0 : -1;
}

/* profile_read()'s result: 0, or the errno of -1. */
static int
read_ref(const char *ref, char *out, size_t outlen)
{
	struct buf b;
	int rc, err;

	buf_init(&b, MAX_SECCOMP_PROFILE_SIZE);
	rc = profile_read(dir, ref, &b);
	err = errno;
	if (out != NULL)
		snprintf(out, outlen, "%s", rc == 0 ? buf_cstr(&b) : "");
	buf_free(&b);
	return rc == 0 ? 0 : err;
}

static void
test_read_by_name_and_path_inside(void **state)
{
	char got[128], ref[512];

	assert_int_equal(read_ref("strict", got, sizeof(got)), 0);
	assert_string_equal(got, "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}");
	snprintf(ref, sizeof(ref), "%s/strict.json", dir);
	assert_int_equal(read_ref(ref, got, sizeof(got)), 0);
	snprintf(ref, sizeof(ref), "%s//sub/deep.json", dir);
	assert_int_equal(read_ref(ref, got, sizeof(got)), 0);
	assert_string_equal(got, "{\"defaultAction\": \"SCMP_ACT_KILL\"}");
	assert_int_equal(read_ref("missing", NULL, 0), ENOENT);
}

/* Outside the directory: the same answer whether the file exists or not,
 * decided before anything is opened. */
static void
test_outside_refused_alike(void **state)
{
	char ref[512];
	const char *refs[] = { "/etc/shadow", "/nonexistent/p.json",
		"/etc/dockerup/seccomp/../../shadow", "relative/p.json",
		".hidden", "", "strict.json/", NULL };

	for (size_t i = 0; refs[i] != NULL; i++)
		if (read_ref(refs[i], NULL, 0) != EXDEV)
			fail_msg("%s: not refused with EXDEV", refs[i]);
	snprintf(ref, sizeof(ref), "%s/secret.json", outside);
	assert_int_equal(read_ref(ref, NULL, 0), EXDEV);
	/* A sibling whose name starts like the directory's. */
	snprintf(ref, sizeof(ref), "%s-x/strict.json", dir);
	assert_int_equal(read_ref(ref, NULL, 0), EXDEV);
	snprintf(ref, sizeof(ref), "%s/sub/../strict.json", dir);
	assert_int_equal(read_ref(ref, NULL, 0), EXDEV);
	snprintf(ref, sizeof(ref), "%s/./strict.json", dir);
	assert_int_equal(read_ref(ref, NULL, 0), EXDEV);
	snprintf(ref, sizeof(ref), "%s", dir);
	assert_int_equal(read_ref(ref, NULL, 0), EXDEV);
}

static void
test_links_fifos_and_modes(void **state)
{
	char p[512], t[512], ref[512];

	/* A link to a file outside, and a link to a directory outside. */
	snprintf(p, sizeof(p), "%s/evil.json", dir);
	snprintf(t, sizeof(t), "%s/secret.json", outside);
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(read_ref("evil", NULL, 0), ELOOP);
	snprintf(p, sizeof(p), "%s/out", dir);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(ref, sizeof(ref), "%s/out/secret.json", dir);
	assert_int_equal(read_ref(ref, NULL, 0), ELOOP);
	/* Even a link to a good profile inside. */
	snprintf(p, sizeof(p), "%s/alias.json", dir);
	assert_int_equal(symlink("strict.json", p), 0);
	assert_int_equal(read_ref("alias", NULL, 0), ELOOP);
	/* A FIFO nobody writes to: refused at once, not waited on. */
	snprintf(p, sizeof(p), "%s/fifo.json", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(read_ref("fifo", NULL, 0), EINVAL);
	snprintf(p, sizeof(p), "%s/sub.json", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(read_ref("sub", NULL, 0), EINVAL);
	/* Writable by others: not root's alone. */
	snprintf(p, sizeof(p), "%s/open.json", dir);
	put(p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}", 0666);
	assert_int_equal(read_ref("open", NULL, 0), EPERM);
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(chmod(p, 0777), 0);
	snprintf(ref, sizeof(ref), "%s/sub/deep.json", dir);
	assert_int_equal(read_ref(ref, NULL, 0), EPERM);
	assert_int_equal(chmod(p, 0755), 0);
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(read_ref("strict", NULL, 0), EPERM);
	assert_int_equal(chmod(dir, 0700), 0);
}

static void
test_too_large(void **state)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/big.json", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	for (int i = 0; i < MAX_SECCOMP_PROFILE_SIZE + 1; i++)
		fputc(' ', f);
	fclose(f);
	assert_int_equal(read_ref("big", NULL, 0), EFBIG);
}

static void
test_error_texts(void **state)
{
	char m[400];

	profile_read_error(EXDEV, m, sizeof(m));
	assert_non_null(strstr(m, "expected seccomp=NAME"));
	profile_read_error(ELOOP, m, sizeof(m));
	assert_non_null(strstr(m, "symbolic link"));
	profile_read_error(EFBIG, m, sizeof(m));
	assert_non_null(strstr(m, "larger than 131072 bytes"));
	profile_read_error(ENOENT, m, sizeof(m));
	assert_non_null(strstr(m, "No such file"));
}

static void
test_names(void **state)
{
	assert_true(profile_name_valid("strict"));
	assert_true(profile_name_valid("web-1.v2_x"));
	assert_false(profile_name_valid(".strict"));
	assert_false(profile_name_valid("a/b"));
	assert_false(profile_name_valid("/etc/shadow"));
	assert_false(profile_name_valid(""));
	assert_false(profile_name_valid("a b"));
	assert_false(profile_name_valid(".."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_format_accepted),
		cmocka_unit_test(test_empty_and_not_objects),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_allow_all_refused),
		cmocka_unit_test(test_bad_actions_and_ops),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_nesting_and_size),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_error_texts),
		cmocka_unit_test(test_read_by_name_and_path_inside),
		cmocka_unit_test(test_outside_refused_alike),
		cmocka_unit_test(test_links_fifos_and_modes),
		cmocka_unit_test(test_too_large),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
