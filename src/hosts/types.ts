/**
 * What `stack hosts check` finds out about each host, as plain data (the JSON view prints it as is). Everything
 * read from a daemon or a probe's output is parsed into these types first (engine.ts, probe-scripts.ts).
 */

/** One check's result: done and found `value`, failed (with why), or not done (with why). */
export type Outcome<T> =
  { status: 'ok'; value: T } | { status: 'failed'; error: string } | { status: 'skipped'; why: string };

/** GET /version and GET /info, the fields the check reads. */
export interface EngineFacts {
  /** The Engine's version (`ServerVersion`, e.g. `20.10.24+dfsg1`). */
  version: string;
  /** Its API version (`ApiVersion`, e.g. `1.41`) and the oldest it still speaks. */
  apiVersion: string;
  minApiVersion: string;
  /** `OperatingSystem` (e.g. `Debian GNU/Linux 12 (bookworm)`), `OSType/Architecture`, `KernelVersion`. */
  os: string;
  platform: string;
  kernel: string;
  /** The daemon's cluster store and advertise address (empty when unset): the engine's overlay needs both. */
  clusterStore: string;
  clusterAdvertise: string;
  /** `DockerRootDir`, when it is an absolute path (anything else is not used). */
  dataRoot?: string;
  /** The daemon's own `--label`s (`/info` Labels), key → value. */
  engineLabels: Record<string, string>;
}

/** The host's clock against this machine's: `/info` SystemTime minus the local clock at the request's midpoint. */
export interface ClockReading {
  /** Host clock − local clock, ms. */
  offsetMs: number;
  /** Half the request's round trip: the reading is right within ± this, ms. */
  uncertaintyMs: number;
}

/** Free space of the daemon's data root, from `df` in the probe container (the root bound read-only). */
export interface DiskSpace {
  path: string;
  availableBytes: number;
  totalBytes: number;
}

/** What one host's probe container found. */
export interface ProbeResult {
  /** Could VXLAN devices be made (`ip link add … type vxlan`, up) with the host's own iproute2. */
  vxlan: Outcome<null>;
  /** Per other host: did VXLAN datagrams (UDP 4789) it sent arrive here. */
  udpFrom: Record<string, UdpPath>;
  disk: Outcome<DiskSpace>;
  /** The helper image was not on the host and was pulled for the probe. */
  pulledImage?: boolean;
}

/** One direction between two hosts: datagrams arrived, none did, or it could not be tried (why). */
export type UdpPath = { status: 'ok'; packets: number } | { status: 'lost' } | { status: 'untested'; why: string };

/** Which overlay realises the stack's overlay networks on these hosts. */
export type OverlayPath = 'engine' | 'own';

export interface HostReport {
  name: string;
  /** The endpoint as the inventory gives it. */
  endpoint: string;
  reachable: boolean;
  /** Why the host could not be reached or read. */
  error?: string;
  /** The `_ping` round trip, ms. */
  latencyMs?: number;
  engine?: EngineFacts;
  clock?: ClockReading & {
    /** Offset minus the median offset of the reachable hosts: this host's skew against the others, ms. */
    skewMs: number;
  };
  /** The underlay address the own overlay's VXLAN uses (label stack.underlay, else the tcp:// endpoint's IPv4). */
  underlay?: string;
  disk: Outcome<DiskSpace>;
  /** Overlay paths on this host: the engine's (a cluster store) and stack's own (VXLAN + UDP 4789 to the others). */
  overlay: { engine: Outcome<null>; own: Outcome<null> };
  vxlan: Outcome<null>;
  udpFrom: Record<string, UdpPath>;
  /** The inventory's labels: what stack places by (constraints `node.labels.*`, `engine.labels.*`). */
  labels: Record<string, string>;
  pulledImage?: boolean;
}

/** What the stack needs of the hosts' networks: whether they must carry an overlay, and which setting picks it. */
export interface NetworkNeeds {
  overlay: boolean;
  setting: 'auto' | 'engine' | 'consul';
  /** Why (for the report): `stack web (-f): 2 overlay networks`, or `no stack file: any stack may need one`. */
  why: string;
}

/** A problem found: an error makes the check fail (exit 1); a warning is printed. */
export interface Finding {
  severity: 'error' | 'warning';
  host?: string;
  summary: string;
  hint?: string;
}

export interface HostsCheckReport {
  hosts: HostReport[];
  needs: NetworkNeeds;
  /** The operator's overlay helper image the probe ran from; absent: no probe ran (and no own overlay is possible). */
  helperImage?: string;
  /** The overlay stack would use on these hosts (x-stack.overlay, or for `auto` the cluster stores), and why. */
  overlay: { path: OverlayPath; why: string };
  findings: Finding[];
  /** No error among the findings. */
  ok: boolean;
}
