/*
 * Sandbox tests (run as root): each filter allows what its process does
 * and kills it with SIGSYS on anything else; the trap mode names the call;
 * dropping to nobody cannot be undone; capability sets, no_new_privs and
 * the seccomp mode show in /proc/PID/status.  Every case runs in a forked
 * child, since none of this can be undone.  A child that must outlive
 * exec (the parent's filter is inherited) re-executes this binary with
 * --sandbox-child ROLE ..., as dockerup re-executes itself.
 * "test_sandbox --sandbox-child parent fetcher URL DIR" and "... parent
 * engine SOCKET FILE" run that chain by hand (in a container, say).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <seccomp.h>

#include "curlso.h"
#include "log.h"
#include "sandbox.h"

#define OUT_MAX 8192

struct child_result {
	int status;
	char out[OUT_MAX]; /* what the child wrote to stderr */
};

/* In a child: report and exit 1 (cmocka's asserts belong to the parent). */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			dprintf(2, "CHECK FAILED %s:%d: %s (errno %d)\n",      \
			    __FILE__, __LINE__, #cond, errno);                 \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static const enum sandbox_proc all_procs[] = {
	SANDBOX_PARENT,
	SANDBOX_FETCHER,
	SANDBOX_ENGINE,
};

static char tmpdir[64];
static uid_t nobody_uid;
static gid_t nobody_gid;

/* Runs fn(arg) in a child with stderr captured; waits for it. */
static void
run_child(void (*fn)(const void *), const void *arg, struct child_result *r)
{
	int fds[2];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], r->out + len, sizeof(r->out) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
}

static void
expect_exit0(const struct child_result *r)
{
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
		print_error(
		    "child status %#x, stderr:\n%s\n", r->status, r->out);
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 0);
}

/*
 * Killed by the filter: terminated by SIGSYS (a shell reports 128 + 31 =
 * 159, as libseccomp's live tests expect), not an exit or another signal.
 */
static void
expect_sigsys(const struct child_result *r)
{
	if (!WIFSIGNALED(r->status) || WTERMSIG(r->status) != SIGSYS)
		print_error(
		    "child status %#x, stderr:\n%s\n", r->status, r->out);
	assert_true(WIFSIGNALED(r->status));
	assert_int_equal(WTERMSIG(r->status), SIGSYS);
}

static void
load(enum sandbox_proc p, enum seccomp_mode mode)
{
	sandbox_seccomp(p, mode);
}

/* --- every filter: allowed calls work, a forbidden one kills ---------- */

static void
child_allowed(const void *arg)
{
	const enum sandbox_proc *p = arg;
	struct sandbox_status st;
	char buf[16];
	int fd;

	load(*p, SECCOMP_ON);
	CHECK(getpid() > 0);
	CHECK(write(STDERR_FILENO, "alive\n", 6) == 6);
	CHECK((fd = open("/proc/self/status", O_RDONLY)) >= 0);
	CHECK(read(fd, buf, sizeof(buf)) > 0);
	CHECK(close(fd) == 0);
	CHECK(sandbox_read_status(0, &st) == 0);
	CHECK(st.seccomp == 2);
	CHECK(st.no_new_privs == 1);
}

static void
child_ptrace(const void *arg)
{
	const enum sandbox_proc *p = arg;

	load(*p, SECCOMP_ON);
	syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 0, NULL, NULL);
	dprintf(2, "ptrace returned\n");
}

static void
child_mount(const void *arg)
{
	const enum sandbox_proc *p = arg;

	load(*p, SECCOMP_ON);
	syscall(SYS_mount, NULL, NULL, NULL, 0UL, NULL);
	dprintf(2, "mount returned\n");
}

static void
test_filters_allow_and_kill(void **state)
{
	struct child_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all_procs) / sizeof(all_procs[0]); i++) {
		run_child(child_allowed, &all_procs[i], &r);
		expect_exit0(&r);
		assert_non_null(strstr(r.out, "alive"));
		run_child(child_ptrace, &all_procs[i], &r);
		expect_sigsys(&r);
		assert_null(strstr(r.out, "ptrace returned"));
		run_child(child_mount, &all_procs[i], &r);
		expect_sigsys(&r);
	}
}

