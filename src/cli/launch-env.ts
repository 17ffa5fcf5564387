/**
 * Puts back, for the processes rekey starts (generators, plugins, git), the environment that
 * bin/rekey.js's "#!" line changed for this one (bin.ts imports this first):
 * - NODE_EXTRA_CA_CERTS is emptied for rekey's own process: Node parses that certificate
 *   bundle as it starts, before any script runs (~50 ms for the 144 certificates of a system
 *   bundle), and rekey opens no TLS connection. The line passes the caller's value as RK_CA.
 * - MALLOC_MMAP_THRESHOLD_ tunes glibc's malloc for a long apply (see bin/rekey.js); the
 *   processes rekey starts get glibc's default.
 */

/** Undoes the "#!" line's changes in `env`; an environment it did not set is left alone. */
export function restoreLaunchEnv(env: NodeJS.ProcessEnv): void {
  if (!("RK_CA" in env)) return;
  const ca = env.RK_CA;
  delete env.RK_CA;
  if (ca !== undefined && ca !== "") env.NODE_EXTRA_CA_CERTS = ca;
  else delete env.NODE_EXTRA_CA_CERTS;
  delete env.MALLOC_MMAP_THRESHOLD_;
}

restoreLaunchEnv(process.env);
