import { afterAll } from 'vitest';
import { removeTempDirs } from '../temp-dir.js';

// Registered before the file's own hooks, so it runs after them: stacks stop before their directories go.
afterAll(removeTempDirs);