/* --- argument-checked rules ------------------------------------------- */

static void *
thread_main(void *arg)
{
	return arg;
}

static void
child_threads(const void *arg)
{
	const enum sandbox_proc *p = arg;
	static int token;
	pthread_t t;
	void *ret = NULL;

	load(*p, SECCOMP_ON);
	/* glibc tries clone3 (refused with ENOSYS), then clone(CLONE_THREAD).
	 */
	CHECK(pthread_create(&t, NULL, thread_main, &token) == 0);
	CHECK(pthread_join(t, &ret) == 0);
	CHECK(ret == &token);
}

static void
child_fork(const void *arg)
{
	const enum sandbox_proc *p = arg;
	pid_t pid;

	load(*p, SECCOMP_ON);
	pid = fork();
	if (pid == 0)
		_exit(0);
	dprintf(2, "fork returned %d\n", (int)pid);
}

static void
child_sockets(const void *arg)
{
	const enum sandbox_proc *p = arg;
	int fd, sv[2];

	load(*p, SECCOMP_ON);
	CHECK((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	close(fd);
	CHECK((fd = socket(AF_INET6, SOCK_DGRAM, 0)) >= 0 ||
	    errno == EAFNOSUPPORT);
	if (fd >= 0)
		close(fd);
	CHECK((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	close(fd);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	/* A netlink socket is not in any policy. */
	socket(AF_NETLINK, SOCK_RAW, 0);
	dprintf(2, "netlink socket returned\n");
}

static void
child_abort(const void *arg)
{
	const enum sandbox_proc *p = arg;

	load(*p, SECCOMP_ON);
	abort();
}

static void
child_raise_other(const void *arg)
{
	const enum sandbox_proc *p = arg;

	load(*p, SECCOMP_ON);
	/* tgkill of another process: only the own pid is allowed. */
	syscall(SYS_tgkill, getppid(), getppid(), 0);
	dprintf(2, "tgkill of another process returned\n");
}

static void
test_children_threads_not_fork(void **state)
{
	static const enum sandbox_proc children[] = {
		SANDBOX_FETCHER,
		SANDBOX_ENGINE,
	};
	struct child_result r;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		run_child(child_threads, &children[i], &r);
		expect_exit0(&r);
		run_child(child_fork, &children[i], &r);
		expect_sigsys(&r);
		run_child(child_sockets, &children[i], &r);
		expect_sigsys(&r);
		assert_null(strstr(r.out, "netlink socket returned"));
		/* abort() still dies of SIGABRT, not of the filter. */
		run_child(child_abort, &children[i], &r);
		assert_true(WIFSIGNALED(r.status));
		assert_int_equal(WTERMSIG(r.status), SIGABRT);
		run_child(child_raise_other, &children[i], &r);
		expect_sigsys(&r);
	}
}

static void
child_engine_open(const void *arg)
{
	const char *path = arg;
	char buf[8];
	int fd;

	load(SANDBOX_ENGINE, SECCOMP_ON);
	CHECK((fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC)) >= 0);
	CHECK(read(fd, buf, sizeof(buf)) >= 0);
	close(fd);
	/* The engine writes no file. */
	open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dprintf(2, "open for writing returned\n");
}

static void
child_engine_exec(const void *arg)
{
	char *const argv[] = { "true", NULL };

	(void)arg;
	load(SANDBOX_ENGINE, SECCOMP_ON);
	execv("/bin/true", argv);
	dprintf(2, "execv returned\n");
}

static void
test_engine_read_only_no_exec(void **state)
{
	struct child_result r;
	char path[128];
	struct stat sb;

	(void)state;
	snprintf(path, sizeof(path), "%s/engine-wrote", tmpdir);
	run_child(child_engine_open, path, &r);
	expect_sigsys(&r);
	assert_int_equal(stat(path, &sb), -1);
	run_child(child_engine_exec, NULL, &r);
	expect_sigsys(&r);
}

static void
child_parent_supervises(const void *arg)
{
	int status, fds[2];
	char c;
	pid_t pid;

	(void)arg;
	CHECK(pipe(fds) == 0);
	load(SANDBOX_PARENT, SECCOMP_ON);
	pid = fork();
	CHECK(pid != -1);
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) == -1)
			_exit(1);
		_exit(0);
	}
	CHECK(kill(pid, 0) == 0);
	CHECK(kill(pid, SIGTERM) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

static void
child_parent_unshare(const void *arg)
{
	(void)arg;
	load(SANDBOX_PARENT, SECCOMP_ON);
	/* fork() with a namespace flag: the parent never makes one. */
	syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	dprintf(2, "clone(CLONE_NEWUSER) returned\n");
}

static void
child_parent_kill_other(const void *arg)
{
	(void)arg;
	load(SANDBOX_PARENT, SECCOMP_ON);
	/* Signals other than 0, HUP, TERM and KILL are not the parent's. */
	kill(getpid(), SIGUSR1);
	dprintf(2, "kill(SIGUSR1) returned\n");
}

static void
test_parent_forks_no_namespaces(void **state)
{
	struct child_result r;

	(void)state;
	run_child(child_parent_supervises, NULL, &r);
	expect_exit0(&r);
	run_child(child_parent_unshare, NULL, &r);
	expect_sigsys(&r);
	run_child(child_parent_kill_other, NULL, &r);
	expect_sigsys(&r);
}

/* --- trap and off modes ----------------------------------------------- */

static void
child_trap(const void *arg)
{
	const enum sandbox_proc *p = arg;

	load(*p, SECCOMP_TRAP);
	syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 0, NULL, NULL);
	dprintf(2, "ptrace returned\n");
}

