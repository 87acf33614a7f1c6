/* Linked into everything a sanitizer build makes. ASan reads ASAN_OPTIONS from /proc/self/environ,
 * which a process cannot read once its real and effective uids differ (the tool run by tests with
 * setpriv --ruid/--euid, a setuid test program): there these defaults apply. Leak checks are off by
 * default because they cannot work in such processes, nor under strace; tests/hardening's leak tests
 * turn them on with ASAN_OPTIONS=detect_leaks=1 where they can. */
const char* __asan_default_options(void);
__attribute__((visibility("default"))) const char* __asan_default_options(void) { return "detect_leaks=0"; }
