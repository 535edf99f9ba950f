// suite-lists.mjs - the lists that must agree, checked in node without a browser: the registry's figure names
// (web/demos/registry.js) against each demo module's figure classes and its panel's figure blocks, and the
// README's embed list against the registry. Run by ctest as browser_lists (it reads the built site in dist/).
//   node tests/browser/suite-lists.mjs --dist dist
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DIST, finish, ok } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const { DEMOS } = await import(pathToFileURL(join(DIST, 'demos/registry.js')));
const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
for (const d of DEMOS.filter((x) => x.module)) {
  const { FIGURE_CLASSES } = await import(pathToFileURL(join(DIST, 'demos', d.name, 'figures.js')));
  const mod = Object.keys(FIGURE_CLASSES);
  ok(JSON.stringify(mod) === JSON.stringify(d.figures), `${d.name}: the registry's figures are the module's`,
    `registry ${d.figures}, module ${mod}`);
  const panel = readFileSync(join(DIST, 'demos', d.name, 'panel.html'), 'utf8');
  const blocks = [...panel.matchAll(/data-fig="([^"]+)"/g)].map((m) => m[1]);
  ok(JSON.stringify([...blocks].sort()) === JSON.stringify([...d.figures].sort()),
    `${d.name}: the panel has a figure block for each registered figure`, `panel ${blocks}`);
  ok(readme.includes(`\`${d.figures.join(' ')}\``), `${d.name}: the README's embed list names the registry's figures`,
    d.figures.join(' '));
}
const all = DEMOS.flatMap((d) => d.figures);
ok(new Set(all).size === all.length, 'figure names are unique across demos (the embed API finds a demo by figure)');

finish();