static void
test_trap_names_the_call(void **state)
{
	struct child_result r;
	char want[128];
	size_t i;

	(void)state;
	snprintf(want, sizeof(want), "seccomp: forbidden syscall ptrace (%d)",
	    seccomp_syscall_resolve_name("ptrace"));
	for (i = 0; i < sizeof(all_procs) / sizeof(all_procs[0]); i++) {
		run_child(child_trap, &all_procs[i], &r);
		expect_sigsys(&r);
		if (strstr(r.out, want) == NULL)
			print_error("wanted \"%s\" in:\n%s\n", want, r.out);
		assert_non_null(strstr(r.out, want));
		assert_non_null(strstr(r.out, sandbox_proc_name(all_procs[i])));
		assert_null(strstr(r.out, "ptrace returned"));
	}
}

static void
child_off(const void *arg)
{
	struct sandbox_status before, after;

	(void)arg;
	CHECK(sandbox_read_status(0, &before) == 0);
	load(SANDBOX_FETCHER, SECCOMP_OFF);
	/* Alive after a call no policy allows (it fails: no process 0). */
	CHECK(
	    syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 0, NULL, NULL) == -1);
	CHECK(sandbox_read_status(0, &after) == 0);
	CHECK(after.seccomp == before.seccomp);
	CHECK(after.no_new_privs == before.no_new_privs);
}

static void
test_off_warns_and_loads_nothing(void **state)
{
	struct child_result r;

	(void)state;
	run_child(child_off, NULL, &r);
	expect_exit0(&r);
	assert_non_null(strstr(r.out, "WITHOUT its seccomp filter"));
}

/* --- identity and capabilities ---------------------------------------- */

static void
child_drop(const void *arg)
{
	struct sandbox_status st;

	(void)arg;
	sandbox_drop_to_user("nobody");
	sandbox_caps_clear_all();
	CHECK(getuid() == nobody_uid && geteuid() == nobody_uid);
	CHECK(getgid() == nobody_gid && getegid() == nobody_gid);
	CHECK(setuid(0) == -1 && errno == EPERM);
	CHECK(setresuid((uid_t)-1, 0, (uid_t)-1) == -1);
	CHECK(setgid(0) == -1);
	CHECK(sandbox_read_status(0, &st) == 0);
	CHECK(st.uid[0] == (long)nobody_uid && st.uid[2] == (long)nobody_uid);
	CHECK(st.cap_eff == 0 && st.cap_prm == 0 && st.cap_inh == 0);
	CHECK(st.cap_bnd == 0 && st.cap_amb == 0);
	sandbox_no_new_privs();
	load(SANDBOX_FETCHER, SECCOMP_ON);
	CHECK(sandbox_read_status(0, &st) == 0);
	CHECK(st.no_new_privs == 1 && st.seccomp == 2);
}

