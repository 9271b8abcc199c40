// Exit codes of the CLI (SPEC.md): 0 ok, 1 failure, 2 usage error, 3 verification failed.
export const EXIT = { ok: 0, failure: 1, usage: 2, verifyFailed: 3 } as const;
export const EXIT_VERIFY_FAILED = EXIT.verifyFailed;
