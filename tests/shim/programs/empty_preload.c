/* A preloaded library that does nothing: what the dynamic loader's work for one library costs,
 * the reference for the shim in a process that makes no TCP connection. */
int tcpkeep_test_empty_preload(void) { return 0; }