static void
child_unknown_user(const void *arg)
{
	(void)arg;
	sandbox_drop_to_user("no-such-user-dockerup-test");
}

static void
child_root_user(const void *arg)
{
	(void)arg;
	sandbox_drop_to_user("root");
}

static void
test_drop_to_nobody(void **state)
{
	struct child_result r;

	(void)state;
	run_child(child_drop, NULL, &r);
	expect_exit0(&r);
	run_child(child_unknown_user, NULL, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0);
	assert_non_null(strstr(r.out, "does not exist"));
	run_child(child_root_user, NULL, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0);
	assert_non_null(strstr(r.out, "not root"));
}

static void
child_engine_caps(const void *arg)
{
	const char *secret = arg;
	struct sandbox_status st;
	char buf[16];
	int fd;

	sandbox_caps_clear_all();
	CHECK(sandbox_read_status(0, &st) == 0);
	CHECK(st.uid[1] == 0);
	CHECK(st.cap_eff == 0 && st.cap_prm == 0 && st.cap_bnd == 0);
	/* uid 0 without capabilities still reads root's 0600 files... */
	CHECK((fd = open(secret, O_RDONLY)) >= 0);
	CHECK(read(fd, buf, sizeof(buf)) > 0);
	close(fd);
	/* ...but can no longer change its identity or override modes. */
	CHECK(setresuid(1, 1, 1) == -1 && errno == EPERM);
	CHECK(chown(secret, 1, 1) == -1 && errno == EPERM);
}

static const int parent_caps[] = {
	CAP_CHOWN,
	CAP_KILL,
	CAP_SETGID,
	CAP_SETUID,
	CAP_SETPCAP,
};

static void
child_keep(const void *arg)
{
	const char *closed = arg;
	struct sandbox_status st;
	uint64_t want = 0;
	size_t i;

	for (i = 0; i < sizeof(parent_caps) / sizeof(parent_caps[0]); i++)
		want |= UINT64_C(1) << parent_caps[i];
	sandbox_caps_keep(
	    parent_caps, sizeof(parent_caps) / sizeof(parent_caps[0]));
	CHECK(sandbox_read_status(0, &st) == 0);
	CHECK(st.cap_eff == want && st.cap_prm == want && st.cap_bnd == want);
	CHECK(st.cap_inh == 0 && st.cap_amb == 0);
	/* Without CAP_DAC_OVERRIDE a mode 0000 file is closed even to root. */
	CHECK(open(closed, O_RDONLY) == -1 && errno == EACCES);
}

static void
child_keep_missing(const void *arg)
{
	static const int one[] = { CAP_KILL };

	(void)arg;
	sandbox_caps_keep(one, 1);
	/* CAP_CHOWN is no longer there to keep. */
	sandbox_caps_keep(parent_caps, 2);
}

static void
test_caps(void **state)
{
	struct child_result r;
	char secret[128];
	int fd;

	(void)state;
	snprintf(secret, sizeof(secret), "%s/secret", tmpdir);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "password", 8), 8);
	close(fd);
	run_child(child_engine_caps, secret, &r);
	expect_exit0(&r);
	assert_int_equal(chmod(secret, 0), 0);
	run_child(child_keep, secret, &r);
	expect_exit0(&r);
	run_child(child_keep_missing, NULL, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0);
	assert_non_null(strstr(r.out, "CAP_CHOWN is missing"));
}

/* --- the whole chain: parent filter, exec, child's own filter ---------- */

static int
listen_tcp(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* Answers each connection with a fixed HTTP response, until killed. */
static pid_t
http_server(int lfd)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
				    "Connection: close\r\n\r\nOK";
	char req[4096];
	pid_t pid;
	int c;

	pid = fork();
	assert_true(pid != -1);
	if (pid != 0)
		return pid;
	/* Never outlive the test, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(60);
	for (;;) {
		if ((c = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		if (read(c, req, sizeof(req)) > 0 &&
		    write(c, reply, sizeof(reply) - 1) < 0)
			_exit(1);
		close(c);
	}
}

static size_t
curl_sink(char *p, size_t size, size_t n, void *arg)
{
	char *body = arg;
	size_t len = strlen(body);

	if (len + size * n < 64) {
		memcpy(body + len, p, size * n);
		body[len + size * n] = '\0';
	}
	return size * n;
}

/* An HTTP GET with libcurl, as the fetcher and the engine make them. */
static int
http_get(const char *url, const char *unix_path)
{
	char body[64] = "";
	CURLcode rc;
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (unix_path != NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_path);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		dprintf(2, "curl %s: %s\n", url, curl_easy_strerror(rc));
		return -1;
	}
	return strcmp(body, "OK") == 0 ? 0 : -1;
}

