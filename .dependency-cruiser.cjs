/** Architecture rules (see ARCHITECTURE in README): the core stays pure, arrows point inward. */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'flows/, conversation/ and understanding/ do no I/O: no node built-ins, no store, adapters or web.',
      severity: 'error',
      from: { path: '^src/(flows|conversation|understanding)/' },
      to: {
        pathNot: '^src/(flows|conversation|understanding)/|^locales/',
        dependencyTypesNot: ['type-only'],
        path: '^src/(store|adapters|web|cli|handoff|analytics)/|^src/(app|main)\\.ts$',
      },
    },
    {
      name: 'core-no-node-io',
      severity: 'error',
      from: { path: '^src/(flows|conversation|understanding)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'certs-standalone',
      comment: 'certs/ imports nothing of ours but its own files.',
      severity: 'error',
      from: { path: '^src/certs/' },
      to: { path: '^src/', pathNot: '^src/certs/' },
    },
    {
      name: 'adapters-independent',
      comment: 'a channel adapter never imports another channel adapter (files directly in src/adapters/ are shared edge helpers).',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/$1/|^src/adapters/[^/]+\\.ts$' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
