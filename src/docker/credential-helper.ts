/**
 * Runs a Docker credential helper as the docker CLI does: `docker-credential-NAME get`, the server URL on stdin,
 * `{"ServerURL","Username","Secret"}` on stdout (Username `<token>`: Secret is an identity token). argv only, never
 * a shell; NAME is a plain word (checked when config.json is read, and again here). Its stdout holds a secret, so no
 * message ever echoes it; a failure says which helper, for which registry, and how it failed. Time-limited.
 */
import { execFile } from 'node:child_process';
import { HELPER_NAME } from '../stack/docker-config.js';

export const HELPER_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 64 * 1024;

export type HelperAnswer = { found: true; username: string; secret: string } | { found: false };

/** A helper failed: what to say (never its output). */
export class CredentialHelperError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'CredentialHelperError';
  }
}

/** Asks `docker-credential-<helper>` for `serverUrl`'s credentials, with the operator's environment (PATH). */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  registry: string,
  env: Record<string, string | undefined>,
): Promise<HelperAnswer> {
  const program = `docker-credential-${helper}`;
  const fail = (why: string, hint = `try it by hand: echo ${serverUrl} | ${program} get`) =>
    new CredentialHelperError(`registry ${registry}: credential helper ${program} ${why}`, hint);
  if (!HELPER_NAME.test(helper)) return Promise.reject(fail('has a name that is not a plain word'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      ['get'],
      { env, timeout: HELPER_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8', windowsHide: true },
      (err, stdout) => {
        if (!err) return answered(stdout, fail, resolve, reject);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: unknown };
        if (e.code === 'ENOENT')
          return reject(
            fail(
              'is not installed (not found on PATH)',
              `install ${program}, or remove it from the Docker config file`,
            ),
          );
        if (e.killed || e.signal)
          return reject(fail(`did not answer within ${HELPER_TIMEOUT_MS / 1000} s or was stopped`));
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(fail('wrote more than 64 KiB'));
        // The docker CLI's rule: this text on stdout means "no credentials", not a failure.
        if (stdout.includes('credentials not found')) return resolve({ found: false });
        reject(fail(`failed (exit code ${typeof e.code === 'number' ? e.code : 'unknown'})`));
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverUrl);
  });
}

function answered(
  stdout: string,
  fail: (why: string) => CredentialHelperError,
  resolve: (answer: HelperAnswer) => void,
  reject: (err: unknown) => void,
): void {
  try {
    resolve(parseAnswer(stdout, fail));
  } catch (err) {
    reject(err);
  }
}

function parseAnswer(stdout: string, fail: (why: string) => CredentialHelperError): HelperAnswer {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw fail('did not answer with JSON ({"ServerURL", "Username", "Secret"})');
  }
  const answer = raw as { Username?: unknown; Secret?: unknown };
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof answer.Username !== 'string' ||
    typeof answer.Secret !== 'string'
  )
    throw fail('answered without a string Username and Secret');
  return { found: true, username: answer.Username, secret: answer.Secret };
}
