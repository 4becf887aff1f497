/**
 * What an Engine request carries stays in its body: no value of a create body reaches a request URL.
 *
 * docker-modem (5.x, `Modem.prototype.dial`) sends a POST's options as its JSON body and, when the request path
 * ends in `?`, ALSO as its query string — every key, objects as JSON (`buildQuerystring`). dockerode's create
 * calls have such paths (`/containers/create?`, `/volumes/create?`, `/networks/create?`), so a container's `Env`
 * and labels, a volume's driver options (a CIFS password) and labels would be in the URL, where proxies, access
 * logs and the daemon's debug log ("Calling POST /v1.41/containers/create?…") record them. The modem takes
 * `_query` and `_body` when given: this guard gives them, for those paths, before the modem sees the options —
 * the query holds only the parameters the Engine API defines there (`name`, `platform` for a container create).
 */

/** Paths whose options are a JSON body, and the query parameters the Engine API defines for each. */
const BODY_PATHS: readonly (readonly [RegExp, readonly string[]])[] = [
  [/^\/containers\/create\?$/, ['name', 'platform']],
  [/^\/volumes\/create\?$/, []],
  [/^\/networks\/create\?$/, []],
];

/** The part of docker-modem's dial options the guard reads and rewrites. */
export interface DialOptions {
  method?: string;
  path?: string;
  options?: Record<string, unknown>;
}

/** The query parameters of `path` when its options are a body (undefined: a path the guard leaves alone). */
export function queryParamsOf(path: string | undefined): readonly string[] | undefined {
  return BODY_PATHS.find(([re]) => re.test(path ?? ''))?.[1];
}

/**
 * The dial options with a body path's options split into `_query` and `_body`; any other request as it is. The
 * abort signal is left out of both: dockerode gives it to the modem beside the options as well.
 */
export function splitBody(options: DialOptions): DialOptions {
  const params = queryParamsOf(options.path);
  const opts = options.options;
  if (!params || !opts || '_body' in opts || '_query' in opts) return options;
  const query: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) {
    // dockerode passes the signal and credentials beside the options too (options.abortSignal, a header).
    if (key === 'abortSignal' || key === 'authconfig') continue;
    if (params.includes(key)) query[key] = value;
    else body[key] = value;
  }
  return { ...options, options: { _query: query, _body: body } };
}
