// The layering, checked by `npm run lint:deps` (part of `npm test`). Each rule's comment says what it
// protects, so a failure names the importing file, the import and the rule.
// Tests (*.test.ts, test/) may reach across layers; only rule 1 (no cycles) covers them too.

const TEST = ['\\.test\\.ts$', '^test/'];
const FEATURES = '(api|discovery|bootstrap|history|rollouts|events|secrets|console|metrics)';
const ABOVE_DOMAIN = '^functions/(http|openapi|api|discovery|bootstrap|history|rollouts|events|secrets|console|metrics)/';
const EDGE_TOP = '^functions/(app|index)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle (type-only imports included) means two modules are one layer in disguise: which ' +
        'loads first decides what the other sees. Move the shared piece down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'xds-no-platform',
      severity: 'error',
      comment:
        'xds/ is the pure translator: web-standard APIs only, so it runs unchanged in workerd, Node ' +
        'and the CLI. No Hono, drizzle, grpc, cloudflare:* modules or workerd types. (Ambient workerd ' +
        'globals such as D1Database need no import, so only tsc scoping could catch those.)',
      from: { path: '^xds/', pathNot: TEST },
      to: {
        path: [
          '^node_modules/(hono|drizzle-orm|@grpc|@cloudflare/workers-types|workerd|wrangler)/',
          '^cloudflare:',
        ],
      },
    },
    {
      name: 'xds-no-builtins',
      severity: 'error',
      comment: 'xds/ uses web-standard APIs (crypto.subtle, not node:crypto or Buffer); Node builtins pin it to Node.',
      from: { path: '^xds/', pathNot: TEST },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'xds-no-app-layers',
      severity: 'error',
      comment: 'Dependencies point inward: the edge, the bridge and the CLI use xds/, never the reverse.',
      from: { path: '^xds/', pathNot: TEST },
      to: { path: '^(functions|gateway|cli|test|bench)/' },
    },
    {
      name: 'edge-not-bridge',
      severity: 'error',
      comment: 'functions/ (Worker) and gateway/ (Node bridge) share only xds/; they deploy and fail apart.',
      from: { path: '^functions/', pathNot: TEST },
      to: { path: '^gateway/' },
    },
    {
      name: 'bridge-not-edge',
      severity: 'error',
      comment: 'gateway/ (Node bridge) and functions/ (Worker) share only xds/; they deploy and fail apart.',
      from: { path: '^gateway/', pathNot: TEST },
      to: { path: '^functions/' },
    },
    {
      name: 'cli-not-edge-or-bridge',
      severity: 'error',
      comment: 'The CLI talks to the edge over HTTP and shares only xds/; it bundles no Worker or bridge code.',
      from: { path: '^cli/', pathNot: TEST },
      to: { path: '^(functions|gateway)/' },
    },
    {
      name: 'console-is-a-browser-client',
      severity: 'error',
      comment:
        'console/ is the web console, bundled for browsers (scripts/build-console.mjs): like the CLI it talks to ' +
        'the edge over HTTP and shares only the pure xds/; no Worker, bridge or CLI code, no Node builtins.',
      from: { path: '^console/', pathNot: TEST },
      to: { path: ['^(functions|gateway|cli|scripts)/'] },
    },
    {
      name: 'console-no-builtins',
      severity: 'error',
      comment: 'console/ runs in browsers: Node builtins do not exist there.',
      from: { path: '^console/', pathNot: TEST },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'nothing-imports-the-console',
      severity: 'error',
      comment: 'The Worker serves the console as built files (wrangler.toml [assets]), never as code it imports.',
      from: { path: '^(functions|xds|gateway|cli)/', pathNot: TEST },
      to: { path: '^console/' },
    },
    {
      name: 'production-not-tests',
      severity: 'error',
      comment: 'Shipped code never depends on test fixtures or benchmarks; those may change or vanish freely.',
      from: { path: '^(functions|xds|gateway|cli|scripts|console)/', pathNot: TEST },
      to: { path: ['^(test|bench)/', '\\.test\\.ts$'] },
    },
    {
      name: 'env-imports-nothing',
      severity: 'error',
      comment: 'functions/env.ts (the Worker bindings) is the bottom of the edge: every layer imports it, so it imports nothing.',
      from: { path: '^functions/env\\.ts$' },
      to: {},
    },
    {
      name: 'domain-no-hono',
      severity: 'error',
      comment: 'functions/domain/ is the edge floor: plain functions over D1 and xds/, callable without a request. No Hono.',
      from: { path: '^functions/domain/', pathNot: TEST },
      to: { path: '^node_modules/hono/' },
    },
    {
      name: 'domain-below-edge',
      severity: 'error',
      comment: 'functions/domain/ sits under http/, openapi/, the features and the app; it imports none of them.',
      from: { path: '^functions/domain/', pathNot: TEST },
      to: { path: [ABOVE_DOMAIN, EDGE_TOP] },
    },
    {
      name: 'http-below-features',
      severity: 'error',
      comment: 'functions/http/ and functions/openapi/ are shared plumbing for every feature; they import no feature and not the app.',
      from: { path: '^functions/(http|openapi)/', pathNot: TEST },
      to: { path: [`^functions/${FEATURES}/`, EDGE_TOP] },
    },
    {
      name: 'feature-not-feature',
      severity: 'error',
      comment: 'Features import only domain/, http/, openapi/ and xds/; what two features share belongs a floor down.',
      from: { path: `^functions/${FEATURES}/`, pathNot: TEST },
      to: { path: `^functions/${FEATURES}/`, pathNot: '^functions/$1/' },
    },
    {
      name: 'feature-below-app',
      severity: 'error',
      comment: 'Features are mounted by functions/app.ts; importing the app (or the Worker entry) back would be a cycle by design.',
      from: { path: `^functions/${FEATURES}/`, pathNot: TEST },
      to: { path: EDGE_TOP },
    },
    {
      name: 'app-only-from-index',
      severity: 'error',
      comment: 'functions/app.ts is the top of the edge: only the Worker entry (functions/index.ts) and tests import it.',
      from: { pathNot: ['^functions/index\\.ts$', ...TEST] },
      to: { path: '^functions/app\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import in shipped code resolves to a file or an installed package (a typo or a stale path after a move).',
      from: { path: '^(functions|xds|gateway|cli|scripts|console)/', pathNot: TEST },
      // Runtime-provided modules, and the descriptor set the pretest step builds.
      to: { couldNotResolve: true, pathNot: ['^cloudflare:', '\\.binpb$'] },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A shipped module nothing imports and that imports nothing is dead code, or an entry point that lost its wiring.',
      from: { orphan: true, path: '^(functions|xds|gateway|cli|console)/', pathNot: [...TEST, '\\.d\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // Keep package paths as node_modules/... even where node_modules is a symlink (as in test sandboxes).
    preserveSymlinks: true,
    // swc parses the TypeScript as written, so type-only imports count as edges. (tsPreCompilationDeps
    // means the same for the tsc parser, but TypeScript 7.0 has no in-process API dependency-cruiser can use.)
    parser: 'swc',
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      exportsFields: ['exports'],
      conditionNames: ['types', 'import', 'require', 'node', 'workerd', 'default'],
      mainFields: ['types', 'typings', 'module', 'main'],
    },
    skipAnalysisNotInRules: true,
    cache: false,
  },
};
