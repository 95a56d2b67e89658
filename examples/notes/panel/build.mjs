// Bundles src/index.js (with @forge/bridge) into build/main.js and copies src/index.html:
// build/ is the Custom UI resource Forge uploads (the manifest's `resources[].path`).
// NOTES_BACKEND=service builds the panel of the Forge Container service (invokeService);
// anything else, the panel of the Forge Remote (invokeRemote).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const backend = process.env.NOTES_BACKEND === 'service' ? 'service' : 'remote';
rmSync('build', { recursive: true, force: true });
mkdirSync('build');
await build({
  entryPoints: ['src/index.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  outfile: 'build/main.js',
  logLevel: 'warning',
  define: { __NOTES_BACKEND__: JSON.stringify(backend) },
});
copyFileSync('src/index.html', 'build/index.html');
