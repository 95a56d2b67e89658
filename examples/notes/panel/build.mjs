// Bundles src/index.js (with @forge/bridge) into build/main.js and copies src/index.html:
// build/ is the Custom UI resource Forge uploads (the manifest's `resources[].path`).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

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
});
copyFileSync('src/index.html', 'build/index.html');
