import { defineConfig } from 'tsup';
import shared from '../tsup.shared.js';

// An ESM-only command: no CommonJS build to keep in step.
export default defineConfig({ ...shared, entry: ['src/index.ts'], format: ['esm'] });
