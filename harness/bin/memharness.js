#!/usr/bin/env node
// The harness is written in TypeScript and run through tsx's loader, so the CLI never runs a
// stale build: what is checked out is what runs.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