/* What a fetcher does: resolve, fetch, keep a last-good copy. */
static int
role_fetcher(int argc, char *argv[])
{
	struct addrinfo hints, *res = NULL;
	struct sandbox_status st;
	char path[256], tmp[256], err[256];
	pthread_t t;
	int fd;

	CHECK(argc == 5);
	/* libcurl is loaded before the filter, as the fetcher does */
	CHECK(curlso_load(err, sizeof(err)) == 0);
	sandbox_drop_to_user("nobody");
	sandbox_caps_clear_all();
	sandbox_no_new_privs();
	sandbox_seccomp(SANDBOX_FETCHER, SECCOMP_TRAP);
	sandbox_test_violation(SANDBOX_FETCHER);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	CHECK(getaddrinfo("localhost", "80", &hints, &res) == 0);
	freeaddrinfo(res);
	CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(http_get(argv[3], NULL) == 0);
	snprintf(path, sizeof(path), "%s/user-data", argv[4]);
	snprintf(tmp, sizeof(tmp), "%s/user-data.tmp", argv[4]);
	CHECK((fd = open(
		   tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0);
	CHECK(write(fd, "{}", 2) == 2 && fsync(fd) == 0 && close(fd) == 0);
	CHECK(rename(tmp, path) == 0);
	CHECK(unlink(path) == 0);
	CHECK(sandbox_read_status(0, &st) == 0);
	CHECK(st.uid[0] == (long)nobody_uid && st.cap_bnd == 0);
	CHECK(st.cap_eff == 0 && st.no_new_privs == 1 && st.seccomp == 2);
	curl_global_cleanup();
	return 0;
}

/* What an engine does: HTTP over a root-only unix socket, read files. */
static int
role_engine(int argc, char *argv[])
{
	struct sandbox_status st;
	char buf[16], err[256];
	int fd;

	CHECK(argc == 5);
	CHECK(curlso_load(err, sizeof(err)) == 0); /* as the engine does */
	sandbox_caps_clear_all();
	sandbox_no_new_privs();
	sandbox_seccomp(SANDBOX_ENGINE, SECCOMP_TRAP);
	sandbox_test_violation(SANDBOX_ENGINE);
	CHECK(http_get("http://localhost/_ping", argv[3]) == 0);
	CHECK((fd = open(argv[4], O_RDONLY | O_CLOEXEC)) >= 0);
	CHECK(read(fd, buf, sizeof(buf)) > 0 && close(fd) == 0);
	CHECK(sandbox_read_status(0, &st) == 0);
	CHECK(st.uid[1] == 0 && st.cap_eff == 0 && st.cap_bnd == 0);
	CHECK(st.no_new_privs == 1 && st.seccomp == 2);
	curl_global_cleanup();
	return 0;
}

/* Like dockerup's parent: keep its capabilities, filter, fork + exec. */
static void
child_parent_chain(const void *arg)
{
	char *const *argv = arg;
	int status;
	pid_t pid;

	sandbox_caps_keep(
	    parent_caps, sizeof(parent_caps) / sizeof(parent_caps[0]));
	sandbox_no_new_privs();
	load(SANDBOX_PARENT, SECCOMP_TRAP);
	pid = fork();
	CHECK(pid != -1);
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	if (WIFSIGNALED(status))
		dprintf(
		    2, "%s killed by signal %d\n", argv[2], WTERMSIG(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_chain_under_parent_filter(void **state)
{
	char url[64], sock[128], lastgood[128], secret[128];
	char *fetcher_argv[] = { "test_sandbox", "--sandbox-child", "fetcher",
		url, lastgood, NULL };
	char *engine_argv[] = { "test_sandbox", "--sandbox-child", "engine",
		sock, secret, NULL };
	struct child_result r;
	pid_t tcp_srv, unix_srv;
	int port, lfd, ufd, fd;

	(void)state;
	lfd = listen_tcp(&port);
	snprintf(
	    url, sizeof(url), "http://127.0.0.1:%d/latest/user-data", port);
	snprintf(sock, sizeof(sock), "%s/docker.sock", tmpdir);
	ufd = listen_unix(sock);
	tcp_srv = http_server(lfd);
	unix_srv = http_server(ufd);
	close(lfd);
	close(ufd);
	snprintf(lastgood, sizeof(lastgood), "%s/lastgood", tmpdir);
	assert_int_equal(mkdir(lastgood, 0700), 0);
	assert_int_equal(chown(lastgood, nobody_uid, nobody_gid), 0);
	snprintf(secret, sizeof(secret), "%s/engine-secret", tmpdir);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret", 6), 6);
	close(fd);

	run_child(child_parent_chain, fetcher_argv, &r);
	expect_exit0(&r);
	run_child(child_parent_chain, engine_argv, &r);
	expect_exit0(&r);

	kill(tcp_srv, SIGKILL);
	kill(unix_srv, SIGKILL);
	waitpid(tcp_srv, NULL, 0);
	waitpid(unix_srv, NULL, 0);
	rmdir(lastgood);
}

#ifdef DOCKERUP_TEST_HOOKS
static void
child_hook(const void *arg)
{
	const char *target = arg;

	setenv(SANDBOX_TEST_ENV, target, 1);
	load(SANDBOX_ENGINE, SECCOMP_ON);
	sandbox_test_violation(SANDBOX_ENGINE);
}

static void
test_hook_violation(void **state)
{
	struct child_result r;

	(void)state;
	run_child(child_hook, "engine", &r);
	expect_sigsys(&r);
	run_child(child_hook, "fetcher", &r);
	expect_exit0(&r);
}
#endif

/* --- setup ------------------------------------------------------------ */

static int
setup(void **state)
{
	struct passwd *pw;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sandbox.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* The re-executed fetcher runs as nobody and must get through. */
	if (chmod(tmpdir, 0755) == -1)
		return -1;
	if ((pw = getpwnam("nobody")) == NULL)
		return -1;
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Dropping privileges, filters as another uid: only root can test them. */
static void
skip_needs_root(void **state)
{
	print_message("needs root (setresuid, capabilities)\n");
	skip();
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters_allow_and_kill),
		cmocka_unit_test(test_children_threads_not_fork),
		cmocka_unit_test(test_engine_read_only_no_exec),
		cmocka_unit_test(test_parent_forks_no_namespaces),
		cmocka_unit_test(test_trap_names_the_call),
		cmocka_unit_test(test_off_warns_and_loads_nothing),
		cmocka_unit_test(test_drop_to_nobody),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_chain_under_parent_filter),
#ifdef DOCKERUP_TEST_HOOKS
		cmocka_unit_test(test_hook_violation),
#endif
	};
	struct passwd *pw;

	log_init("test_sandbox", 0);
	if (argc >= 3 && strcmp(argv[1], "--sandbox-child") == 0) {
		if ((pw = getpwnam("nobody")) != NULL) {
			nobody_uid = pw->pw_uid;
			nobody_gid = pw->pw_gid;
		}
		if (strcmp(argv[2], "fetcher") == 0)
			return role_fetcher(argc, argv);
		if (strcmp(argv[2], "engine") == 0)
			return role_engine(argc, argv);
		if (strcmp(argv[2], "parent") == 0 && argc == 6) {
			/* The chain by hand, e.g. in a container. */
			char *child_argv[] = { argv[0], argv[1], argv[3],
				argv[4], argv[5], NULL };

			child_parent_chain(child_argv);
			return 0;
		}
		return 2;
	}
	if (geteuid() != 0) {
		/* Every test, reported as skipped (not passed) by name. */
		struct CMUnitTest skipped[sizeof(tests) / sizeof(tests[0])];
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			skipped[i] = (struct CMUnitTest){ tests[i].name,
				skip_needs_root, NULL, NULL, NULL };
		return cmocka_run_group_tests(skipped, NULL, NULL);
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
