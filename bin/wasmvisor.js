#!/usr/bin/env node
// The command line, from the JavaScript that `npm install` compiles out of src/ (dist/). Plain
// Node loads binaryen natively (a TypeScript loader would re-transform its 14 MB each start).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
