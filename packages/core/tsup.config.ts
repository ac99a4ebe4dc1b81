import { defineConfig } from 'tsup';
import shared from '../tsup.shared.js';

// Two entries: the main one stays free of node:fs for Web runtimes; `spool` holds the filesystem code
// (see src/spool/index.ts).
export default defineConfig({ ...shared, entry: { index: 'src/index.ts', spool: 'src/spool/index.ts' } });
