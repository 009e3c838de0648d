// Package reliability holds cross-cutting tests that prove llmrouter's
// reliability and security claims end to end: SIGKILL crash-and-resume of
// the oracle and train commands run as subprocesses, upstream fault sweeps,
// soak runs and scans of logs and written files for secrets. It has no
// production code; everything lives in its _test.go files.
package reliability
