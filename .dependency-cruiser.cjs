// The layering of src/ (issue 16), checked by `npx depcruise src --config .dependency-cruiser.cjs`
// (test/run.sh and test/unit/habits/layering.test.ts). Folders import in one direction, top to bottom:
//   cli → gitops → operate → deploy → build → streams → state → apply → plan → hosts → observe → overlay → consul → docker → stack → leaves
// (leaves: src/errors.ts, src/labels.ts, src/fence.ts, src/sensitive.ts). A folder may import any folder below it, never one
// above; inside a folder, files import each other freely. Type-only imports count: they are dependencies too.
// overlay/ is a low layer under observe (network realisations and their Consul store; what it plans or runs
// lives in plan/ and apply/), consul/ is a transport like docker/, state/ is the revision store over it.
// gitops/ is the reconcile agent: it drives deploy/ (and reads through it); only cli/ drives it.
// build/ builds the images of services with build: and pushes them (before observe and plan).
// streams/ reads and joins containers' streams for logs and exec (below the workflow, above what it lists with).
/** @type {string[]} top first */
const LAYERS = [
  'cli',
  'gitops',
  'operate',
  'deploy',
  'build',
  'streams',
  'state',
  'apply',
  'plan',
  'hosts',
  'observe',
  'overlay',
  'consul',
  'docker',
  'stack',
];
const LEAVES = '^src/(errors|labels|fence|sensitive)[.]ts$';

const folder = (name) => `^src/${name}/`;
const upward = LAYERS.slice(1).map((name, i) => ({
  name: `layer-${name}`,
  comment: `src/${name}/ imports only folders below it: ${LAYERS.slice(i + 2).join(', ')} and the leaf modules`,
  severity: 'error',
  from: { path: folder(name) },
  to: { path: `^src/(${LAYERS.slice(0, i + 1).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'leaf-modules',
      comment: 'src/errors.ts, src/labels.ts, src/fence.ts and src/sensitive.ts import no folder of src/',
      severity: 'error',
      from: { path: LEAVES },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycle, inside a folder or across folders',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
