/** What normalising one stack needs to know, passed explicitly to every normaliser. */
import type { ProjectFolder } from '../bounded-file.js';
import type { KeyPath } from '../key-path.js';
import type { Lookup } from '../interpolate.js';
import type { Problems } from '../problems.js';
import type { SensitiveRule } from '../sensitive-names.js';
import type { BuildTarget } from '../types.js';

export interface NormaliseContext {
  problems: Problems;
  /** The inventory's registry and builder; absent: `build:` is refused. */
  build?: BuildTarget;
  stackName: string;
  /** Relative paths resolve against this folder (the first file's). */
  workingDir: string;
  /** The project folder: files the stack names (env_file, secrets, configs) are read only from inside it. */
  folder: ProjectFolder;
  /** How to print a file path in messages (relative to the caller's cwd when inside it). */
  displayPath(absolute: string): string;
  /** Variables for `environment: { A: }` (no value) and `secrets.x.environment`. */
  lookup: Lookup;
  /** Which environment variables are sensitive (x-stack.sensitive, the usual names, secret sources). */
  sensitive: SensitiveRule;
  /** Driver for networks that name none, including the implicit `default` (x-stack.defaults.network_driver or bridge). */
  defaultNetworkDriver: string;
  declared: {
    networks: ReadonlySet<string>;
    volumes: ReadonlySet<string>;
    secrets: ReadonlySet<string>;
    configs: ReadonlySet<string>;
  };
}

/** The path of one service key, for reporting. */
export function servicePath(service: string, ...rest: (string | number)[]): KeyPath {
  return ['services', service, ...rest];
}
